//! Predict mode's questions, made from the trace itself, so every scenario has them (an
//! edited one too): before a middlebox decides the first SYN of a data connection, "what will
//! it do?" and "which rule decides?"; once a PORT or 227 has arrived, "which port will the
//! other side connect to?". A scenario may add its own questions before a step. Plain data,
//! no egui: the panel asks, this checks.

use crate::ftp::announce;
use crate::rules::Action;
use crate::scenario::QuestionSpec;
use crate::trace::{Channel, EventKind, NodeKind, Trace, Verdict};
use std::collections::BTreeSet;

/// One question, asked when the cursor would move past event `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub at: usize,
    pub text: String,
    pub choices: Vec<String>,
    pub answer: usize,
    /// Said once the question is answered.
    pub explain: String,
    /// What the class needs on screen to answer (a firewall's rules: presentation mode hides
    /// the panel that lists them).
    pub shows: Vec<String>,
}

impl Question {
    pub fn check(&self, choice: usize) -> bool {
        choice == self.answer
    }
}

/// Every question of a run, in the order they come.
pub fn questions(trace: &Trace, own: &[QuestionSpec]) -> Vec<Question> {
    let mut out = Vec::new();
    firewall_questions(trace, &mut out);
    port_questions(trace, &mut out);
    for q in own {
        let at = trace
            .events
            .iter()
            .position(|e| e.step.is_some_and(|s| s.n == q.before_step));
        if let Some(at) = at {
            out.push(Question {
                at: at.saturating_sub(1),
                text: q.text.clone(),
                choices: q.choices.clone(),
                answer: q.answer.min(q.choices.len().saturating_sub(1)),
                explain: q.explain.clone(),
                shows: Vec::new(),
            });
        }
    }
    out.sort_by_key(|q| q.at);
    out
}

fn rule_choices(rules: &[String], v: &Verdict) -> (Vec<String>, usize) {
    let mut choices: Vec<String> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| format!("rule {} '{r}'", i + 1))
        .collect();
    choices.push("the default policy".to_owned());
    let last = choices.len() - 1;
    let answer = v.rule().map_or(last, |r| r - 1).min(last);
    (choices, answer)
}

/// Before each firewall decides the first SYN of each data connection.
fn firewall_questions(trace: &Trace, out: &mut Vec<Question>) {
    let mut asked: BTreeSet<(usize, String)> = BTreeSet::new();
    for (i, e) in trace.events.iter().enumerate() {
        let EventKind::Packet { packet, fate } = &e.kind else {
            continue;
        };
        let p = &trace.packets[*packet];
        if e.channel != Some(Channel::Data) || !p.flags.syn || p.flags.ack {
            continue;
        }
        let Some(v) = fate.verdict() else {
            continue;
        };
        let is_firewall = trace
            .nodes
            .iter()
            .any(|n| n.name == v.middlebox && n.kind == NodeKind::Firewall);
        let conn = e.conn.map_or(usize::MAX, |c| c.index());
        if !is_firewall || !asked.insert((conn, v.middlebox.clone())) {
            continue;
        }
        let Some(fw) = trace.firewalls.iter().find(|f| f.name == v.middlebox) else {
            continue;
        };
        // A firewall with no rules that lets everything through has nothing to teach here;
        // one whose default policy stops it does.
        if fw.rules.is_empty() && v.action == Action::Accept {
            continue;
        }
        out.extend(about_firewall(i.saturating_sub(1), p, v, fw));
    }
}

/// "What will the firewall do?" and, when there is a choice of rules, "Which rule?".
fn about_firewall(
    at: usize,
    p: &crate::trace::Packet,
    v: &crate::trace::Verdict,
    fw: &crate::trace::FirewallReport,
) -> Vec<Question> {
    let actions = ["accept", "drop", "reject"];
    let answer = actions
        .iter()
        .position(|a| *a == v.action.to_string())
        .unwrap_or(0);
    let seen = if v.why.is_empty() {
        format!("connection tracking sees the SYN as {}", v.state)
    } else {
        format!("connection tracking sees the SYN as {}", v.why)
    };
    let (choices, rule_answer) = rule_choices(&fw.rules, v);
    // "Which rule?" with only the default policy to choose from is no question; when it is
    // asked, the first explanation must not answer it.
    let ask_rule = choices.len() >= 2;
    let decides = match v.rule() {
        Some(_) => format!("{} decides", v.rule_words()),
        None => format!("no rule matches it, so {} decides", v.rule_words()),
    };
    // The rules as the class needs them on screen to answer.
    let mut shows: Vec<String> = fw
        .rules
        .iter()
        .enumerate()
        .map(|(k, r)| format!("rule {}: {r}", k + 1))
        .collect();
    shows.push(format!("default policy: {}", fw.default_policy));
    let mut qs = vec![Question {
        shows: shows.clone(),
        at,
        text: format!(
            "What will {} do with this SYN from port {} to port {}?",
            v.middlebox,
            p.src.port(),
            p.dst.port()
        ),
        choices: actions.iter().map(|a| (*a).to_owned()).collect(),
        answer,
        explain: if ask_rule {
            format!("{} will {} it: {seen}.", v.middlebox, v.action)
        } else {
            format!(
                "{} will {} it: {seen}, and {decides}.",
                v.middlebox, v.action
            )
        },
    }];
    if ask_rule {
        let explain = match v.rule() {
            Some(_) => format!(
                "{decides}: the rules are read from the top and the first that matches wins ({seen})."
            ),
            None => format!(
                "None of the rules matches a SYN from port {} to port {}, so {} decides.",
                p.src.port(),
                p.dst.port(),
                v.rule_words()
            ),
        };
        qs.push(Question {
            shows,
            at,
            text: format!("Which rule of {} decides it?", v.middlebox),
            choices,
            answer: rule_answer,
            explain,
        });
    }
    qs
}

/// Once a PORT reaches the server or a 227 reaches the client: which port comes next.
fn port_questions(trace: &Trace, out: &mut Vec<Question>) {
    for (i, e) in trace.events.iter().enumerate() {
        let line = match &e.kind {
            EventKind::FtpCommand { line, sent: false } => line.clone(),
            EventKind::FtpReply {
                code: 227,
                text,
                sent: false,
            } => format!("227 {text}"),
            _ => continue,
        };
        let Some(Ok(a)) = announce::parse_any(&line) else {
            continue;
        };
        if !matches!(a.kind, announce::Kind::Port | announce::Kind::Pasv) {
            continue;
        }
        // A PORT the server refuses is never connected to: the question is whether it is
        // accepted (it asked "which port will the server connect to?" of a PORT answered 500).
        if a.kind.active()
            && let Some((code, text)) = server_reply_after(trace, i)
            && code >= 400
        {
            out.push(refused_port_question(i, &a, code, text));
            continue;
        }
        let who = if a.kind.active() {
            "the server"
        } else {
            "the client"
        };
        let port = a.port;
        let (p1, p2) = (u32::from(port >> 8), u32::from(port & 0xff));
        let mut choices: Vec<u32> = vec![u32::from(port), p1 + p2, p1 * 100 + p2, p2 * 256 + p1];
        if a.kind.active() {
            choices.push(20);
        } else {
            choices.push(21);
        }
        let mut seen = BTreeSet::new();
        choices.retain(|c| seen.insert(*c));
        choices.sort_unstable();
        let answer = choices
            .iter()
            .position(|c| *c == u32::from(port))
            .unwrap_or(0);
        out.push(Question {
            at: i,
            text: format!(
                "Which port will {who} connect to? (the last two numbers are p1 = {p1}, p2 = {p2})"
            ),
            choices: choices.iter().map(ToString::to_string).collect(),
            answer,
            shows: Vec::new(),
            // Every wrong choice is a mistake someone makes: the explanation names each.
            explain: format!(
                "{p1}·256 + {p2} = {port}: p1 counts 256s. Not p1 + p2 = {}, not p1·100 + p2 = {} (as if they were decimal digits), not p2·256 + p1 = {}. {}",
                p1 + p2,
                p1 * 100 + p2,
                p2 * 256 + p1,
                misconception(a.kind.active())
            ),
        });
    }
}

/// The server's reply to the command received at event `i` (same host, same connection).
fn server_reply_after(trace: &Trace, i: usize) -> Option<(u16, &str)> {
    let e = &trace.events[i];
    trace.events[i + 1..].iter().find_map(|x| match &x.kind {
        EventKind::FtpReply {
            code,
            text,
            sent: true,
        } if x.node == e.node && x.conn == e.conn => Some((*code, text.as_str())),
        _ => None,
    })
}

/// "Will the server accept this PORT?" for a PORT it refuses.
fn refused_port_question(at: usize, a: &announce::Announcement, code: u16, text: &str) -> Question {
    let addr = a.ip.map_or_else(String::new, |ip| ip.to_string());
    Question {
        at,
        text: format!(
            "The PORT names {addr} port {}. Will the server accept it and connect there?",
            a.port
        ),
        choices: vec![
            format!("Yes: it connects to {addr} port {}", a.port),
            format!("No: it refuses the PORT ({code}) and never connects"),
        ],
        answer: 1,
        shows: Vec::new(),
        explain: format!(
            "It answers {code} {text}. The server guards against the FTP bounce attack (vsftpd \
             and pyftpdlib both do by default): it accepts a PORT only for the address the control connection comes from, and only for a port \
             from 1024 up. {}",
            if a.port < 1024 {
                format!("Port {} is below 1024.", a.port)
            } else {
                format!(
                    "{addr} is not where the control connection comes from: behind a NAT without \
                     an ALG, the PORT still carries the client's private address."
                )
            }
        ),
    }
}

/// What the wrong answer that looks most right gets wrong.
fn misconception(active: bool) -> &'static str {
    if active {
        "Not 20: port 20 is where a server may connect from in active mode (vsftpd with connect_from_port_20=YES, as Debian ships it; upstream's default and pyftpdlib use an ephemeral port); it connects to the port the client named in PORT."
    } else {
        "Not 21: that is the control connection's port; the data connection goes to the port the server named in 227."
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::shipped_trace as trace;

    /// Seen in a teacher's trial: behind a NAT without an ALG the class was asked "Which port
    /// will the server connect to?" and told "it connects to the port the client named", but
    /// the server refuses the PORT with 500 and never connects.
    #[test]
    fn a_refused_port_asks_whether_it_is_accepted_not_where_it_leads() {
        let t = trace("nat-client-active-no-alg");
        let qs = questions(&t, &[]);
        assert!(
            !qs.iter()
                .any(|q| q.text.starts_with("Which port will the server"))
        );
        let q = qs
            .iter()
            .find(|q| q.text.contains("Will the server accept it"))
            .expect("a question about the refused PORT");
        assert!(q.choices[q.answer].starts_with("No: it refuses the PORT (500)"));
        assert!(q.explain.contains("private address"), "{}", q.explain);
        // Where the PORT is accepted, the port question stays.
        let ok = questions(&trace("active-open"), &[]);
        assert!(
            ok.iter()
                .any(|q| q.text.starts_with("Which port will the server"))
        );
    }

    #[test]
    fn the_drop_scenario_asks_what_the_client_firewall_does_with_the_data_syn() {
        let t = trace("active-client-fw-drops");
        let qs = questions(&t, &[]);
        let q = qs
            .iter()
            .find(|q| {
                q.text
                    .starts_with("What will client-fw do with this SYN from port 20")
            })
            .expect("a question about client-fw");
        assert_eq!(q.choices[q.answer], "drop");
        assert!(q.check(1) && !q.check(0));
        let r = qs
            .iter()
            .find(|x| x.at == q.at && x.text.starts_with("Which rule of client-fw"))
            .unwrap();
        assert!(r.choices[r.answer].starts_with("rule 2"));
        // The PORT question comes before, and its answer is the PORT arithmetic.
        let port = qs
            .iter()
            .find(|x| x.text.starts_with("Which port will the server"))
            .unwrap();
        assert!(port.at < q.at);
        let data = t
            .connections
            .iter()
            .find(|c| c.channel == Channel::Data)
            .unwrap();
        assert_eq!(port.choices[port.answer], data.responder.port().to_string());
        // The explanations give reasons, not only the answer.
        assert!(q.explain.contains("new"), "{}", q.explain);
        // The first answer does not give away the second question's.
        assert!(!q.explain.contains("rule 2"), "{}", q.explain);
        assert!(r.explain.contains("rule 2"), "{}", r.explain);
        assert!(port.explain.contains("Not 20"), "{}", port.explain);
        // Each distractor's mistake is named (a student who picked p1 + p2 learns why).
        for c in &port.choices {
            assert!(port.explain.contains(c.as_str()), "{c}: {}", port.explain);
        }
    }

    /// Seen in a teacher's trial (passive-range-mismatch): "… and the default policy (drop)
    /// decides" came one screen before "Which rule of server-fw decides it?", and neither
    /// said that no rule matched.
    #[test]
    fn when_no_rule_matches_the_explanation_says_so_after_the_rule_question() {
        let t = trace("passive-range-mismatch");
        let qs = questions(&t, &[]);
        let q = qs
            .iter()
            .find(|q| q.text.starts_with("What will server-fw"))
            .unwrap();
        assert!(!q.explain.contains("default policy"), "{}", q.explain);
        let r = qs
            .iter()
            .find(|x| x.text.starts_with("Which rule of server-fw"))
            .unwrap();
        assert!(
            r.explain.starts_with("None of the rules matches"),
            "{}",
            r.explain
        );
        assert_eq!(r.choices[r.answer], "the default policy");
    }

    #[test]
    fn no_question_about_a_firewall_without_rules_that_lets_the_syn_through() {
        // Seen in class: "What will server-fw do?" (it has no rules and accepts everything),
        // then "Which rule of server-fw decides it?" with one choice, the default policy.
        let t = trace("active-client-fw-drops");
        let qs = questions(&t, &[]);
        assert!(
            qs.iter().all(|q| !q.text.contains("server-fw")),
            "{:?}",
            qs.iter().map(|q| &q.text).collect::<Vec<_>>()
        );
        assert!(qs.iter().all(|q| q.choices.len() >= 2));
    }
}
