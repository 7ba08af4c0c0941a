//! What the panels read besides the trace: each packet's journey across the links, the
//! playback cursor, and the narration of an event. Plain data derived from a `Trace`, with no
//! egui in it, so it is tested like the rest of the library.
//!
//! The cursor is an index into `trace.events`; `time` is the virtual time the animation shows.
//! Stepping sets both; playing advances `time` and the cursor follows it. Stepping back is exact
//! because the trace is complete: nothing is recomputed.

use crate::ids::{JourneyId, NodeId, PacketId};
use crate::time::Time;
use crate::trace::{Channel, EventKind, PacketFate, Step, Trace, Verdict};

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
    /// Each event's time.
    times: Vec<Time>,
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
                PacketFate::Dropped { verdict } => jr.end = End::Dropped((**verdict).clone()),
                PacketFate::Rejected { verdict, .. } => jr.end = End::Rejected((**verdict).clone()),
                PacketFate::Unroutable { .. } => jr.end = End::Unroutable,
            }
        }
        let times = trace.events.iter().map(|e| e.time).collect();
        Journeys {
            list,
            of_event,
            times,
        }
    }

    /// The journey the cursor is on: the event's own, or the last one begun before it.
    pub fn at_cursor(&self, cursor: usize) -> Option<usize> {
        if let Some(Some(j)) = self.of_event.get(cursor) {
            return Some(*j);
        }
        // An FTP line (or another host event) comes just before the packet that carries it,
        // at the same time: that packet is the one the cursor is about.
        if let Some(&Some(j)) = self
            .of_event
            .get(cursor + 1..)
            .and_then(|r| r.iter().take(4).find(|j| j.is_some()))
            && self
                .list
                .get(j)
                .is_some_and(|jr| Some(jr.start) == self.start_of(cursor))
        {
            return Some(j);
        }
        self.of_event
            .get(..=cursor.min(self.of_event.len().saturating_sub(1)))?
            .iter()
            .rev()
            .find_map(|j| *j)
    }
}

impl Journeys {
    /// The time of event `i` as the journeys know it (the start of a journey at that event).
    fn start_of(&self, i: usize) -> Option<Time> {
        self.times.get(i).copied()
    }
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

/// How far one step (→ or ←) goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Granularity {
    /// Every event (a packet at each hop, each TCP state change, each line).
    #[default]
    Event,
    /// Every packet, where it ends (delivered, dropped, refused).
    Packet,
    /// Every FTP command and reply, and the packets that decide the data connection.
    Ftp,
    /// Every step of the four-step handshake.
    Step,
}

impl Granularity {
    pub const ALL: [Granularity; 4] = [
        Granularity::Event,
        Granularity::Packet,
        Granularity::Ftp,
        Granularity::Step,
    ];

    pub fn words(self) -> &'static str {
        match self {
            Granularity::Event => "every event",
            Granularity::Packet => "every packet",
            Granularity::Ftp => "FTP commands and replies",
            Granularity::Step => "handshake steps",
        }
    }
}

/// Where each granularity stops, and predict mode's questions: computed once per trace.
#[derive(Clone, Debug, Default)]
pub struct Lesson {
    stops: [Vec<usize>; 4],
    pub questions: Vec<super::questions::Question>,
}

fn is_stopped(f: &PacketFate) -> bool {
    matches!(
        f,
        PacketFate::Dropped { .. } | PacketFate::Rejected { .. } | PacketFate::Unroutable { .. }
    )
}

/// Where "handshake steps" stops: the first event of each of the four steps of every data
/// connection (the command, its reply, the SYN, the connection up), each packet stopped on
/// the way, and each failing reply (4xx, 5xx). It used to stop only at packets, so steps 1
/// and 2 (command and reply), the drop and the 425 were skipped.
fn step_stops(trace: &Trace) -> Vec<usize> {
    let mut stops = Vec::new();
    let mut last = None;
    for (i, e) in trace.events.iter().enumerate() {
        let decisive = match &e.kind {
            EventKind::Packet { fate, .. } => is_stopped(fate),
            EventKind::FtpReply { code, sent, .. } => !*sent && *code >= 400,
            _ => false,
        };
        let new_step = e.step.is_some() && e.step != last && shown_moment(&e.kind);
        if decisive && let EventKind::FtpReply { code, .. } = &e.kind {
            // A failing reply: stop where the user's terminal shows it (the story said "the
            // client reads the reply 425" while the terminal did not have it yet).
            stops.push(shown_on_terminal(trace, i, *code).unwrap_or(i));
        } else if decisive || new_step {
            stops.push(i);
        }
        if e.step.is_some() && shown_moment(&e.kind) {
            last = e.step;
        }
    }
    stops
}

/// The terminal line that shows the reply read at event `i`, if one follows closely.
fn shown_on_terminal(trace: &Trace, i: usize, code: u16) -> Option<usize> {
    let node = trace.events[i].node;
    trace
        .events
        .iter()
        .enumerate()
        .skip(i + 1)
        .take(8)
        .find(|(_, e)| {
            e.node == node
                && matches!(e.kind, EventKind::Console { shown: crate::trace::Shown::Reply(c), .. } if c == code)
        })
        .map(|(j, _)| j)
}

/// An event a step can begin at: a line sent or read, or a packet.
fn shown_moment(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::FtpCommand { sent: true, .. }
            | EventKind::FtpReply { sent: false, .. }
            | EventKind::Packet { .. }
    )
}

impl Lesson {
    pub fn new(
        trace: &Trace,
        journeys: &Journeys,
        own: &[crate::scenario::QuestionSpec],
    ) -> Lesson {
        let n = trace.events.len();
        let events: Vec<usize> = (0..n).collect();
        let packets: Vec<usize> = {
            let mut v: Vec<usize> = journeys.list.iter().map(|j| j.last_event).collect();
            v.sort_unstable();
            v
        };
        let ftp: Vec<usize> = trace
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| match &e.kind {
                EventKind::FtpCommand { sent: true, .. }
                | EventKind::FtpReply { sent: false, .. } => true,
                EventKind::Packet { fate, .. } => {
                    is_stopped(fate)
                        || (e.step.is_some_and(|s| s.n >= 3)
                            && matches!(fate, PacketFate::Delivered))
                }
                _ => false,
            })
            .map(|(i, _)| i)
            .collect();
        let steps = step_stops(trace);
        Lesson {
            stops: [events, packets, ftp, steps],
            questions: super::questions::questions(trace, own),
        }
    }

    fn stops(&self, g: Granularity) -> &[usize] {
        &self.stops[g as usize]
    }

    /// Where stepping at granularity `g` stops (event indices, in order).
    pub fn stops_of(&self, g: Granularity) -> &[usize] {
        self.stops(g)
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
    pub granularity: Granularity,
    /// Predict mode: the future is hidden and questions are asked before decisive moments.
    pub predict: bool,
    /// The question being asked (an index into `Lesson::questions`).
    pub asking: Option<usize>,
    /// The questions answered in this run.
    pub answered: std::collections::BTreeSet<usize>,
    /// While playing: the last quiet stretch skipped (virtual seconds), said on screen so
    /// that a jump from 7 s to 15 s is not taken for a glitch.
    pub skipped: Option<f64>,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            cursor: 0,
            time: 0.0,
            playing: false,
            speed: DEFAULT_SPEED,
            granularity: Granularity::Event,
            predict: false,
            asking: None,
            answered: Default::default(),
            skipped: None,
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
    SetGranularity(Granularity),
    /// Predict mode's question `q` was answered (the cursor may go on).
    Answered(usize),
}

impl Playback {
    /// A playback at the start of a new run, keeping the user's speed, granularity and
    /// predict mode.
    pub fn fresh(&self) -> Playback {
        Playback {
            speed: self.speed,
            granularity: self.granularity,
            predict: self.predict,
            ..Playback::default()
        }
    }

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

    /// The first unanswered question at or after the cursor and before event `until`.
    fn question_before(&self, lesson: &Lesson, until: usize) -> Option<usize> {
        if !self.predict {
            return None;
        }
        lesson
            .questions
            .iter()
            .enumerate()
            .find(|(k, q)| q.at >= self.cursor && q.at < until && !self.answered.contains(k))
            .map(|(k, _)| k)
    }

    /// Moves forward to `target`, unless predict mode has a question on the way: then stops
    /// at the question's event and asks it.
    fn forward_to(&mut self, trace: &Trace, lesson: &Lesson, target: usize) {
        match self.question_before(lesson, target) {
            Some(k) => {
                self.seek_event(trace, lesson.questions[k].at);
                self.asking = Some(k);
                self.playing = false;
            }
            None => self.seek_event(trace, target),
        }
    }

    /// Moves to event `i`: backwards freely, forwards only as far as the next question in
    /// predict mode (a click or a jump does not skip the class's turn).
    fn go_to(&mut self, trace: &Trace, lesson: &Lesson, i: usize) {
        if i > self.cursor {
            self.forward_to(trace, lesson, i);
        } else {
            self.seek_event(trace, i);
        }
    }

    pub fn apply(&mut self, trace: &Trace, lesson: &Lesson, cmd: Command) {
        let last = trace.events.len().saturating_sub(1);
        if self.asking.is_some()
            && !matches!(
                cmd,
                Command::Answered(_)
                    | Command::SetSpeed(_)
                    | Command::Faster
                    | Command::Slower
                    | Command::SetGranularity(_)
            )
            && self.predict
        {
            // A question is open: it is answered first.
            return;
        }
        self.skipped = None;
        match cmd {
            Command::TogglePlay => {
                if !self.playing && self.cursor >= last {
                    self.seek_event(trace, 0);
                }
                self.playing = !self.playing;
            }
            Command::StepForward => self.step_forward(trace, lesson),
            Command::StepBack => self.step_back(trace, lesson),
            Command::SetGranularity(g) => self.granularity = g,
            Command::Answered(k) => self.answered(lesson, k),
            Command::Start => {
                self.playing = false;
                self.seek_event(trace, 0);
            }
            Command::End => {
                self.playing = false;
                self.go_to(trace, lesson, last);
            }
            Command::JumpToStep(n) => {
                self.playing = false;
                if let Some(i) = step_target(trace, self.cursor, n) {
                    self.go_to(trace, lesson, i);
                }
            }
            Command::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            Command::Slower => self.speed = self.speed.saturating_sub(1),
            Command::SetSpeed(i) => self.speed = i.min(SPEEDS.len() - 1),
            Command::SeekTime(t) => self.seek_time(trace, lesson, t),
            Command::SeekEvent(i) => {
                self.playing = false;
                self.go_to(trace, lesson, i);
            }
        }
    }

    fn step_forward(&mut self, trace: &Trace, lesson: &Lesson) {
        let last = trace.events.len().saturating_sub(1);
        self.playing = false;
        let stops = lesson.stops(self.granularity);
        let next = stops[stops.partition_point(|&i| i <= self.cursor)..]
            .first()
            .copied()
            .unwrap_or(last);
        self.forward_to(trace, lesson, next.min(last));
    }

    fn step_back(&mut self, trace: &Trace, lesson: &Lesson) {
        self.playing = false;
        let stops = lesson.stops(self.granularity);
        let k = stops.partition_point(|&i| i < self.cursor);
        let prev = k.checked_sub(1).map_or(0, |k| stops[k]);
        self.seek_event(trace, prev);
    }

    fn answered(&mut self, lesson: &Lesson, k: usize) {
        self.answered.insert(k);
        if self.asking == Some(k) {
            self.asking = None;
        }
        // The next question at the same moment, if any, is asked at once.
        if let Some(next) = self.question_before(lesson, self.cursor + 1) {
            self.asking = Some(next);
        }
    }

    fn seek_time(&mut self, trace: &Trace, lesson: &Lesson, t: f64) {
        self.playing = false;
        let end = Self::end_time(trace);
        let t = t.clamp(0.0, end);
        let i = Self::cursor_for_time(trace, t);
        if self.predict && self.question_before(lesson, i + 1).is_some() {
            self.forward_to(trace, lesson, i);
        } else {
            self.time = t;
            self.cursor = i;
        }
    }

    /// Advance a playing animation by `dt` real seconds. Quiet stretches (nothing on a link)
    /// are skipped, so a 60 s wait for a timeout does not take minutes of class time.
    pub fn advance(&mut self, trace: &Trace, journeys: &Journeys, lesson: &Lesson, dt: f64) {
        if !self.playing {
            return;
        }
        let before = self.cursor;
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
                // Under half a second is a pause, not a stretch worth a word.
                if n - t >= 0.5 {
                    self.skipped = Some(n - self.time);
                }
                t = n;
            }
        }
        if t >= end {
            t = end;
            self.playing = false;
            self.skipped = None;
        }
        self.time = t;
        let now = Self::cursor_for_time(trace, t);
        self.cursor = before;
        match self.question_before(lesson, now + 1) {
            Some(_) => self.forward_to(trace, lesson, now + 1),
            None => self.cursor = now,
        }
    }

    /// After a re-run: keep the cursor at the same handshake step (the same occurrence of it)
    /// where the new trace still has it, else at the same virtual time.
    pub fn carry_over(&mut self, old: &Trace, new: &Trace) {
        self.playing = false;
        self.asking = None;
        self.answered.clear();
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
            // On the event at or before the same time, and at that event's time: the bars,
            // the story and the network view all show one time.
            None => {
                let same_place = at
                    .zip(new.events.get(self.cursor))
                    .is_some_and(|(a, b)| a.time == b.time && a.node == b.node && a.step == b.step);
                let i = if same_place {
                    self.cursor
                } else {
                    Self::cursor_for_time(new, self.time.min(Self::end_time(new)))
                };
                self.seek_event(new, i);
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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::gui::narrate::host_port_words;
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
        assert_eq!(dropped.len(), 10);
        let fw = t.nodes.iter().position(|n| n.name == "client-fw").unwrap();
        assert!(
            dropped
                .iter()
                .all(|d| d.to.index() == fw && d.hops.len() == 3)
        );
        assert_eq!(j.list.len(), t.packets.len());
    }

    #[test]
    fn step_back_undoes_step_forward_exactly() {
        let t = trace("active-client-fw-drops");
        let l = Lesson::new(&t, &Journeys::new(&t), &[]);
        for g in Granularity::ALL {
            let mut p = Playback {
                granularity: g,
                ..Playback::default()
            };
            p.apply(&t, &l, Command::JumpToStep(1));
            // From a place this granularity stops at, forward then back comes back to it.
            p.apply(&t, &l, Command::StepForward);
            let (c, time) = (p.cursor, p.time);
            p.apply(&t, &l, Command::StepForward);
            assert_ne!(p.cursor, c, "{g:?}");
            p.apply(&t, &l, Command::StepBack);
            assert_eq!((p.cursor, p.time), (c, time), "{g:?}");
        }
    }

    /// The step numbers and decisive moments "handshake steps" stops at, → from the start.
    fn step_walk(name: &str) -> (Vec<String>, Vec<usize>) {
        let t = trace(name);
        let l = Lesson::new(&t, &Journeys::new(&t), &[]);
        let mut p = Playback {
            granularity: Granularity::Step,
            ..Playback::default()
        };
        let mut seen = Vec::new();
        let mut at = Vec::new();
        for _ in 0..200 {
            let before = p.cursor;
            p.apply(&t, &l, Command::StepForward);
            if p.cursor == before {
                break;
            }
            let e = &t.events[p.cursor];
            at.push(p.cursor);
            seen.push(match &e.kind {
                EventKind::Packet { fate, .. } if is_stopped(fate) => "stopped".to_owned(),
                EventKind::FtpReply { code, .. } if *code >= 400 => code.to_string(),
                EventKind::Console {
                    shown: crate::trace::Shown::Reply(code),
                    ..
                } if *code >= 400 => format!("terminal {code}"),
                _ => e.step.map_or("-".to_owned(), |s| s.n.to_string()),
            });
        }
        // ← comes back through the same stops, in the reverse order.
        let mut back = Vec::new();
        for _ in 0..200 {
            let before = p.cursor;
            p.apply(&t, &l, Command::StepBack);
            if p.cursor == before {
                break;
            }
            back.push(p.cursor);
        }
        let mut fwd: Vec<usize> = at.iter().rev().skip(1).copied().collect();
        fwd.retain(|&c| c != 0);
        back.retain(|&c| c != 0);
        assert_eq!(back, fwd, "{name}: back is not forward reversed");
        (seen, at)
    }

    #[test]
    fn handshake_steps_visit_every_step_the_drop_and_the_failing_reply_both_ways() {
        let (mut seen, _) = step_walk("active-open");
        // The last stop is the end of the run.
        assert_eq!(seen.pop().as_deref(), Some("-"));
        // Two data connections (the listing and the download), four steps each, in order.
        let steps: Vec<&str> = seen.iter().map(String::as_str).collect();
        assert_eq!(steps, ["1", "2", "3", "4", "1", "2", "3", "4"], "{seen:?}");
        let (mut seen, _) = step_walk("active-client-fw-drops");
        assert_eq!(seen.pop().as_deref(), Some("-"));
        assert_eq!(&seen[..4], ["1", "2", "3", "stopped"], "{seen:?}");
        assert_eq!(
            seen.iter().filter(|s| *s == "stopped").count(),
            10,
            "{seen:?}"
        );
        // The 425 is stopped at where the user's terminal shows it.
        assert_eq!(
            seen.last().map(String::as_str),
            Some("terminal 425"),
            "{seen:?}"
        );
    }

    #[test]
    fn playing_skips_quiet_time_and_stops_at_the_end() {
        let t = trace("active-client-fw-drops");
        let j = Journeys::new(&t);
        let l = Lesson::new(&t, &j, &[]);
        let mut p = Playback::default();
        p.apply(&t, &l, Command::TogglePlay);
        let mut frames = 0;
        let mut skips = Vec::new();
        while p.playing && frames < 100_000 {
            p.advance(&t, &j, &l, 1.0 / 60.0);
            if let Some(q) = p.skipped
                && skips.last() != Some(&q)
            {
                skips.push(q);
            }
            frames += 1;
        }
        assert_eq!(p.cursor, t.events.len() - 1);
        // 60 s of virtual time at 1/50 speed would be 3000 s of frames without the skip.
        assert!(frames < 60 * 120, "{frames} frames");
        // Each skip is said, with how long it was: the quiet between the SYN retries (about
        // 1, 2, 4, 8, 16 s) and before the 60 s timeout.
        assert!(skips.len() >= 5, "{skips:?}");
        assert!(
            skips.iter().all(|q| *q >= 0.5) && skips.iter().any(|q| *q > 10.0),
            "{skips:?}"
        );
        assert_eq!(p.skipped, None, "said no more once the run ended");
    }

    fn first_dropped_syn(t: &Trace) -> usize {
        t.events
            .iter()
            .position(|e| {
                matches!(
                    &e.kind,
                    EventKind::Packet {
                        fate: PacketFate::Dropped { .. },
                        ..
                    }
                )
            })
            .unwrap()
    }

    #[test]
    fn ftp_granularity_reaches_the_dropped_syn_in_twelve_presses() {
        let t = trace("active-client-fw-drops");
        let l = Lesson::new(&t, &Journeys::new(&t), &[]);
        let target = first_dropped_syn(&t);
        let presses = |g: Granularity| {
            let mut p = Playback {
                granularity: g,
                ..Playback::default()
            };
            let mut n = 0;
            while p.cursor < target && n < 10_000 {
                p.apply(&t, &l, Command::StepForward);
                n += 1;
            }
            assert_eq!(p.cursor, target, "{g:?} steps over the dropped SYN");
            n
        };
        let ftp = presses(Granularity::Ftp);
        assert!(ftp <= 12, "{ftp} presses at FTP granularity");
        assert!(presses(Granularity::Event) > 50);
        assert!(presses(Granularity::Packet) > ftp);
    }

    #[test]
    fn predict_mode_stops_before_the_drop_and_waits_for_the_answer() {
        let t = trace("active-client-fw-drops");
        let l = Lesson::new(&t, &Journeys::new(&t), &[]);
        let target = first_dropped_syn(&t);
        let mut p = Playback {
            granularity: Granularity::Ftp,
            predict: true,
            ..Playback::default()
        };
        let mut asked = Vec::new();
        for _ in 0..200 {
            if let Some(k) = p.asking {
                // Nothing moves until the question is answered.
                let at = p.cursor;
                p.apply(&t, &l, Command::StepForward);
                p.apply(&t, &l, Command::End);
                assert_eq!(p.cursor, at);
                asked.push(k);
                p.apply(&t, &l, Command::Answered(k));
                continue;
            }
            if p.cursor >= target {
                break;
            }
            p.apply(&t, &l, Command::StepForward);
        }
        assert!(p.cursor >= target);
        let texts: Vec<&str> = asked
            .iter()
            .map(|k| l.questions[*k].text.as_str())
            .collect();
        assert!(
            texts
                .iter()
                .any(|q| q.starts_with("What will client-fw do")),
            "{texts:?}"
        );
        let drop_q = asked
            .iter()
            .find(|k| l.questions[**k].text.starts_with("What will client-fw do"))
            .unwrap();
        assert_eq!(l.questions[*drop_q].at + 1, target);
        // A jump to the end or a click on a later event stops at the first open question too.
        for cmd in [
            Command::End,
            Command::SeekEvent(target + 5),
            Command::SeekTime(1e9),
        ] {
            let mut p = Playback {
                predict: true,
                ..Playback::default()
            };
            p.apply(&t, &l, cmd);
            assert!(p.asking.is_some(), "{cmd:?} skipped the questions");
            assert_eq!(p.cursor, l.questions[p.asking.unwrap()].at);
        }
        // Playing stops at questions too.
        let j = Journeys::new(&t);
        let mut p = Playback {
            predict: true,
            ..Playback::default()
        };
        p.apply(&t, &l, Command::TogglePlay);
        let mut frames = 0;
        while p.playing && frames < 100_000 {
            p.advance(&t, &j, &l, 1.0 / 30.0);
            frames += 1;
        }
        assert!(p.asking.is_some(), "playing ran past every question");
        assert!(p.cursor < t.events.len() - 1);
    }

    #[test]
    fn after_a_rerun_the_cursor_and_the_clock_agree() {
        // Seen in the window: after "Revert" the bottom bar said t = 0.394 s while the story
        // and the top bar said 0.274 s (the clock had kept the edited run's time).
        let old = trace("active-client-fw-rejects");
        let new = trace("active-client-fw-drops");
        let mut checked = 0;
        for i in (0..old.events.len()).filter(|i| old.events[*i].step.is_none()) {
            let mut p = Playback::default();
            p.seek_event(&old, i);
            p.carry_over(&old, &new);
            assert_eq!(
                p.time,
                Playback::event_time(&new, p.cursor),
                "from event {i}"
            );
            checked += 1;
        }
        assert!(checked > 10);
    }

    #[test]
    fn the_journey_at_an_ftp_line_is_the_packet_that_carries_it() {
        // Seen at FTP granularity: the story said "the client sends PORT …" while the ladder
        // highlighted the row before ("230 Login successful.").
        let t = trace("active-client-fw-drops");
        let j = Journeys::new(&t);
        let mut checked = 0;
        for (i, e) in t.events.iter().enumerate() {
            let EventKind::FtpCommand { line, sent: true } = &e.kind else {
                continue;
            };
            let k = j.at_cursor(i).unwrap();
            let jr = &j.list[k];
            assert_eq!(
                jr.start, e.time,
                "{line}: journey {k} starts at {:?}",
                jr.start
            );
            assert!(jr.first_event > i, "{line}");
            checked += 1;
        }
        assert!(checked >= 4, "{checked}");
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
