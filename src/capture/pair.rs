//! Step 3: announcements (PORT, EPRT, 227, 229, through `ftp::announce`) are read in time
//! order; a flow whose first SYN goes to the latest announced address and port is that
//! announcement's data connection (its mode, its client). A flow between the same client and
//! server that no announcement names is a data connection too; anything else is not FTP.
//! Step 4, where the capture was taken: the control connection's handshake gives the round
//! trips to each side of the capture point.

use super::assemble::{Assembly, Data};
use super::flows::FlowKind;
use super::{Key, Vantage, canon};
use crate::ftp::announce::{self, Kind};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

/// An announcement: when, what it names, its kind, the packet that carried it, the control
/// connection.
struct Ann {
    t: u64,
    target: SocketAddrV4,
    kind: Kind,
    cap: usize,
    control: usize,
}

impl Assembly {
    /// Every announcement, in time order, and the latest one of each target before a time.
    fn announcements(&self) -> Vec<Ann> {
        let mut anns = Vec::new();
        for (ci, c) in self.controls.iter().enumerate() {
            // A cut line's numbers may be cut too ("…,39,2" of "…,39,20"): not read.
            for l in c.lines.iter().filter(|l| !l.cut) {
                let Some(Ok(a)) = announce::parse_line(&l.text, l.from_client) else {
                    continue;
                };
                let at = *self.b.pkts[l.cap].src.ip();
                anns.push(Ann {
                    t: self.b.caps[l.cap].t,
                    target: a.target(at),
                    kind: a.kind,
                    cap: l.cap,
                    control: ci,
                });
            }
        }
        anns.sort_by_key(|a| (a.t, a.cap));
        anns
    }

    /// Pairs the other flows with the announcements that opened them.
    pub fn data(&mut self) {
        let anns = self.announcements();
        // Each target's announcements, in time order: a flow finds its own in O(log n).
        let mut by_target: BTreeMap<SocketAddrV4, Vec<usize>> = BTreeMap::new();
        for (k, a) in anns.iter().enumerate() {
            by_target.entry(a.target).or_default().push(k);
        }
        let pairs: BTreeMap<(Ipv4Addr, Ipv4Addr), usize> = self
            .controls
            .iter()
            .enumerate()
            .rev()
            .flat_map(|(k, c)| {
                [
                    ((*c.client.ip(), *c.server.ip()), k),
                    ((*c.server.ip(), *c.client.ip()), k),
                ]
            })
            .collect();
        let keys: Vec<Key> = self
            .b
            .flows
            .iter()
            .filter(|(_, f)| f.kind != FlowKind::Control)
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.pair(key, &anns, &by_target, &pairs);
        }
        self.not_ftp += self.foreign_icmp();
    }

    /// One flow: its announcement (the latest to its responder before it started, or any),
    /// or the control connection between the same two hosts; else it is not FTP.
    fn pair(
        &mut self,
        key: Key,
        anns: &[Ann],
        by_target: &BTreeMap<SocketAddrV4, Vec<usize>>,
        pairs: &BTreeMap<(Ipv4Addr, Ipv4Addr), usize>,
    ) {
        let flow = &self.b.flows[&key];
        let Some(&first) = flow.packets.first() else {
            return;
        };
        let t0 = self.b.caps[first].t;
        let (a, b) = key;
        let named = |x: SocketAddrV4| by_target.get(&x).and_then(|v| v.last().copied());
        let (initiator, responder) = match flow.initiator {
            Some(i) => (i, if i == a { b } else { a }),
            // No SYN captured: the endpoint an announcement named is the responder.
            None => match (named(a), named(b)) {
                (Some(x), Some(y)) if y > x => (a, b),
                (Some(_), _) => (b, a),
                _ => (a, b),
            },
        };
        let mine: &[usize] = by_target.get(&responder).map_or(&[], Vec::as_slice);
        let before = mine.partition_point(|&k| anns[k].t <= t0);
        let ann = before
            .checked_sub(1)
            .map(|i| mine[i])
            .or(mine.last().copied())
            .map(|k| &anns[k]);
        let control = ann
            .map(|x| x.control)
            .or_else(|| pairs.get(&(*initiator.ip(), *responder.ip())).copied());
        let Some(control) = control else {
            self.not_ftp += flow.packets.len() as u64;
            return;
        };
        let conn = self.controls.len() + self.datas.len();
        self.conn_of.insert(key, conn);
        self.datas.push(Data {
            initiator,
            responder,
            control: Some(control),
            announced: ann.map(|x| (x.kind, x.target, x.cap)),
        });
    }

    /// ICMP errors about no FTP flow are not FTP either.
    fn foreign_icmp(&self) -> u64 {
        self.b
            .icmp
            .iter()
            .filter(|&&i| {
                let q = self.b.pkts[i].icmp.as_ref().and_then(|x| x.quoted);
                !q.is_some_and(|(x, y)| self.conn_of.contains_key(&canon(x, y)))
            })
            .count() as u64
    }

    /// Where the capture was taken, from the first control connection's handshake.
    pub fn vantage(&self) -> Vantage {
        self.delays().2
    }

    /// (capture → client, capture → server) one-way delays in µs, and the vantage.
    pub fn delays(&self) -> (u64, u64, Vantage) {
        for c in &self.controls {
            let flow = &self.b.flows[&canon(c.client, c.server)];
            let (caps, pkts) = (&self.b.caps, &self.b.pkts);
            let find = |from: SocketAddrV4, syn: bool, ack: bool, after: Option<usize>| {
                flow.packets.iter().copied().find(|&i| {
                    let p = &pkts[i];
                    p.flags.syn == syn
                        && p.flags.ack == ack
                        && p.src == from
                        && after.is_none_or(|a| i > a)
                })
            };
            let (Some(s), Some(sa)) = (
                find(c.client, true, false, None),
                find(c.server, true, true, None),
            ) else {
                continue;
            };
            let Some(ack) = find(c.client, false, true, Some(sa)) else {
                continue;
            };
            let to_server = caps[sa].t.saturating_sub(caps[s].t) / 2;
            let to_client = caps[ack].t.saturating_sub(caps[sa].t) / 2;
            let v = if to_client * 4 < to_server {
                Vantage::Client
            } else if to_server * 4 < to_client {
                Vantage::Server
            } else {
                by_ttl(pkts[s].ttl, pkts[sa].ttl)
            };
            return (to_client, to_server, v);
        }
        (0, 0, Vantage::Unknown)
    }

    /// A SYN that nothing answered (no SYN-ACK, no RST, no ICMP) in a flow kept.
    pub fn vanished(&self, cap: usize) -> bool {
        let p = &self.b.pkts[cap];
        if !p.flags.syn || p.flags.ack {
            return false;
        }
        self.b
            .flows
            .get(&canon(p.src, p.dst))
            .is_some_and(|f| !f.synack && f.refused_by.is_none())
    }
}

/// Where a capture was taken, from the TTLs of the client's SYN and the server's SYN-ACK, when
/// the round trips cannot tell (a loopback, a veth pair): a packet not yet routed still has
/// its sender's initial TTL (64 on Linux and macOS, 128 on Windows, 255 on some routers), one
/// that crossed a router has less. The side whose packets still have theirs is this side.
fn by_ttl(client: u8, server: u8) -> Vantage {
    let initial = |t: u8| matches!(t, 64 | 128 | 255);
    match (initial(client), initial(server)) {
        (true, false) => Vantage::Client,
        (false, true) => Vantage::Server,
        _ => Vantage::Between,
    }
}
