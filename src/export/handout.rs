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

/// One stop of the story: an event, or a question asked before it.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    Event(usize),
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
    for e in ev {
        while let Some((qi, _)) = qs.next_if(|(_, q)| q.at <= e) {
            out.push(Stop::Question(qi));
        }
        out.push(Stop::Event(e));
    }
    out.extend(qs.map(|(qi, _)| Stop::Question(qi)));
    // Two stops at the same moment that would tell the same are one (a retried SYN is not:
    // each try has its own time).
    let t = &run.trace;
    out.dedup_by(|b, a| match (a, b) {
        (Stop::Event(x), Stop::Event(y)) => {
            t.events[*x].time == t.events[*y].time && narrate(t, *x) == narrate(t, *y)
        }
        _ => false,
    });
    out
}

/// The `'sha256-…'` source of a style or script, for the page's policy.
fn csp_hash(text: &str) -> String {
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
    };
    let s = picture::svg(run, &o);
    // Inline SVG needs no namespace in HTML, and the page then holds no address at all.
    s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
}

/// The handout of a run.
pub fn handout(run: &Run, src: &Source) -> String {
    let mut b = String::with_capacity(64 * 1024);
    header(&mut b, run, src);
    let stops = stops(run, matches!(src, Source::Lesson { .. }));
    controls(&mut b, stops.len());
    b.push_str("<div class=\"stage\">\n<figure class=\"ladder\" id=\"ladder\">");
    b.push_str(&inline_svg(run, View::Ladder));
    let _ = writeln!(
        b,
        "<figcaption>The ladder: one arrow per packet, from its sender to where it ended; time runs down.</figcaption></figure>\n<div class=\"side\"><figure class=\"topology\">{}<figcaption>The network: the control connection in blue, the data connection in orange.</figcaption></figure>\n<ol class=\"story\" id=\"story\">",
        inline_svg(run, View::Topology)
    );
    for (k, s) in stops.iter().enumerate() {
        match s {
            Stop::Event(i) => event_step(&mut b, run, src, k, *i),
            Stop::Question(q) => question_step(&mut b, run, k, *q),
        }
    }
    b.push_str("</ol>\n</div>\n</div>\n");
    outcome(&mut b, &run.trace, src);
    page(&format!("{} — FTP Lab", run.trace.title), &b)
}

fn header(b: &mut String, run: &Run, src: &Source) {
    let _ = writeln!(b, "<header>\n<h1>{}</h1>", esc(&run.trace.title));
    match src {
        Source::Lesson { scenario, file } => {
            if !scenario.description.trim().is_empty() {
                let _ = writeln!(
                    b,
                    "<p class=\"description\">{}</p>",
                    esc(&scenario.description)
                );
            }
            let _ = writeln!(
                b,
                "<p class=\"meta\">A lesson of FTP Lab, from <code>{}</code>, seed {}. The simulator runs real TCP (smoltcp) in virtual time; {}.</p>",
                esc(file),
                run.trace.seed,
                esc(&run.trace.tcp_profile)
            );
        }
        Source::Capture {
            file,
            stats,
            vantage,
        } => {
            let _ = writeln!(
                b,
                "<p class=\"meta\">A real capture, <code>{}</code>, explained by FTP Lab: {} frames, {} IPv4; taken {}. Not FTP: {} packets; cut short by the snap length: {}; bad checksums (often the sender's offloading): {}.{}</p>",
                esc(file),
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
        }
    }
    b.push_str("<p class=\"keys noprint\">Step through the run with <kbd>←</kbd> <kbd>→</kbd>, the buttons or the slider. Printed, the page shows every step.</p>\n</header>\n");
}

fn controls(b: &mut String, n: usize) {
    let _ = writeln!(
        b,
        "<nav class=\"controls noprint\" aria-label=\"Steps\"><button id=\"prev\" type=\"button\">← Previous</button><input id=\"slider\" type=\"range\" min=\"0\" max=\"{}\" value=\"0\" aria-label=\"Step\"><button id=\"next\" type=\"button\">Next →</button><span id=\"where\" aria-live=\"polite\">Step 1 of {n}</span></nav>",
        n.saturating_sub(1)
    );
}

/// The journey (ladder row) an event belongs to, for the highlight.
fn row_of(run: &Run, i: usize) -> Option<usize> {
    run.journeys.at_cursor(i)
}

fn event_step(b: &mut String, run: &Run, src: &Source, k: usize, i: usize) {
    let t = &run.trace;
    let e = &t.events[i];
    let (headline, detail) = narrate(t, i);
    let row = row_of(run, i).map_or(String::new(), |r| r.to_string());
    let _ = write!(
        b,
        "<li class=\"step\" data-k=\"{k}\" data-cursor=\"{i}\" data-row=\"{row}\"><p class=\"when\">t = {} at {}{}</p>",
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
        let _ = write!(b, "<p class=\"headline\">{}</p>", esc(&headline));
    }
    let _ = write!(b, "<p class=\"detail\">{}</p>", esc(&detail));
    decisions(b, run, src, i);
    if i + 1 == t.events.len() {
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
    b.push_str("<ul class=\"decisions\">");
    for v in verdicts {
        let _ = write!(
            b,
            "<li><b>{}</b> ({:?}, {}): {}{}</li>",
            esc(&v.middlebox),
            v.action,
            esc(&format!("{:?}", v.state).to_uppercase()),
            esc(&v.rule_text),
            rule_code(src, v)
                .map(|c| format!(" <code>{}</code>", esc(&c)))
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
    let row = row_of(run, cursor).map_or(String::new(), |r| r.to_string());
    let _ = write!(
        b,
        "<li class=\"step ask\" data-k=\"{k}\" data-cursor=\"{cursor}\" data-row=\"{row}\"><p class=\"when\">Predict before you go on</p><p class=\"headline\">{}</p><ol class=\"choices\" type=\"A\">",
        esc(&q.text)
    );
    for c in &q.choices {
        let _ = write!(b, "<li>{}</li>", esc(c));
    }
    let answer = q.choices.get(q.answer).map_or("", String::as_str);
    let _ = writeln!(
        b,
        "</ol><details class=\"answer\"><summary>Show the answer</summary><p><b>{}: {}</b></p><p>{}</p></details></li>",
        char::from(b'A' + (q.answer.min(25)) as u8),
        esc(answer),
        esc(&q.explain)
    );
}

fn outcome(b: &mut String, t: &Trace, src: &Source) {
    let o = &t.outcome;
    let _ = write!(
        b,
        "<section class=\"outcome {}\"><h2>{}</h2><p>{}</p>",
        if o.success { "ok" } else { "bad" },
        if o.success {
            "It worked."
        } else {
            "It failed."
        },
        esc(&o.diagnosis)
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
                esc(&a.action.to_string()),
                esc(&a.detail)
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
        esc(&ex.title),
        esc(&ex.id),
        esc(&ex.task)
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
            esc(&crate::exercise::words(c))
        );
    }
    b.push_str("</ul></section>\n<section class=\"hints\"><h2>Hints</h2>");
    for (k, h) in ex.hints.iter().enumerate() {
        let _ = write!(
            b,
            "<details class=\"hint\"><summary>Show hint {}</summary><p>{}</p></details>",
            k + 1,
            esc(h)
        );
    }
    b.push_str("</section>\n<section class=\"notes\"><h2>Your notes</h2><div class=\"lines\"></div></section>\n");
    page(&format!("{} — FTP Lab exercise", ex.title), &b)
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
            esc(&f.name),
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
            let _ = writeln!(b, "{}", esc(&crate::firewall::analysis::iptables(r)));
        }
        b.push_str("</pre>");
    }
    b.push_str("</section>\n");
}
