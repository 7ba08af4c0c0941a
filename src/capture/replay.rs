//! Step 5: each captured packet is replayed along the path client — capture point — server
//! with the inferred delays. A SYN never answered vanished after the capture point (dropped
//! there, or unroutable when it went to a private address); a SYN answered by a RST or an ICMP
//! error was refused.

use super::assemble::Assembly;
use super::topology::Topology;
use super::{LARGE, canon, is_private};
use crate::ftp::Mode;
use crate::ids::{ConnId, JourneyId, LinkId, NodeId, PacketId};
use crate::rules::{Action, CtState, Direction, Reason, RejectWith, Verdict};
use crate::time::Time;
use crate::trace::{Announced, Channel, Connection, Event, EventKind, Packet, PacketFate};
use std::collections::BTreeMap;

/// The mode a session's data connections use when its commands say so: only PORT/EPRT, or
/// only PASV/EPSV (a reply the snap length cut does not say which port).
fn commands_mode(c: &super::assemble::Control) -> Option<Mode> {
    let verbs = |want: &[&str]| {
        c.lines
            .iter()
            .any(|l| l.from_client && want.contains(&crate::ftp::command::verb(&l.text).as_str()))
    };
    match (verbs(&["PORT", "EPRT"]), verbs(&["PASV", "EPSV"])) {
        (true, false) => Some(Mode::Active),
        (false, true) => Some(Mode::Passive),
        _ => None,
    }
}

/// The trace's connections: the control connections, then the data connections.
pub(super) fn connections(
    x: &Assembly,
    t: &Topology,
    ids: &BTreeMap<usize, PacketId>,
) -> Vec<Connection> {
    let mut conns: Vec<Connection> = Vec::new();
    for c in &x.controls {
        conns.push(Connection {
            id: ConnId::new(conns.len()),
            channel: Channel::Control,
            client: t.node_of.get(c.client.ip()).copied(),
            initiator: c.client,
            responder: c.server,
            translated: Vec::new(),
            mode: None,
            announced: None,
        });
    }
    for d in &x.datas {
        let ctl = d.control.map(|c| &x.controls[c]);
        let mode = match d.announced {
            Some((k, _, _)) if k.active() => Mode::Active,
            Some(_) => Mode::Passive,
            // Both ends on one address (a capture on the loopback): who connected cannot
            // tell, the commands the session used can.
            None if ctl.is_some_and(|c| c.server.ip() == c.client.ip()) => {
                ctl.and_then(commands_mode).unwrap_or(Mode::Passive)
            }
            None if ctl.is_some_and(|c| c.server.ip() == d.initiator.ip()) => Mode::Active,
            None => Mode::Passive,
        };
        conns.push(Connection {
            id: ConnId::new(conns.len()),
            channel: Channel::Data,
            client: ctl.and_then(|c| t.node_of.get(c.client.ip()).copied()),
            initiator: d.initiator,
            responder: d.responder,
            translated: Vec::new(),
            mode: Some(mode),
            announced: d.announced.and_then(|(kind, target, cap)| {
                Some(Announced {
                    kind,
                    target,
                    packet: *ids.get(&cap)?,
                    control: ConnId::new(d.control?),
                })
            }),
        });
    }
    conns
}

/// Which capture refused which SYN: the last SYN before the refusal.
fn refused_syns(x: &Assembly) -> BTreeMap<usize, usize> {
    let mut refused = BTreeMap::new();
    for f in x.b.flows.values() {
        if let Some(r) = f.refused_by {
            let last_syn = f
                .packets
                .iter()
                .copied()
                .filter(|&i| i < r)
                .rfind(|&i| x.b.pkts[i].flags.syn && !x.b.pkts[i].flags.ack);
            if let Some(s) = last_syn {
                refused.insert(s, r);
            }
        }
    }
    refused
}

/// What the replay of one packet needs to know besides the packet.
struct Fate<'a> {
    vanished: bool,
    /// The RST or ICMP error that refused it, and that reply's id in the trace.
    refusal: Option<(&'a Packet, Option<PacketId>)>,
    receiver: Option<NodeId>,
}

/// The kept packets become the trace's (moved in place, in order) and each is replayed hop by
/// hop: its events.
pub(super) fn packets(
    x: &mut Assembly,
    t: &Topology,
    kept: &[usize],
    conns: &[Connection],
    ids: &BTreeMap<usize, PacketId>,
) -> (Vec<Packet>, Vec<Event>) {
    let refused = refused_syns(x);
    // What the loop below needs from other packets, before the packets are moved out.
    let vanished: Vec<bool> = kept.iter().map(|&i| x.vanished(i)).collect();
    let refusals: BTreeMap<usize, (Packet, Option<PacketId>)> = refused
        .iter()
        .map(|(&syn, &r)| (syn, (x.b.pkts[r].clone(), ids.get(&r).copied())))
        .collect();
    let large = kept.len() > LARGE;
    let mut packets = std::mem::take(&mut x.b.pkts);
    for (k, &i) in kept.iter().enumerate() {
        packets.swap(k, i);
    }
    packets.truncate(kept.len());
    packets.shrink_to_fit();
    let mut events: Vec<Event> = Vec::with_capacity(kept.len() * 3 + 64);
    for (k, p) in packets.iter_mut().enumerate() {
        let i = kept[k];
        let id = PacketId::new(k);
        p.id = id;
        p.journey = JourneyId(k as u32);
        let conn = match &p.icmp {
            Some(q) => q.quoted.and_then(|(a, b)| x.conn_of.get(&canon(a, b))),
            None => x.conn_of.get(&canon(p.src, p.dst)),
        }
        .map(|&n| ConnId::new(n));
        let fate = Fate {
            vanished: vanished[k],
            refusal: refusals.get(&i).map(|(r, rid)| (r, *rid)),
            receiver: t.node_of.get(p.dst.ip()).copied(),
        };
        let channel = conn.map(|n| conns[n.index()].channel);
        let hop = Hop {
            t,
            p,
            id,
            conn,
            channel,
            at: x.b.caps[i].t,
        };
        hop.replay(&fate, large, &mut events);
    }
    (packets, events)
}

/// One packet's replay.
struct Hop<'a> {
    t: &'a Topology,
    p: &'a Packet,
    id: PacketId,
    conn: Option<ConnId>,
    channel: Option<Channel>,
    /// When it was captured.
    at: u64,
}

impl Hop<'_> {
    fn event(&self, time: u64, node: NodeId, fate: PacketFate) -> Event {
        Event {
            time: Time::from_micros(time),
            node,
            kind: EventKind::Packet {
                packet: self.id,
                fate,
            },
            conn: self.conn,
            channel: self.channel,
            step: None,
        }
    }

    fn replay(&self, f: &Fate, large: bool, events: &mut Vec<Event>) {
        let (t, p) = (self.t, self.p);
        let sender = t
            .node_of
            .get(p.src.ip())
            .copied()
            .or(t.between)
            .unwrap_or(t.capture);
        let hops = t.path(sender, f.receiver);
        let at_capture = hops.iter().position(|n| *n == t.capture).unwrap_or(0);
        // A SYN nothing answered ends past the capture point, at the box there (or at the
        // capture point itself).
        let box_after = hops[at_capture..]
            .iter()
            .position(|n| Some(*n) == t.between)
            .map(|k| at_capture + k);
        let stop = if f.vanished {
            box_after.unwrap_or(at_capture)
        } else if f
            .refusal
            .is_some_and(|(r, _)| !t.hosts.contains(r.src.ip()))
        {
            // Refused by a box that is not the peer (an ICMP from a router's address).
            box_after.unwrap_or(hops.len() - 1)
        } else {
            hops.len() - 1
        };
        // In a very large capture, a plain data segment is recorded where it was sent and
        // where it arrived, not also at the capture point (a third less memory).
        let bulk = large
            && self.channel == Some(Channel::Data)
            && !(p.flags.syn || p.flags.fin || p.flags.rst)
            && p.payload_len > 0;
        for (h, n) in hops.iter().enumerate().take(stop + 1) {
            if bulk && h > 0 && h < stop {
                continue;
            }
            let d = t.dist.get(n).copied().unwrap_or(0);
            let time = match h.cmp(&at_capture) {
                std::cmp::Ordering::Less => (t.base + self.at).saturating_sub(d),
                std::cmp::Ordering::Equal => t.base + self.at,
                std::cmp::Ordering::Greater => t.base + self.at + d,
            };
            let fate = if h == stop {
                self.end(*n, f)
            } else {
                let link = t.link(*n, hops[h + 1]).unwrap_or(LinkId::new(0));
                if h == 0 {
                    PacketFate::Sent { link }
                } else {
                    PacketFate::Forwarded {
                        link,
                        verdict: None,
                        rewritten: None,
                    }
                }
            };
            events.push(self.event(time, *n, fate));
        }
    }

    /// Where the packet ended, at node `n`.
    fn end(&self, n: NodeId, f: &Fate) -> PacketFate {
        let p = self.p;
        let name = &self.t.nodes[n.index()].name;
        if f.vanished {
            let private = is_private(*p.dst.ip()) && !is_private(*p.src.ip());
            if private {
                return PacketFate::Unroutable {
                    why: format!(
                        "{} is a private address, not routed on the Internet; nothing answered",
                        p.dst.ip()
                    )
                    .into(),
                    reply: None,
                };
            }
            if f.receiver.is_none() {
                return PacketFate::Unroutable {
                    why: "no host at that address answered".into(),
                    reply: None,
                };
            }
            return PacketFate::Dropped {
                verdict: Box::new(unknown_verdict(name.clone())),
            };
        }
        if let Some((r, rid)) = f.refusal {
            return PacketFate::Rejected {
                verdict: Box::new(refusal_verdict(name, r)),
                reply: rid.unwrap_or(self.id),
            };
        }
        if f.receiver == Some(n) {
            PacketFate::Delivered
        } else {
            PacketFate::Unroutable {
                why: "no host at that address answered".into(),
                reply: None,
            }
        }
    }
}

/// A verdict for a packet that vanished: nobody knows which rule, only that it never came back.
fn unknown_verdict(at: String) -> Verdict {
    Verdict {
        middlebox: at,
        direction: Direction::Any,
        state: CtState::Untracked,
        action: Action::Drop,
        reason: Reason::Inferred,
        rule_text: "not answered: something after the capture point drops it".to_owned(),
        why: "no reply to it was captured".to_owned(),
        reject_with: None,
    }
}

fn refusal_verdict(at: &str, r: &Packet) -> Verdict {
    let (with, words) = match &r.icmp {
        Some(i) => (
            match i.code {
                3 => RejectWith::IcmpPortUnreachable,
                1 => RejectWith::IcmpHostUnreachable,
                0 | 6 | 9 => RejectWith::IcmpNetUnreachable,
                _ => RejectWith::IcmpAdminProhibited,
            },
            format!("answered with an ICMP {} from {}", i.words(), r.src.ip()),
        ),
        None => (
            RejectWith::TcpReset,
            format!("answered with a TCP reset from {}", r.src),
        ),
    };
    Verdict {
        middlebox: at.to_owned(),
        direction: Direction::Any,
        state: CtState::Untracked,
        action: Action::Reject,
        reason: Reason::Inferred,
        rule_text: words,
        why: String::new(),
        reject_with: Some(with),
    }
}
