//! What `ftp-lab export` reads and writes: a lesson, an exercise or a capture becomes a run
//! (the trace and what the window derives from it), and the run a picture or a handout.

use super::handout::{self, Source};
use super::picture::{self, Options, View};
use crate::Scenario;
use crate::capture::Explained;
use crate::exercise::Exercise;
use crate::gui::Run;
use crate::gui::model::Granularity;

/// A file opened for export.
pub enum Opened {
    Lesson(Box<Scenario>),
    Exercise(Box<Exercise>),
    Capture(Box<Explained>),
}

/// Opens `path`: a capture by its extension (pcap, pcapng, cap), an exercise when it reads
/// as one, else a lesson (whose errors are the ones said).
pub fn open(path: &std::path::Path) -> Result<Opened, String> {
    if crate::gui::is_capture(path) {
        return crate::capture::explain_file(path, |_| {}).map(|x| Opened::Capture(Box::new(x)));
    }
    if let Ok(ex) = Exercise::load(path) {
        return Ok(Opened::Exercise(Box::new(ex)));
    }
    Scenario::load(path)
        .map(|s| Opened::Lesson(Box::new(s)))
        .map_err(|e| e.to_string())
}

/// The run of what was opened (an exercise's starting scenario), under `seed` if given.
pub fn run_of(o: &Opened, seed: Option<u64>) -> Result<Run, String> {
    let simulated = |s: &Scenario| {
        let mut s = s.clone();
        if let Some(seed) = seed {
            s.seed = seed;
        }
        let t = crate::simulate(&s).map_err(|p| {
            p.iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ")
        })?;
        Ok::<_, String>(Run::new(t, &s.questions))
    };
    match o {
        Opened::Lesson(s) => simulated(s),
        Opened::Exercise(ex) => simulated(&ex.starting_answer()),
        Opened::Capture(x) => Ok(Run::new(x.trace.clone(), &[])),
    }
}

/// The event `--at` names: `end`, `start`, `event:N` (the window's "event N of M"), `step:N`
/// (where step N of the four-step handshake first begins) or `N`.
pub fn cursor(run: &Run, at: &str) -> Result<usize, String> {
    let n = run.trace.events.len();
    if n == 0 {
        return Ok(0);
    }
    let at = at.trim();
    let number = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("--at takes end, start, event:N or step:N (1 to 4), not '{at}'"))
    };
    if at == "end" {
        return Ok(n - 1);
    }
    if at == "start" {
        return Ok(0);
    }
    if let Some(k) = at.strip_prefix("step:") {
        let k = number(k)?;
        return run
            .lesson
            .stops_of(Granularity::Step)
            .iter()
            .copied()
            .find(|&i| {
                run.trace.events[i]
                    .step
                    .is_some_and(|s| usize::from(s.n) == k)
            })
            .ok_or_else(|| {
                format!(
                    "this run has no step {k} of the handshake (try step:1 to step:4, or event:N)"
                )
            });
    }
    let k = number(at.strip_prefix("event:").unwrap_or(at))?;
    if k == 0 || k > n {
        return Err(format!("--at event:{k}: this run has events 1 to {n}"));
    }
    Ok(k - 1)
}

/// The ladder rows a slide shows around its moment: every row in the normal look; 14 in the
/// presentation look, which is for a projector.
pub fn default_rows(presentation: bool) -> Option<usize> {
    presentation.then_some(14)
}

/// The SVG picture of the run, with the look's rows.
pub fn svg(run: &Run, view: View, cursor: usize, presentation: bool) -> String {
    svg_rows(run, view, cursor, presentation, default_rows(presentation))
}

/// The SVG picture of the run, with at most `rows` ladder rows around the cursor.
pub fn svg_rows(
    run: &Run,
    view: View,
    cursor: usize,
    presentation: bool,
    rows: Option<usize>,
) -> String {
    picture::svg(
        run,
        &Options {
            view,
            cursor,
            presentation,
            cursor_marks: true,
            rows,
            titled: true,
        },
    )
}

/// The handout of a lesson or capture, or an exercise's worksheet. `name`: the file's name
/// as the page shows it.
pub fn html(o: &Opened, run: &Run, name: &str) -> String {
    match o {
        Opened::Lesson(s) => handout::handout(
            run,
            &Source::Lesson {
                scenario: s,
                file: name,
            },
        ),
        Opened::Exercise(ex) => handout::worksheet(ex, run),
        Opened::Capture(x) => handout::handout(
            run,
            &Source::Capture {
                file: name,
                stats: &x.stats,
                vantage: x.vantage,
            },
        ),
    }
}
