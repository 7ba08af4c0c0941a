//! Step 6: what the hosts said and did. Each control line at both ends (the sender writes it,
//! the receiver reads it) and on the client's terminal, and the user's actions (connect,
//! login, each transfer, quit) as the commands and replies show them.

use super::assemble::{Assembly, Control, Line};
use super::canon;
use super::topology::Topology;
use crate::ftp::ActionKind;
use crate::ftp::ActionResult;
use crate::ftp::command::{masked, verb};
use crate::ids::{ConnId, NodeId};
use crate::time::Time;
use crate::trace::{Channel, ClientReport, Event, EventKind, Note, Outcome, Shown};
use std::collections::BTreeMap;

/// One user action found in a control conversation.
#[derive(Clone, Debug)]
struct Found {
    name: ActionKind,
    typed: String,
    start: u64,
    end: u64,
    ok: bool,
    reply: Option<u16>,
    detail: String,
}

/// One control connection's events, as its client and server saw them.
struct Session<'a> {
    x: &'a Assembly,
    t: &'a Topology,
    c: &'a Control,
    client: NodeId,
    server: NodeId,
    conn: Option<ConnId>,
}

impl Session<'_> {
    /// When node `node` saw the packet `cap`: earlier than the capture point if it sent it,
    /// later if it received it.
    fn at(&self, cap: usize, node: NodeId) -> u64 {
        let t = self.x.b.caps[cap].t + self.t.base;
        let d = self.t.dist.get(&node).copied().unwrap_or(0);
        let src = self.x.b.pkts[cap].src.ip();
        let sent_by = if node == self.client {
            src == self.c.client.ip()
        } else {
            src == self.c.server.ip()
        };
        if sent_by { t.saturating_sub(d) } else { t + d }
    }

    fn event(&self, time: u64, node: NodeId, kind: EventKind) -> Event {
        Event {
            time: Time::from_micros(time),
            node,
            kind,
            conn: self.conn,
            channel: Some(Channel::Control),
            step: None,
        }
    }

    fn put(&self, out: &mut Vec<Event>, cap: usize, node: NodeId, kind: EventKind) {
        out.push(self.event(self.at(cap, node), node, kind));
    }

    /// Each line at both ends, and what the client's terminal showed.
    fn lines(&self, out: &mut Vec<Event>) {
        let (cn, sn) = (self.client, self.server);
        for l in &self.c.lines {
            if l.from_client {
                let line = masked(&l.text);
                self.put(
                    out,
                    l.cap,
                    cn,
                    EventKind::FtpCommand {
                        line: line.clone(),
                        sent: true,
                    },
                );
                self.put(
                    out,
                    l.cap,
                    sn,
                    EventKind::FtpCommand {
                        line: line.clone(),
                        sent: false,
                    },
                );
                let console = EventKind::Console {
                    line: format!("> {line}{}", cut_mark(l)),
                    shown: Shown::Command,
                };
                self.put(out, l.cap, cn, console);
            } else if let Some(r) = &l.reply {
                let (code, text) = (r.code, r.text.clone());
                self.put(
                    out,
                    l.cap,
                    sn,
                    EventKind::FtpReply {
                        code,
                        text: text.clone(),
                        sent: true,
                    },
                );
                self.put(
                    out,
                    l.cap,
                    cn,
                    EventKind::FtpReply {
                        code,
                        text,
                        sent: false,
                    },
                );
                let console = EventKind::Console {
                    line: format!("{r}{}", cut_mark(l)),
                    shown: Shown::Reply(code),
                };
                self.put(out, l.cap, cn, console);
            }
        }
        if self.c.encrypted {
            let last = self.c.lines.last().map_or(0, |l| self.at(l.cap, cn));
            out.push(self.event(
                last,
                cn,
                EventKind::Note {
                    note: Note::Encrypted,
                },
            ));
        }
    }

    /// The user's actions: an ActionStarted and an ActionFinished each, and their results.
    /// `cut`: the file ends early, so an action still open at its end (no final reply, a
    /// data connection set up and not yet used) was cut off, not abandoned: it is left out
    /// rather than judged ("the client gave up on it" was said of a file cut mid-transfer).
    fn actions(&self, out: &mut Vec<Event>, report: &mut ClientReport, end: u64, cut: bool) {
        let mut found = actions(self, end);
        while cut && found.last().is_some_and(|a| !a.ok && a.reply.is_none()) {
            found.pop();
        }
        for a in found {
            let index = report.actions.len();
            let typed = a.typed.clone();
            out.push(self.event(
                a.start,
                self.client,
                EventKind::ActionStarted { index, typed },
            ));
            let result = ActionResult {
                index,
                action: a.name.clone(),
                ok: a.ok,
                reply: a.reply,
                detail: a.detail.clone(),
                bytes: 0,
            };
            let finished = EventKind::ActionFinished {
                result: Box::new(result.clone()),
            };
            out.push(self.event(a.end, self.client, finished));
            report.actions.push(result);
        }
    }
}

/// The FTP events of every control connection, and each client's report.
pub(super) fn ftp_events(
    x: &Assembly,
    t: &Topology,
    end: u64,
    cut: bool,
) -> (Vec<Event>, Vec<ClientReport>) {
    let mut events = Vec::new();
    let mut reports: BTreeMap<NodeId, ClientReport> = BTreeMap::new();
    for c in &x.controls {
        let client = t.node_of[c.client.ip()];
        let s = Session {
            x,
            t,
            c,
            client,
            server: t.node_of.get(c.server.ip()).copied().unwrap_or(t.capture),
            conn: Some(ConnId::new(c.conn)),
        };
        s.lines(&mut events);
        let report = reports.entry(client).or_insert_with(|| ClientReport {
            node: client,
            name: t.nodes[client.index()].name.clone(),
            actions: Vec::new(),
            outcome: Outcome::empty(""),
        });
        s.actions(&mut events, report, end, cut);
    }
    (events, reports.into_values().collect())
}

/// The index of the next final (not 1xx) reply after line `from`.
fn reply_after(lines: &[Line], from: usize) -> Option<usize> {
    lines[from + 1..]
        .iter()
        .position(|l| !l.from_client && l.reply.as_ref().is_some_and(|r| !r.is_preliminary()))
        .map(|p| from + 1 + p)
}

/// connect: from the first packet to the greeting, when the capture has it (a capture that
/// starts mid-session does not).
fn connect(s: &Session) -> Option<Found> {
    let lines = &s.c.lines;
    let flow = &s.x.b.flows[&canon(s.c.client, s.c.server)];
    let first = flow.packets.first().map_or(0, |&i| s.at(i, s.client));
    // The greeting is the first reply, whole (a multi-line 220- … 220 ends on its last line).
    let g = lines
        .iter()
        .take_while(|l| !l.from_client)
        .find(|l| l.reply.is_some())
        .filter(|g| flow.initiator.is_some() || g.reply.as_ref().is_some_and(|r| r.code == 220))?;
    let reply = g.reply.as_ref()?;
    let code = Some(reply.code);
    Some(Found {
        name: ActionKind::Connect,
        typed: format!("open {}", s.c.server),
        start: first,
        end: s.at(g.cap, s.client),
        ok: code == Some(220),
        reply: code,
        detail: reply.to_string(),
    })
}

/// The action a command at line `k` begins (`setup`: the line that set up a data connection
/// not used yet). Returns the action, and the new setup.
fn command(
    s: &Session,
    k: usize,
    setup: Option<usize>,
    end: u64,
    out: &mut Vec<Found>,
) -> Option<usize> {
    let lines = &s.c.lines;
    let t = |l: &Line| s.at(l.cap, s.client);
    let l = &lines[k];
    let v = verb(&l.text);
    let result = |d: Option<usize>| d.and_then(|d| lines[d].reply.clone());
    match v.as_str() {
        "USER" => {
            out.push(login(s, k, end));
            setup
        }
        "PORT" | "EPRT" | "PASV" | "EPSV" => {
            // A data connection set up but never used means the client gave up on it.
            if let Some(s0) = setup {
                out.push(gave_up(&lines[s0], t(&lines[s0]), t(l)));
            }
            match result(reply_after(lines, k)) {
                Some(r) if !r.is_success() => {
                    let d = reply_after(lines, k).unwrap_or(k);
                    out.push(Found {
                        name: ActionKind::DataTransfer,
                        typed: masked(&l.text),
                        start: t(l),
                        end: t(&lines[d]),
                        ok: false,
                        reply: Some(r.code),
                        detail: r.to_string(),
                    });
                    None
                }
                _ => Some(k),
            }
        }
        "LIST" | "NLST" | "RETR" | "STOR" | "APPE" => {
            out.push(transfer(s, k, setup, &v, end));
            None
        }
        "QUIT" => {
            if let Some(s0) = setup {
                out.push(gave_up(&lines[s0], t(&lines[s0]), t(l)));
            }
            let d = reply_after(lines, k);
            let r = result(d);
            out.push(Found {
                name: ActionKind::Quit,
                typed: "QUIT".into(),
                start: t(l),
                end: d.map_or(t(l), |d| t(&lines[d])),
                ok: true,
                reply: r.as_ref().map(|r| r.code),
                detail: r.map_or("closed".into(), |r| r.to_string()),
            });
            None
        }
        _ => setup,
    }
}

/// USER at line `k`: the login, to the first final reply that is not 331.
fn login(s: &Session, k: usize, end: u64) -> Found {
    let lines = &s.c.lines;
    let t = |l: &Line| s.at(l.cap, s.client);
    let l = &lines[k];
    let done = lines[k + 1..]
        .iter()
        .position(|x| {
            !x.from_client
                && x.reply
                    .as_ref()
                    .is_some_and(|r| r.code != 331 && !r.is_preliminary())
        })
        .map(|p| k + 1 + p);
    let r = done.and_then(|d| lines[d].reply.clone());
    Found {
        name: ActionKind::Login,
        typed: masked(&l.text),
        start: t(l),
        end: done.map_or(end, |d| t(&lines[d])),
        ok: r.as_ref().is_some_and(|r| r.code == 230),
        reply: r.as_ref().map(|r| r.code),
        detail: r.map_or("no reply".into(), |r| r.to_string()),
    }
}

/// A transfer command at line `k`: from the command that set up its data connection to its
/// final reply.
fn transfer(s: &Session, k: usize, setup: Option<usize>, v: &str, end: u64) -> Found {
    let lines = &s.c.lines;
    let t = |l: &Line| s.at(l.cap, s.client);
    let l = &lines[k];
    let start = setup.map_or(t(l), |s0| t(&lines[s0]));
    let arg = l.text.split_once(' ').map(|(_, a)| a.trim().to_owned());
    let name = match (v, arg) {
        ("RETR", Some(a)) => ActionKind::Get(a),
        ("STOR" | "APPE", Some(a)) => ActionKind::Put(a),
        _ => ActionKind::Ls,
    };
    let d = reply_after(lines, k);
    let r = d.and_then(|d| lines[d].reply.clone());
    Found {
        name,
        typed: masked(&l.text),
        start,
        end: d.map_or(end, |d| t(&lines[d])),
        ok: r.as_ref().is_some_and(|r| r.is_success()),
        reply: r.as_ref().map(|r| r.code),
        detail: r.map_or("no final reply was captured".into(), |r| r.to_string()),
    }
}

/// The user's actions, as the commands and replies show them: connect, login, each transfer
/// (from the command that set up its data connection to its final reply), quit.
fn actions(s: &Session, end: u64) -> Vec<Found> {
    let mut out: Vec<Found> = connect(s).into_iter().collect();
    let lines = &s.c.lines;
    let mut setup: Option<usize> = None;
    for (k, l) in lines.iter().enumerate() {
        if l.from_client {
            setup = command(s, k, setup, end, &mut out);
        }
    }
    if let Some(s0) = setup {
        out.push(gave_up(&lines[s0], s.at(lines[s0].cap, s.client), end));
    }
    out
}

fn gave_up(l: &Line, start: u64, end: u64) -> Found {
    Found {
        name: ActionKind::DataTransfer,
        typed: masked(&l.text),
        start,
        end,
        ok: false,
        reply: None,
        detail: "the data connection was never used: the client gave up on it".into(),
    }
}

/// After a line the capture cut short: says so.
fn cut_mark(l: &Line) -> &'static str {
    if l.cut {
        " … (the rest was not captured: snap length)"
    } else {
        ""
    }
}
