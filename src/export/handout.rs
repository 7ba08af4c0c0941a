//! The handout: one HTML file any browser opens with nothing else (no network, no external
//! script, style or font), telling a run step by step: the lesson's title and description,
//! the topology, the ladder, and at each step its time, place, the step of the four-step
//! handshake, the narration and the firewalls' decisions with their rules as iptables writes
//! them. Previous / Next, a slider and ← → move through it, with the ladder's row highlighted;
//! predict questions show their choices and hide the answer (and the rows after it) until
//! asked. Printed, it is the whole story on A4 or Letter. The same page reports a real capture
//! (`explain --html`), and an exercise becomes a worksheet: its task, starting rules, a
//! checklist of goals and constraints, the hints hidden until asked, never a solution.
//!
//! Nothing from a file or a capture becomes markup: every text goes through `esc`. The page's
//! Content-Security-Policy allows no network and no code but its own style and script, named
//! by their SHA-256.

use super::picture::{self, Options, View, esc};
use crate::gui::Run;
use crate::gui::model::Granularity;
use crate::gui::narrate::{narrate, step_title};
use crate::rules::{Reason, Verdict};
use crate::scenario::{NodeSpec, Scenario};
use crate::trace::{EventKind, Trace};
use base64::Engine;
use sha2::Digest;
use std::fmt::Write;

const STYLE: &str = include_str!("handout.css");
const SCRIPT: &str = include_str!("handout.js");

/// Where the run came from, and what the page says about it.
pub enum Source<'a> {
    /// A lesson: its scenario (title, description, the firewalls' rules) and file name.
    Lesson {
        scenario: &'a Scenario,
        file: &'a str,
    },
    /// A real capture: its file name and what reading it found.
    Capture {
        file: &'a str,
        stats: &'a crate::capture::Stats,
        vantage: crate::trace::Vantage,
    },
}

/// One stop of the story: events told alike (one, or a packet retried: each try has its own
/// time; the story tells the first and the cursor is on the last), or a question asked
/// before it.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    Event(Vec<usize>),
    Question(usize),
}

/// Where the story stops: every FTP command and reply, every packet that decides the data
/// connection, every step of the handshake, each question before the event it asks about,
/// and the run's last event. `questions`: off for a capture's report (it is for a colleague,
/// not a class).
pub fn stops(run: &Run, questions: bool) -> Vec<Stop> {
    let mut ev: Vec<usize> = run.lesson.stops_of(Granularity::Ftp).to_vec();
    ev.extend_from_slice(run.lesson.stops_of(Granularity::Step));
    if let Some(last) = run.trace.events.len().checked_sub(1) {
        ev.push(last);
    }
    ev.sort_unstable();
    ev.dedup();
    let mut out = Vec::with_capacity(ev.len() + run.lesson.questions.len());
    let asked = if questions {
        run.lesson.questions.as_slice()
    } else {
        &[]
    };
    let mut qs = asked.iter().enumerate().peekable();
    // The last event stop's words, to tell a repeat.
    let mut last_words = None;
    for e in ev {
        while let Some((qi, _)) = qs.next_if(|(_, q)| q.at <= e) {
            out.push(Stop::Question(qi));
        }
        // The same words again (a SYN retried, dropped by the same rule): one stop.
        let words = narrate(&run.trace, e);
        if let Some(Stop::Event(prev)) = out.last_mut()
            && last_words.as_ref() == Some(&words)
        {
            prev.push(e);
            continue;
        }
        last_words = Some(words);
        out.push(Stop::Event(vec![e]));
    }
    out.extend(qs.map(|(qi, _)| Stop::Question(qi)));
    out
}

/// `s`, or its first `n` characters and how many more there were: a 1 MB rule comment is
/// told in every step it decides, and must not make the page a thousand times larger.
fn short(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} more characters)",
            &s[..i],
            s[i..].chars().count()
        )),
    }
}

/// The most characters of one text the page shows (a title, a comment, one narration).
const LONG: usize = 600;

/// The `'sha256-…'` source of a style or script, for the page's policy.
pub(crate) fn csp_hash(text: &str) -> String {
    let d = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d)
    )
}

/// The page around a body: the policy, the style, the script.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src {}; script-src {}; base-uri 'none'; form-action 'none'\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"FTP Lab {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}<script>{SCRIPT}</script>\n</body>\n</html>\n",
        csp_hash(STYLE),
        csp_hash(SCRIPT),
        env!("CARGO_PKG_VERSION"),
        esc(title)
    )
}

/// The SVG of a view for inline use in the page (the page's script marks the rows).
fn inline_svg(run: &Run, view: View) -> String {
    let o = Options {
        view,
        cursor: run.trace.events.len().saturating_sub(1),
        presentation: false,
        cursor_marks: false,
        rows: None,
        titled: false,
    };
    let s = picture::svg(run, &o);
    // Inline SVG needs no namespace in HTML, and the page then holds no address at all.
    s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// The handout of a run.
pub fn handout(run: &Run, src: &Source) -> String {
    let lesson = matches!(src, Source::Lesson { .. });
    let mut b = String::with_capacity(64 * 1024);
    header(&mut b, run, src);
    let _ = writeln!(
        b,
        "<figure class=\"topology\">{}<figcaption>The network: the control connection in blue, the data connection in orange.</figcaption></figure>",
        inline_svg(run, View::Topology)
    );
    let stops = stops(run, lesson);
    controls(&mut b, stops.len());
    b.push_str("<div class=\"stage\">\n<figure class=\"ladder\" id=\"ladder\">");
    b.push_str(&inline_svg(run, View::Ladder));
    b.push_str("<figcaption>The ladder: one arrow per packet, from its sender to where it ended; time runs down.</figcaption></figure>\n<ol class=\"story\" id=\"story\">\n");
    for (k, s) in stops.iter().enumerate() {
        match s {
            Stop::Event(group) => event_step(&mut b, run, src, k, group),
            Stop::Question(q) => question_step(&mut b, run, k, *q),
        }
    }
    b.push_str("</ol>\n</div>\n");
    outcome(&mut b, &run.trace, src);
    if lesson {
        answers(&mut b, run);
    }
    colophon(&mut b, run, src);
    let tab = match src {
        Source::Lesson { scenario, .. } => crate::gui::setup_words(scenario),
        Source::Capture { .. } => short(&run.trace.title, 200).into_owned(),
    };
    page(&format!("{tab} — FTP Lab"), &b)
}

fn header(b: &mut String, run: &Run, src: &Source) {
    let title = esc(&short(&run.trace.title, LONG));
    match src {
        // A lesson's title tells its ending ("… drops inbound connections"): as in the
        // window's predict mode, what it sets up stands in for it until the last step.
        Source::Lesson { scenario, .. } => {
            let _ = writeln!(
                b,
                "<header>\n<h1><span class=\"held\">{title}</span><span class=\"holding-only\">{}</span></h1>",
                esc(&crate::gui::setup_words(scenario))
            );
        }
        Source::Capture { .. } => {
            let _ = writeln!(b, "<header>\n<h1>{title}</h1>");
        }
    }
    match src {
        Source::Lesson { scenario, .. } => {
            // The description tells the ending: as in the window's predict mode, it waits
            // for the run's end (print shows it).
            if !scenario.description.trim().is_empty() {
                let _ = writeln!(
                    b,
                    "<p class=\"description held\">{}</p><p class=\"held-note noprint\">The lesson's title, its description and how the run ends show at its last step.</p>",
                    esc(&short(&scenario.description, 5 * LONG))
                );
            }
        }
        Source::Capture {
            file,
            stats,
            vantage,
        } => {
            let _ = writeln!(
                b,
                "<p class=\"meta\">A real capture, <code>{}</code>, explained by FTP Lab: {} frames, {} IPv4; taken {}. Not FTP: {} packets; cut short by the snap length: {}; bad checksums (often the sender's offloading): {}.{}</p>",
                esc(&short(file, LONG)),
                stats.frames,
                stats.ipv4,
                esc(vantage.words()),
                stats.not_ftp,
                stats.truncated,
                stats.bad_checksums,
                stats
                    .ends_early
                    .as_ref()
                    .map(|w| format!(" The file ends early: {}.", esc(w)))
                    .unwrap_or_default()
            );
            let o = &run.trace.outcome;
            let _ = writeln!(
                b,
                "<p class=\"summary {}\"><b>{}</b> {}</p>",
                if o.success { "ok" } else { "bad" },
                if o.success {
                    "It worked."
                } else {
                    "It failed."
                },
                esc(&short(&o.diagnosis, 5 * LONG))
            );
        }
    }
    b.push_str("</header>\n");
}

/// Where the page came from, at its end.
fn colophon(b: &mut String, run: &Run, src: &Source) {
    b.push_str("<footer class=\"meta\">");
    if let Source::Lesson { file, .. } = src {
        let _ = write!(
            b,
            "<p>A lesson of FTP Lab, from <code>{}</code>, seed {}. The simulator runs real TCP (smoltcp) in virtual time; {}.</p>",
            esc(&short(file, LONG)),
            run.trace.seed,
            esc(&run.trace.tcp_profile)
        );
    }
    b.push_str("<p class=\"noprint\">Step through the run with <kbd>←</kbd> <kbd>→</kbd>, the buttons or the slider. Printed, the page shows every step.</p></footer>\n");
}

/// The questions and their answers, on paper only (the screen has "Show the answer").
fn answers(b: &mut String, run: &Run) {
    if run.lesson.questions.is_empty() {
        return;
    }
    b.push_str("<section class=\"answers printonly\"><h2>Answers to the questions</h2><ol>");
    for q in &run.lesson.questions {
        let _ = write!(
            b,
            "<li><p>{}</p><p><b>{}</b>: {}</p></li>",
            esc(&short(&q.text, LONG)),
            esc(&short(
                q.choices.get(q.answer).map_or("", String::as_str),
                LONG
            )),
            esc(&short(&q.explain, 2 * LONG))
        );
    }
    b.push_str("</ol></section>\n");
}

fn controls(b: &mut String, n: usize) {
    let _ = writeln!(
        b,
        "<nav class=\"controls noprint\" aria-label=\"Steps\"><button id=\"prev\" type=\"button\">← Previous</button><input id=\"slider\" type=\"range\" min=\"0\" max=\"{}\" value=\"0\" aria-label=\"Step\"><button id=\"next\" type=\"button\">Next →</button><span id=\"where\" aria-live=\"polite\">Step 1 of {n}</span><label class=\"ahead\" title=\"The ladder's later rows, faint (they tell what happens next)\"><input id=\"ahead\" type=\"checkbox\"> show what comes later</label></nav>",
        n.saturating_sub(1)
    );
}

/// The journey (ladder row) an event belongs to, for the highlight.
/// A line sent is not a packet yet: its row is the packet that carries it, sent at once by
/// the same node. Returns (row, the event the cursor is on).
fn row_of(run: &Run, i: usize) -> (Option<usize>, usize) {
    if let Some(r) = run.journeys.at_cursor(i) {
        return (Some(r), i);
    }
    let e = &run.trace.events[i];
    let soon = e.time.micros() + 5_000;
    let next = run
        .journeys
        .list
        .iter()
        .position(|j| j.first_event > i && j.from == e.node && j.start.micros() <= soon);
    match next {
        Some(r) => (Some(r), run.journeys.list[r].first_event),
        None => (None, i),
    }
}

fn event_step(b: &mut String, run: &Run, src: &Source, k: usize, group: &[usize]) {
    let t = &run.trace;
    let (first, last) = (group[0], group[group.len() - 1]);
    let e = &t.events[first];
    let (headline, detail) = narrate(t, first);
    let (row, cursor) = row_of(run, last);
    let row = row.map_or(String::new(), |r| r.to_string());
    let _ = write!(
        b,
        "<li class=\"step\" data-k=\"{k}\" data-cursor=\"{cursor}\" data-row=\"{row}\"><p class=\"when\">t = {} at {}{}</p>",
        e.time,
        esc(t.node_name(e.node)),
        e.step.map_or(String::new(), |s| format!(
            " <span class=\"badge {}\" title=\"{}\">step {} of 4</span>",
            channel_class(e.channel),
            esc(step_title(s)),
            s.n
        ))
    );
    if !headline.is_empty() {
        let _ = write!(
            b,
            "<p class=\"headline\">{}</p>",
            esc(&short(&headline, LONG))
        );
    }
    let _ = write!(
        b,
        "<p class=\"detail\">{}</p>",
        esc(&short(&detail, 2 * LONG))
    );
    if group.len() > 1 {
        let times: Vec<String> = group[1..]
            .iter()
            .map(|&i| t.events[i].time.to_string())
            .collect();
        let _ = write!(
            b,
            "<p class=\"again\">The same again at {}: {} times in all.</p>",
            times.join(", "),
            group.len()
        );
    }
    decisions(b, run, src, first);
    if last + 1 == t.events.len() {
        let o = &t.outcome;
        let _ = write!(
            b,
            "<p class=\"end {}\">End of the run: {}</p>",
            if o.success { "ok" } else { "bad" },
            if o.success {
                "it worked."
            } else {
                "it failed."
            }
        );
    }
    b.push_str("</li>\n");
}

fn channel_class(c: Option<crate::trace::Channel>) -> &'static str {
    match c {
        Some(crate::trace::Channel::Data) => "data",
        _ => "control",
    }
}

/// The firewalls' and NATs' decisions on the packet of this event, up to it, each with the
/// rule as iptables writes it (for a lesson) or as the capture lets it be inferred.
fn decisions(b: &mut String, run: &Run, src: &Source, i: usize) {
    let t = &run.trace;
    let Some(ji) = run.journeys.of_event.get(i).copied().flatten() else {
        return;
    };
    let j = &run.journeys.list[ji];
    let verdicts: Vec<&Verdict> = (j.first_event..=i.min(j.last_event))
        .filter(|&x| run.journeys.of_event.get(x).copied().flatten() == Some(ji))
        .filter_map(|x| match &t.events[x].kind {
            EventKind::Packet { fate, .. } => fate.verdict(),
            _ => None,
        })
        .collect();
    if verdicts.is_empty() {
        return;
    }
    // Read from a capture, the narration already says all that is known.
    let verdicts: Vec<&Verdict> = verdicts
        .into_iter()
        .filter(|v| v.reason != Reason::Inferred)
        .collect();
    if verdicts.is_empty() {
        return;
    }
    b.push_str("<ul class=\"decisions\">");
    for v in verdicts {
        let _ = write!(
            b,
            "<li><b>{}</b> ({:?}, {}): {}{}</li>",
            esc(&v.middlebox),
            v.action,
            esc(&format!("{:?}", v.state).to_uppercase()),
            esc(&short(&v.rule_text, LONG)),
            rule_code(src, v)
                .map(|c| format!(" <code>{}</code>", esc(&short(&c, LONG))))
                .unwrap_or_default()
        );
    }
    b.push_str("</ul>");
}

/// The rule that decided, as iptables writes it, when the lesson's file states it.
fn rule_code(src: &Source, v: &Verdict) -> Option<String> {
    let Source::Lesson { scenario, .. } = src else {
        return None;
    };
    let fw = scenario.nodes.iter().find_map(|n| match n {
        NodeSpec::Firewall(f) if f.name == v.middlebox => Some(f),
        _ => None,
    })?;
    match v.reason {
        Reason::Rule(r) => fw
            .rules
            .get(r.checked_sub(1)?)
            .map(crate::firewall::analysis::iptables),
        Reason::DefaultPolicy => Some(format!(
            "-P FORWARD {}",
            format!("{:?}", fw.default_policy).to_uppercase()
        )),
        _ => None,
    }
}

fn question_step(b: &mut String, run: &Run, k: usize, qi: usize) {
    let q = &run.lesson.questions[qi];
    let cursor = q.at.saturating_sub(1);
    let row = run
        .journeys
        .at_cursor(cursor)
        .map_or(String::new(), |r| r.to_string());
    let _ = write!(
        b,
        "<li class=\"step ask\" data-k=\"{k}\" data-cursor=\"{cursor}\" data-row=\"{row}\"><p class=\"when\">Predict before you go on</p><p class=\"headline\">{}</p><ol class=\"choices\" type=\"A\">",
        esc(&short(&q.text, LONG))
    );
    for c in &q.choices {
        let _ = write!(b, "<li>{}</li>", esc(&short(c, LONG)));
    }
    let answer = q.choices.get(q.answer).map_or("", String::as_str);
    let _ = writeln!(
        b,
        "</ol><details class=\"answer\"><summary>Show the answer</summary><p><b>{}: {}</b></p><p>{}</p></details></li>",
        char::from(b'A' + (q.answer.min(25)) as u8),
        esc(&short(answer, LONG)),
        esc(&short(&q.explain, 2 * LONG))
    );
}

fn outcome(b: &mut String, t: &Trace, src: &Source) {
    let o = &t.outcome;
    let _ = write!(
        b,
        "<section class=\"outcome {}{}\"><h2>{}</h2><p>{}</p>",
        if o.success { "ok" } else { "bad" },
        if matches!(src, Source::Lesson { .. }) {
            " held"
        } else {
            ""
        },
        if o.success {
            "It worked."
        } else {
            "It failed."
        },
        esc(&short(&o.diagnosis, 5 * LONG))
    );
    b.push_str("<ul class=\"actions\">");
    for c in &t.clients {
        for a in &c.actions {
            let _ = write!(
                b,
                "<li class=\"{}\">{} {} {}: {}</li>",
                if a.ok { "ok" } else { "bad" },
                if a.ok { "✔" } else { "✖" },
                esc(&c.name),
                esc(&short(&a.action.to_string(), LONG)),
                esc(&short(&a.detail, LONG))
            );
        }
    }
    b.push_str("</ul>");
    if let Source::Capture { .. } = src {
        b.push_str("<p class=\"meta\">Read from a capture: what a middlebox decided is inferred from what came back, or did not.</p>");
    }
    b.push_str("</section>\n");
}

/// An exercise as a worksheet: the task, the network, the starting rules, the goals and
/// constraints as a checklist, the hints hidden until asked. Never a solution: the page is
/// made from the exercise and its starting scenario only.
pub fn worksheet(ex: &crate::exercise::Exercise, run: &Run) -> String {
    let mut b = String::with_capacity(16 * 1024);
    let _ = writeln!(
        b,
        "<header><h1>{}</h1><p class=\"meta\">An exercise of FTP Lab ({}). Open it in FTP Lab to try your answer, and <code>ftp-lab grade</code> checks it.</p></header>\n<section class=\"task\"><h2>Your task</h2><p>{}</p></section>",
        esc(&short(&ex.title, LONG)),
        esc(&ex.id),
        esc(&short(&ex.task, 10 * LONG))
    );
    let _ = writeln!(
        b,
        "<figure class=\"topology\">{}<figcaption>The network you start with.</figcaption></figure>",
        inline_svg(run, View::Topology)
    );
    starting_rules(&mut b, &ex.start);
    b.push_str("<section class=\"checklist\"><h2>Your answer must</h2><ul>");
    for c in ex.goals.iter().chain(&ex.constraints) {
        let _ = write!(
            b,
            "<li><label><input type=\"checkbox\"> {}</label></li>",
            esc(&short(&crate::exercise::words(c), LONG))
        );
    }
    b.push_str("</ul></section>\n<section class=\"hints\"><h2>Hints</h2>");
    for (k, h) in ex.hints.iter().enumerate() {
        let _ = write!(
            b,
            "<details class=\"hint\"><summary>Show hint {}</summary><p>{}</p></details>",
            k + 1,
            esc(&short(h, 4 * LONG))
        );
    }
    b.push_str("</section>\n<section class=\"notes\"><h2>Your notes</h2><div class=\"lines\"></div></section>\n");
    page(&format!("{} — FTP Lab exercise", short(&ex.title, 200)), &b)
}

fn starting_rules(b: &mut String, s: &Scenario) {
    b.push_str("<section class=\"rules\"><h2>The firewalls as they start</h2>");
    for n in &s.nodes {
        let NodeSpec::Firewall(f) = n else {
            continue;
        };
        let _ = write!(
            b,
            "<h3>{}</h3><p>{}, FTP helper {}.</p><pre>",
            esc(&short(&f.name, LONG)),
            if f.stateful { "Stateful" } else { "Stateless" },
            if f.ftp_helper {
                "attached"
            } else {
                "not attached"
            }
        );
        let _ = writeln!(
            b,
            "-P FORWARD {}",
            format!("{:?}", f.default_policy).to_uppercase()
        );
        for r in &f.rules {
            let rule = crate::firewall::analysis::iptables(r);
            let _ = writeln!(b, "{}", esc(&short(&rule, LONG)));
        }
        b.push_str("</pre>");
    }
    b.push_str("</section>\n");
}
