//! What the panels read besides the trace: each packet's journey across the links, the
//! playback cursor, and the narration of an event. Plain data derived from a `Trace`, with no
//! egui in it, so it is tested like the rest of the library.
//!
//! The cursor is an index into `trace.events`; `time` is the virtual time the animation shows.
//! Stepping sets both; playing advances `time` and the cursor follows it. Stepping back is exact
//! because the trace is complete: nothing is recomputed.

use crate::firewall::CtState;
use crate::ftp::Mode;
use crate::ftp::announce::{self, Kind};
use crate::ftp::command::masked;
use crate::ids::{JourneyId, NodeId, PacketId};
use crate::time::Time;
use crate::trace::{Channel, EventKind, NodeKind, PacketFate, Step, Trace, Verdict};

/// One hop of a packet: from one node to the next over a link.
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    /// The Sent/Forwarded event that put the packet on the link.
    pub event: usize,
    pub from: NodeId,
    pub to: NodeId,
    pub t0: Time,
    pub t1: Time,
    /// The packet as it was on this link (a NAT on the way makes a new version).
    pub packet: PacketId,
}

/// Where a packet's journey ended.
#[derive(Clone, Debug, PartialEq)]
pub enum End {
    Delivered,
    Dropped(Verdict),
    Rejected(Verdict),
    Unroutable,
    /// Still on a link when the run ended.
    InFlight,
}

/// A packet from the host that sent it to where it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    /// The packet as its sender sent it.
    pub packet: PacketId,
    /// The packet as it was where it ended.
    pub last_packet: PacketId,
    pub channel: Option<Channel>,
    pub step: Option<Step>,
    pub first_event: usize,
    pub last_event: usize,
    pub from: NodeId,
    /// The node where it ended (destination, or the firewall that stopped it).
    pub to: NodeId,
    pub start: Time,
    pub end_time: Time,
    pub end: End,
    pub hops: Vec<Hop>,
}

/// Journeys of a trace, and which journey each event belongs to.
#[derive(Clone, Debug, Default)]
pub struct Journeys {
    pub list: Vec<Journey>,
    pub of_event: Vec<Option<usize>>,
}

impl Journeys {
    pub fn new(trace: &Trace) -> Journeys {
        let mut list: Vec<Journey> = Vec::new();
        let mut by_journey: std::collections::BTreeMap<JourneyId, usize> = Default::default();
        let mut of_event = vec![None; trace.events.len()];
        for (i, e) in trace.events.iter().enumerate() {
            let EventKind::Packet { packet, fate } = &e.kind else {
                continue;
            };
            let j = *by_journey
                .entry(trace.packets[*packet].journey)
                .or_insert_with(|| {
                    list.push(Journey {
                        packet: *packet,
                        last_packet: *packet,
                        channel: e.channel,
                        step: e.step,
                        first_event: i,
                        last_event: i,
                        from: e.node,
                        to: e.node,
                        start: e.time,
                        end_time: e.time,
                        end: End::InFlight,
                        hops: Vec::new(),
                    });
                    list.len() - 1
                });
            of_event[i] = Some(j);
            let jr = &mut list[j];
            jr.last_event = i;
            jr.end_time = e.time;
            jr.to = e.node;
            jr.last_packet = *packet;
            if jr.step.is_none() {
                jr.step = e.step;
            }
            match fate {
                PacketFate::Sent { link } | PacketFate::Forwarded { link, .. } => {
                    if let Some(l) = trace.link(*link) {
                        let on_link = match fate {
                            PacketFate::Forwarded {
                                rewritten: Some(q), ..
                            } => *q,
                            _ => *packet,
                        };
                        jr.last_packet = on_link;
                        jr.hops.push(Hop {
                            event: i,
                            from: e.node,
                            to: l.other(e.node),
                            t0: e.time,
                            t1: Time::from_micros(e.time.micros() + l.delay_us),
                            packet: on_link,
                        });
                        jr.end = End::InFlight;
                    }
                }
                PacketFate::Delivered => jr.end = End::Delivered,
                PacketFate::Dropped { verdict } => jr.end = End::Dropped(verdict.clone()),
                PacketFate::Rejected { verdict, .. } => jr.end = End::Rejected(verdict.clone()),
                PacketFate::Unroutable { .. } => jr.end = End::Unroutable,
            }
        }
        Journeys { list, of_event }
    }

    /// The journey the cursor is on: the event's own, or the last one begun before it.
    pub fn at_cursor(&self, cursor: usize) -> Option<usize> {
        if let Some(Some(j)) = self.of_event.get(cursor) {
            return Some(*j);
        }
        self.of_event
            .get(..=cursor.min(self.of_event.len().saturating_sub(1)))?
            .iter()
            .rev()
            .find_map(|j| *j)
    }
}

/// The nodes in the order they sit on the path (client first), for the topology and ladder.
pub fn node_order(trace: &Trace) -> Vec<NodeId> {
    let n = trace.nodes.len();
    if n == 0 {
        return Vec::new();
    }
    let start = trace
        .nodes
        .iter()
        .position(|x| x.kind == NodeKind::Client)
        .map_or(NodeId(0), NodeId::new);
    let mut order = vec![start];
    let mut seen = vec![false; n];
    seen[start.index()] = true;
    let mut cur = start;
    loop {
        let next = trace.links.iter().find_map(|l| {
            let other = l.other(cur);
            ((l.a == cur || l.b == cur) && !seen[other.index()]).then_some(other)
        });
        match next {
            Some(x) => {
                seen[x.index()] = true;
                order.push(x);
                cur = x;
            }
            None => break,
        }
    }
    // Anything not on the chain goes at the end.
    order.extend((0..n).filter(|i| !seen[*i]).map(NodeId::new));
    order
}

/// Playback speeds: virtual seconds per real second.
pub const SPEEDS: [f64; 7] = [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0];
pub const DEFAULT_SPEED: usize = 2;

pub fn speed_words(i: usize) -> String {
    let s = SPEEDS[i.min(SPEEDS.len() - 1)];
    if s >= 1.0 {
        "real time".to_owned()
    } else {
        format!("1/{:.0} of real time", 1.0 / s)
    }
}

/// The playback state.
#[derive(Clone, Debug)]
pub struct Playback {
    pub cursor: usize,
    /// Virtual seconds shown by the animation.
    pub time: f64,
    pub playing: bool,
    pub speed: usize,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            cursor: 0,
            time: 0.0,
            playing: false,
            speed: DEFAULT_SPEED,
        }
    }
}

/// A timeline command. Buttons and keys send these; `Playback::apply` is the one place that
/// carries them out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    TogglePlay,
    StepForward,
    StepBack,
    Start,
    End,
    JumpToStep(u8),
    Faster,
    Slower,
    SetSpeed(usize),
    SeekTime(f64),
    SeekEvent(usize),
}

impl Playback {
    pub fn event_time(trace: &Trace, i: usize) -> f64 {
        trace.events.get(i).map_or(0.0, |e| e.time.secs_f64())
    }

    pub fn end_time(trace: &Trace) -> f64 {
        trace.events.last().map_or(0.0, |e| e.time.secs_f64())
    }

    fn seek_event(&mut self, trace: &Trace, i: usize) {
        let last = trace.events.len().saturating_sub(1);
        self.cursor = i.min(last);
        self.time = Self::event_time(trace, self.cursor);
    }

    /// The last event at or before virtual time `t`.
    fn cursor_for_time(trace: &Trace, t: f64) -> usize {
        let us = (t.max(0.0) * 1e6).round() as u64;
        let n = trace.events.partition_point(|e| e.time.micros() <= us);
        n.saturating_sub(1)
    }

    pub fn apply(&mut self, trace: &Trace, cmd: Command) {
        let last = trace.events.len().saturating_sub(1);
        match cmd {
            Command::TogglePlay => {
                if !self.playing && self.cursor >= last {
                    self.seek_event(trace, 0);
                }
                self.playing = !self.playing;
            }
            Command::StepForward => {
                self.playing = false;
                // When playing stopped between events, the next event is the one after the
                // animation time.
                self.seek_event(trace, (self.cursor + 1).min(last));
            }
            Command::StepBack => {
                self.playing = false;
                self.seek_event(trace, self.cursor.saturating_sub(1));
            }
            Command::Start => {
                self.playing = false;
                self.seek_event(trace, 0);
            }
            Command::End => {
                self.playing = false;
                self.seek_event(trace, last);
            }
            Command::JumpToStep(n) => {
                self.playing = false;
                if let Some(i) = step_target(trace, self.cursor, n) {
                    self.seek_event(trace, i);
                }
            }
            Command::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Command::Slower => self.speed = self.speed.saturating_sub(1),
            Command::SetSpeed(i) => self.speed = i.min(SPEEDS.len() - 1),
            Command::SeekTime(t) => {
                self.playing = false;
                let end = Self::end_time(trace);
                self.time = t.clamp(0.0, end);
                self.cursor = Self::cursor_for_time(trace, self.time);
            }
            Command::SeekEvent(i) => {
                self.playing = false;
                self.seek_event(trace, i);
            }
        }
    }

    /// Advance a playing animation by `dt` real seconds. Quiet stretches (nothing on a link)
    /// are skipped, so a 60 s wait for a timeout does not take minutes of class time.
    pub fn advance(&mut self, trace: &Trace, journeys: &Journeys, dt: f64) {
        if !self.playing {
            return;
        }
        let end = Self::end_time(trace);
        let mut t = self.time + dt * SPEEDS[self.speed.min(SPEEDS.len() - 1)];
        let busy = journeys.list.iter().any(|j| {
            j.hops
                .iter()
                .any(|h| h.t0.secs_f64() <= self.time && self.time < h.t1.secs_f64())
        });
        if !busy {
            let next = trace
                .events
                .iter()
                .find(|e| e.time.secs_f64() > self.time)
                .map(|e| e.time.secs_f64());
            if let Some(n) = next
                && n > t
            {
                t = n;
            }
        }
        if t >= end {
            t = end;
            self.playing = false;
        }
        self.time = t;
        self.cursor = Self::cursor_for_time(trace, t);
    }

    /// After a re-run: keep the cursor at the same handshake step (the same occurrence of it)
    /// where the new trace still has it, else at the same virtual time.
    pub fn carry_over(&mut self, old: &Trace, new: &Trace) {
        self.playing = false;
        let at = old.events.get(self.cursor);
        let target = at.and_then(|e| {
            let step = e.step?;
            let nth = old.events[..self.cursor]
                .iter()
                .filter(|x| x.step == Some(step))
                .count();
            let same: Vec<usize> = new
                .events
                .iter()
                .enumerate()
                .filter(|(_, x)| x.step == Some(step))
                .map(|(i, _)| i)
                .collect();
            same.get(nth).or(same.last()).copied()
        });
        match target {
            Some(i) => self.seek_event(new, i),
            None => {
                let t = self.time.min(Self::end_time(new));
                self.cursor = Self::cursor_for_time(new, t);
                self.time = t;
            }
        }
    }
}

/// The first event of step `n` in the exchange the cursor is in (the exchange starts at the
/// last step 1 at or before the cursor), or the first in the trace.
pub fn step_target(trace: &Trace, cursor: usize, n: u8) -> Option<usize> {
    let is = |i: usize, k: u8| trace.events[i].step.is_some_and(|s| s.n == k);
    // A packet of the step is what a student expects to see; a TCP state change of the same
    // step (the listener turning SYN-RECEIVED) is only the fallback.
    let packet = |i: usize| matches!(trace.events[i].kind, EventKind::Packet { .. });
    let from = (0..=cursor.min(trace.events.len().saturating_sub(1)))
        .rev()
        .find(|i| is(*i, 1))
        .unwrap_or(0);
    let all = 0..trace.events.len();
    (from..trace.events.len())
        .find(|i| is(*i, n) && packet(*i))
        .or_else(|| all.clone().find(|i| is(*i, n) && packet(*i)))
        .or_else(|| all.clone().find(|i| is(*i, n)))
}

/// The step words of the seed article.
pub fn step_title(step: Step) -> &'static str {
    match (step.mode, step.n) {
        (Mode::Active, 1) => {
            "the client connects to port 21 and tells the server which port it will use for data"
        }
        (Mode::Active, 2) => "the server acknowledges",
        (Mode::Active, 3) => {
            "the server connects from its data port to the port the client announced"
        }
        (Mode::Active, 4) => "the client acknowledges",
        (Mode::Passive, 1) => "the client asks the server for passive mode (PASV)",
        (Mode::Passive, 2) => "the server responds with the data port to use",
        (Mode::Passive, 3) => "the client opens a second connection to that port",
        (Mode::Passive, 4) => "the server acknowledges",
        _ => "",
    }
}

/// What an FTP reply code means, in a sentence.
pub fn reply_meaning(code: u16) -> &'static str {
    match code {
        150 => "the server is about to open (or use) the data connection",
        200 => "command okay",
        220 => "the server is ready for a new user",
        221 => "the server closes the control connection",
        226 => "transfer complete; the data connection is closed",
        227 => "entering passive mode: the reply carries the address and port to connect to",
        230 => "the user is logged in",
        250 => "the file action is done",
        257 => "a path name",
        331 => "user name okay, the password is needed",
        421 => "the service is closing the control connection",
        425 => "the server could not open the data connection",
        426 => "the connection closed; the transfer was aborted",
        500 => "syntax error, command not recognised",
        501 => "syntax error in the arguments",
        502 => "command not implemented",
        530 => "not logged in",
        550 => "the file is unavailable",
        _ => "",
    }
}

/// `PORT 198,51,100,7,141,221` → `198.51.100.7 port 141·256+221 = 36317`; for EPRT and 229
/// (which write the port in decimal) the address and port as written.
pub fn host_port_words(ftp_line: &str) -> Option<String> {
    let a = announce::parse_any(ftp_line.trim())?.ok()?;
    let p = a.port;
    let ip =
        a.ip.map_or("the control connection's address".to_owned(), |ip| {
            ip.to_string()
        });
    Some(match a.kind {
        Kind::Port | Kind::Pasv => format!("{ip} port {}·256+{} = {p}", p / 256, p % 256),
        Kind::Eprt | Kind::Epsv => format!("{ip} port {p}"),
    })
}

fn verdict_sentence(v: &Verdict) -> String {
    let state = match v.state {
        CtState::New => "a new connection",
        CtState::Established => "part of an established connection",
        CtState::Related => "related to a connection it tracks",
        CtState::Invalid => "invalid",
        CtState::Untracked => "not tracked",
    };
    let seen = if v.why.is_empty() {
        state.to_owned()
    } else {
        v.why.clone()
    };
    format!(
        "Why: {} of {} matched it. Connection tracking saw {seen}.",
        v.rule_words(),
        v.middlebox
    )
}

/// The narration of event `i`: a headline (the step, or what happened) and the detail.
pub fn narrate(trace: &Trace, i: usize) -> (String, String) {
    let Some(e) = trace.events.get(i) else {
        return ("Nothing has happened yet.".to_owned(), String::new());
    };
    let node = trace.node_name(e.node).to_owned();
    let headline = match e.step {
        Some(s) => format!("Step {}: {}.", s.n, step_title(s)),
        None => match e.channel {
            Some(Channel::Data) => "The data connection.".to_owned(),
            Some(Channel::Control) => "The control connection.".to_owned(),
            None => String::new(),
        },
    };
    let detail = match &e.kind {
        EventKind::Packet { packet, fate } => {
            let p = &trace.packets[*packet];
            let what = p.summary();
            let chan = match e.channel {
                Some(Channel::Data) => "data",
                _ => "control",
            };
            let mut s = match fate {
                PacketFate::Sent { .. } => format!("{node} sends {what} ({chan} connection)."),
                PacketFate::Forwarded {
                    verdict: Some(v), ..
                } => format!("{what} passes {node}. {}", verdict_sentence(v)),
                PacketFate::Forwarded { .. } => format!("{what} passes {node}."),
                PacketFate::Delivered => format!("{what} arrives at {node}."),
                PacketFate::Dropped { verdict } => format!(
                    "{what} is DROPPED at {node}. {} Nothing goes back: the sender only sees silence and will retry.",
                    verdict_sentence(verdict)
                ),
                PacketFate::Rejected { verdict, .. } => format!(
                    "{what} is REJECTED at {node}. {} The firewall answers with a TCP RST, so the sender learns at once.",
                    verdict_sentence(verdict)
                ),
                PacketFate::Unroutable { why } => {
                    format!(
                        "{what} goes nowhere at {node}: {why}. Nothing answers: the sender will retry."
                    )
                }
            };
            if let Some(t) = &p.ftp_text
                && let Some(w) = host_port_words(t)
            {
                s.push_str(&format!(" It announces {w}."));
            }
            s
        }
        EventKind::FtpCommand { line, sent } => {
            let l = masked(line);
            if *sent {
                format!("The client sends the command {l}.")
            } else {
                format!("The server reads the command {l}.")
            }
        }
        EventKind::FtpReply { code, text, sent } => {
            let m = reply_meaning(*code);
            let m = if m.is_empty() {
                String::new()
            } else {
                format!(" ({m})")
            };
            if *sent {
                format!("The server replies {code} {text}{m}.")
            } else {
                format!("The client reads the reply {code} {text}{m}.")
            }
        }
        EventKind::Console { line } => format!("The user's terminal shows: {line}"),
        EventKind::TcpState {
            local,
            remote,
            from,
            to,
        } => format!("{node}: TCP {local} ↔ {remote} goes from {from} to {to}."),
        EventKind::ActionStarted { typed, .. } => format!("The user types: {typed}"),
        EventKind::ActionFinished { result } => {
            if result.ok {
                format!("'{}' worked: {}", result.action, result.detail)
            } else {
                format!("'{}' failed: {}", result.action, result.detail)
            }
        }
        EventKind::Note { text } => format!("{node} notes: {text}"),
    };
    (headline, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::gui::shipped_trace as trace;

    #[test]
    fn journeys_end_where_the_trace_says() {
        let t = trace("active-client-fw-drops");
        let j = Journeys::new(&t);
        let dropped: Vec<&Journey> = j
            .list
            .iter()
            .filter(|x| matches!(x.end, End::Dropped(_)))
            .collect();
        assert_eq!(dropped.len(), 6);
        let fw = t.nodes.iter().position(|n| n.name == "client-fw").unwrap();
        assert!(
            dropped
                .iter()
                .all(|d| d.to.index() == fw && d.hops.len() == 3)
        );
        assert_eq!(j.list.len(), t.packets.len());
    }

    #[test]
    fn node_order_runs_client_to_server() {
        let t = trace("active-open");
        let names: Vec<&str> = node_order(&t)
            .iter()
            .map(|i| t.nodes[*i].name.as_str())
            .collect();
        assert_eq!(
            names,
            ["client", "client-fw", "internet", "server-fw", "server"]
        );
    }

    #[test]
    fn step_back_undoes_step_forward_exactly() {
        let t = trace("active-client-fw-drops");
        let mut p = Playback::default();
        p.apply(&t, Command::JumpToStep(3));
        let (c, time) = (p.cursor, p.time);
        p.apply(&t, Command::StepForward);
        assert_ne!(p.cursor, c);
        p.apply(&t, Command::StepBack);
        assert_eq!((p.cursor, p.time), (c, time));
    }

    #[test]
    fn playing_skips_quiet_time_and_stops_at_the_end() {
        let t = trace("active-client-fw-drops");
        let j = Journeys::new(&t);
        let mut p = Playback::default();
        p.apply(&t, Command::TogglePlay);
        let mut frames = 0;
        while p.playing && frames < 100_000 {
            p.advance(&t, &j, 1.0 / 60.0);
            frames += 1;
        }
        assert_eq!(p.cursor, t.events.len() - 1);
        // 60 s of virtual time at 1/50 speed would be 3000 s of frames without the skip.
        assert!(frames < 60 * 120, "{frames} frames");
    }

    #[test]
    fn port_arithmetic_words() {
        assert_eq!(
            host_port_words("PORT 198,51,100,7,141,221").unwrap(),
            "198.51.100.7 port 141·256+221 = 36317"
        );
        assert_eq!(
            host_port_words("227 Entering Passive Mode (203,0,113,10,39,17).").unwrap(),
            "203.0.113.10 port 39·256+17 = 10001"
        );
        assert!(host_port_words("LIST").is_none());
    }
}
