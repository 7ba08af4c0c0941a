//! A NAT router: source NAT (masquerade) for the hosts on its inside, port forwarding to
//! them, and an optional FTP ALG, with a translation table built on connection tracking.
//!
//! Outbound, a new connection gets a mapping from its inside endpoint to the public address,
//! keeping the source port when it is free (as Linux does), else the next free one. Inbound, a
//! packet is translated back if it belongs to a mapping, opens one when it matches a port
//! forward or what the ALG expects, and is dropped otherwise (nothing inside asked for it).
//! The ALG (the idea of Linux's nf_nat_ftp) reads PORT/EPRT and 227/229 on the control
//! connection through `ftp::announce`, rewrites an inside address to the public one, expects
//! the data connection it announces, and — when the rewritten text has another length — shifts
//! the TCP sequence numbers of the rest of that direction (and the acknowledgments coming
//! back) by the difference, as nf_nat_seq_adjust does, recomputing both checksums.

use crate::rules::PortMatch;
use serde::{Deserialize, Serialize};

/// A NAT router as a scenario states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatSpec {
    pub name: String,
    /// Its neighbours on the inside (the private side).
    pub inside: Vec<String>,
    /// Its address on the outside: inside hosts' connections leave from it.
    pub public_address: String,
    /// Port forwarding: connections to these ports of the public address go inside.
    #[serde(default)]
    pub forwards: Vec<ForwardSpec>,
    /// The FTP ALG (the idea of Linux's nf_nat_ftp): rewrites PORT/EPRT/227/229.
    #[serde(default)]
    pub ftp_alg: bool,
    /// The control port the ALG watches.
    #[serde(default = "port_21")]
    pub alg_port: u32,
}

fn port_21() -> u32 {
    21
}

/// One port-forwarding rule: the public address's `port` (or range) to an inside host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSpec {
    pub port: PortMatch,
    /// The inside host's address.
    pub to: String,
    /// Its port (default: the same port as on the outside).
    #[serde(default)]
    pub to_port: Option<u32>,
    #[serde(default)]
    pub comment: String,
}

use super::{Decision, Middlebox, Report, Routing};
use crate::ftp::announce::{self, Kind};
use crate::ids::LinkId;
use crate::rules::{Action, CtState, Direction, Reason, Verdict};
use crate::time::Time;
use crate::trace::{Change, Mapping, NatReport, Packet};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

type Tuple = (SocketAddrV4, SocketAddrV4);

/// Where a shift of sequence numbers starts, and what it is from there on.
#[derive(Clone, Copy, Debug)]
struct Fix {
    /// The first sequence number after the rewritten text, as the sender numbered it.
    orig_end: u32,
    /// The total shift from there on (all rewrites so far in this direction).
    delta: i32,
}

/// A list of shifts for one direction of one connection.
#[derive(Clone, Debug, Default)]
struct Shifts(Vec<Fix>);

fn after_or_at(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) as i32 >= 0
}

impl Shifts {
    /// The shift for a segment starting at `seq` (sender's numbering).
    fn at(&self, seq: u32) -> i32 {
        self.0
            .iter()
            .rev()
            .find(|f| after_or_at(seq, f.orig_end))
            .map_or(0, |f| f.delta)
    }

    /// Undoes the shift for an acknowledgment `ack` (receiver's, shifted numbering).
    fn unshift(&self, ack: u32) -> u32 {
        let d = self
            .0
            .iter()
            .rev()
            .find(|f| after_or_at(ack, f.orig_end.wrapping_add(f.delta as u32)))
            .map_or(0, |f| f.delta);
        ack.wrapping_sub(d as u32)
    }
}

#[derive(Clone, Debug)]
struct Map {
    inside: SocketAddrV4,
    outside: SocketAddrV4,
    remote: SocketAddrV4,
    how: String,
    /// Shifts of the inside host's sequence numbers (its segments going out).
    out: Shifts,
    /// Shifts of the remote's sequence numbers (its segments coming in).
    inn: Shifts,
    /// Sequence numbers of segments whose text was rewritten (a retransmission is rewritten
    /// the same way, without a new shift).
    rewritten: BTreeMap<u32, ()>,
}

/// A data connection the ALG expects: from `from` (any port) to our `outside` endpoint.
#[derive(Clone, Debug)]
struct Expect {
    outside: SocketAddrV4,
    inside: SocketAddrV4,
    from: Ipv4Addr,
    how: String,
}

/// A NAT router with its translation table.
pub struct Nat {
    spec: NatSpec,
    inside: Vec<LinkId>,
    public: Ipv4Addr,
    forwards: Vec<crate::scenario::network::Forward>,
    alg_port: u16,
    maps: Vec<Map>,
    by_inside: BTreeMap<Tuple, usize>,
    by_outside: BTreeMap<Tuple, usize>,
    expects: Vec<Expect>,
}

impl Nat {
    /// The NAT of a resolved scenario node.
    pub fn new(node: &crate::scenario::network::NatNode) -> Nat {
        Nat {
            spec: node.spec.clone(),
            inside: node.inside_links.clone(),
            public: node.public,
            forwards: node.forwards.clone(),
            alg_port: node.alg_port,
            maps: Vec::new(),
            by_inside: BTreeMap::new(),
            by_outside: BTreeMap::new(),
            expects: Vec::new(),
        }
    }

    fn verdict(
        &self,
        reason: Reason,
        direction: Direction,
        state: CtState,
        action: Action,
        text: &str,
        why: String,
    ) -> Verdict {
        Verdict {
            middlebox: self.spec.name.clone(),
            direction,
            state,
            action,
            reason,
            rule_text: text.to_owned(),
            why,
            reject_with: None,
        }
    }

    /// Whether our public `port` is free for a connection with `remote`. For the data
    /// connection the ALG expects (`expected`), only a pending expectation on that port
    /// clashes, as in Linux's `nf_nat_ftp` (`nf_ct_expect_related` is -EBUSY only for another
    /// expectation, not for a finished connection's mapping): a second 227 keeps its port
    /// (10004 became 10005 here). For a connection from inside, any mapping with `remote`.
    fn free(&self, port: u16, remote: SocketAddrV4, expected: bool) -> bool {
        let outside = SocketAddrV4::new(self.public, port);
        let pending = self.expects.iter().any(|e| e.outside == outside);
        if expected {
            return !pending;
        }
        let mapped = self
            .maps
            .iter()
            .any(|m| m.outside == outside && m.remote == remote);
        !mapped && !pending
    }

    /// Keeps `port` when it is free (as Linux does), else the next free one above 1024;
    /// `None` when every port is taken.
    fn choose(&self, port: u16, remote: SocketAddrV4, any_port: bool) -> Option<u16> {
        if self.free(port, remote, any_port) {
            return Some(port);
        }
        (1..=64_512u32)
            .map(|k| 1024 + ((u32::from(port.max(1024)) - 1024 + k) % 64_512) as u16)
            .find(|p| self.free(*p, remote, any_port))
    }

    fn add_map(
        &mut self,
        inside: SocketAddrV4,
        outside: SocketAddrV4,
        remote: SocketAddrV4,
        how: String,
    ) -> usize {
        let i = self.maps.len();
        self.maps.push(Map {
            inside,
            outside,
            remote,
            how,
            out: Shifts::default(),
            inn: Shifts::default(),
            rewritten: BTreeMap::new(),
        });
        self.by_inside.insert((inside, remote), i);
        self.by_outside.insert((outside, remote), i);
        i
    }
}

/// What the ALG did to one segment's text.
struct AlgRewrite {
    payload: Vec<u8>,
    changes: Vec<Change>,
    growth: i32,
    /// The same segment was rewritten before (a retransmission): no new shift.
    again: bool,
    words: String,
}

impl Nat {
    fn no_translation(&self, p: &Packet, direction: Direction) -> Decision {
        let why = match direction {
            Direction::Inbound => format!(
                "no translation for {}: no connection from inside, no port forward and no expected data connection matches it",
                p.dst
            ),
            _ => format!(
                "no translation for {} → {}: not a new connection",
                p.src, p.dst
            ),
        };
        Decision::Drop(Box::new(self.verdict(
            Reason::NoTranslation,
            direction,
            CtState::Invalid,
            Action::Drop,
            "no translation",
            why,
        )))
    }

    fn outbound(&mut self, p: &Packet) -> Decision {
        if let Some((remote, inside)) = p.icmp.as_ref().and_then(|i| i.quoted) {
            // An error from inside about a packet that came in for `inside` (a firewall behind
            // the NAT rejecting it): out from our public address, about our public endpoint.
            let m = self.by_inside.get(&(inside, remote)).copied();
            return match m {
                Some(m) => {
                    let outside = self.maps[m].outside;
                    let r = crate::net::IcmpRewrite {
                        outer_src: Some(self.public),
                        inner_dst: Some(outside),
                        ..Default::default()
                    };
                    self.icmp_translated(p, &r, Direction::Outbound, inside, outside)
                }
                None => self.no_translation(p, Direction::Outbound),
            };
        }
        let new = p.flags.syn && !p.flags.ack;
        let m = match self.by_inside.get(&(p.src, p.dst)) {
            Some(&m) => m,
            None if new => {
                // Every port of the public address taken towards this peer: no translation.
                let Some(port) = self.choose(p.src.port(), p.dst, false) else {
                    return self.no_translation(p, Direction::Outbound);
                };
                let outside = SocketAddrV4::new(self.public, port);
                self.add_map(
                    p.src,
                    outside,
                    p.dst,
                    "source NAT (outbound connection)".to_owned(),
                )
            }
            None => return self.no_translation(p, Direction::Outbound),
        };
        let alg = if self.spec.ftp_alg {
            self.alg(m, p)
        } else {
            None
        };
        self.translate(m, p, true, alg)
    }

    fn inbound(&mut self, p: &Packet) -> Decision {
        if *p.dst.ip() != self.public {
            return Decision::forward();
        }
        if let Some((ours, theirs)) = p.icmp.as_ref().and_then(|i| i.quoted) {
            // An error about a packet we sent out for `ours`: back to the inside host.
            let m = self.by_outside.get(&(ours, theirs)).copied();
            return match m {
                Some(m) => {
                    let inside = self.maps[m].inside;
                    let r = crate::net::IcmpRewrite {
                        outer_dst: Some(*inside.ip()),
                        inner_src: Some(inside),
                        ..Default::default()
                    };
                    self.icmp_translated(p, &r, Direction::Inbound, ours, inside)
                }
                None => self.no_translation(p, Direction::Inbound),
            };
        }
        // A new SYN that an expectation waits for opens a new mapping even where an old,
        // finished connection had the same endpoints (Linux kills the old conntrack and looks
        // again, NF_REPEAT, then finds the expectation).
        let expected = p.flags.syn
            && !p.flags.ack
            && self
                .expects
                .iter()
                .any(|e| e.outside == p.dst && e.from == *p.src.ip());
        let m = match self.by_outside.get(&(p.dst, p.src)) {
            Some(&m) if !expected => m,
            Some(_) => match self.open_inbound(p) {
                Some(m) => m,
                None => return self.no_translation(p, Direction::Inbound),
            },
            None if p.flags.syn && !p.flags.ack => match self.open_inbound(p) {
                Some(m) => m,
                None => return self.no_translation(p, Direction::Inbound),
            },
            None => return self.no_translation(p, Direction::Inbound),
        };
        self.translate(m, p, false, None)
    }

    /// A new inbound connection: a port forward, or a data connection the ALG expects.
    fn open_inbound(&mut self, p: &Packet) -> Option<usize> {
        let fwd = self.forwards.iter().find(|f| f.ports.matches(p.dst.port()));
        if let Some(f) = fwd {
            let to = f.to;
            let port = f.to_port.unwrap_or(p.dst.port());
            let how = format!("port forwarding of port {} to {to}", p.dst.port());
            return Some(self.add_map(SocketAddrV4::new(to, port), p.dst, p.src, how));
        }
        let k = self
            .expects
            .iter()
            .position(|e| e.outside == p.dst && e.from == *p.src.ip())?;
        let e = self.expects.remove(k);
        Some(self.add_map(e.inside, e.outside, p.src, e.how))
    }

    /// The ALG on an outbound control segment: announcements of the inside host's own address
    /// become the public address, and the data connection they announce is expected.
    fn alg(&mut self, m: usize, p: &Packet) -> Option<AlgRewrite> {
        let alg_port = self.alg_port;
        let from_client = p.dst.port() == alg_port;
        if !from_client && p.src.port() != alg_port {
            return None;
        }
        let payload = crate::net::tcp_payload(&p.bytes).filter(|x| !x.is_empty())?;
        let text = std::str::from_utf8(payload).ok()?;
        let again = self.maps[m].rewritten.contains_key(&p.seq);
        let remote = self.maps[m].remote;
        let mut out = String::with_capacity(text.len() + 8);
        let mut changes = Vec::new();
        let mut words = Vec::new();
        for line in text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\r', '\n']);
            let ending = &line[body.len()..];
            match self.alg_line(body, from_client, *p.src.ip(), remote) {
                Some((new, kind)) => {
                    words.push(format!("rewrote {} '{body}' to '{new}'", kind.words()));
                    changes.push(Change {
                        what: format!("FTP text ({})", kind.words()),
                        before: body.to_owned(),
                        after: new.clone(),
                    });
                    out.push_str(&new);
                }
                None => out.push_str(body),
            }
            out.push_str(ending);
        }
        if changes.is_empty() {
            return None;
        }
        let growth = out.len() as i32 - text.len() as i32;
        self.maps[m].rewritten.insert(p.seq, ());
        Some(AlgRewrite {
            payload: out.into_bytes(),
            changes,
            growth,
            again,
            words: words.join("; "),
        })
    }

    /// One line: the rewritten line and what it was, when it announces `own` (the sender's
    /// inside address). Expects the announced connection from `remote`.
    fn alg_line(
        &mut self,
        line: &str,
        from_client: bool,
        own: Ipv4Addr,
        remote: SocketAddrV4,
    ) -> Option<(String, Kind)> {
        let a = announce::parse_line(line, from_client)?.ok()?;
        let target = a.target(own);
        if *target.ip() != own {
            // Like nf_nat_ftp: only the sender's own address is translated.
            return None;
        }
        let existing = self
            .expects
            .iter()
            .find(|e| e.inside == target && e.from == *remote.ip())
            .map(|e| e.outside.port());
        // No port left to expect it on: the line goes on as it was.
        let port = match existing {
            Some(p) => p,
            None => self.choose(target.port(), remote, true)?,
        };
        let outside = SocketAddrV4::new(self.public, port);
        if existing.is_none() {
            self.expects.push(Expect {
                outside,
                inside: target,
                from: *remote.ip(),
                how: format!("FTP ALG: the data connection {} announced", a.kind.words()),
            });
        }
        Some((a.rewritten(line, outside)?, a.kind))
    }
}

fn change(what: &str, before: impl ToString, after: impl ToString) -> Change {
    Change {
        what: what.to_owned(),
        before: before.to_string(),
        after: after.to_string(),
    }
}

/// The fields a translation changes: addresses and ports, sequence numbers.
struct Translated {
    src: SocketAddrV4,
    dst: SocketAddrV4,
    seq: u32,
    ack: u32,
    changes: Vec<Change>,
}

impl Nat {
    /// What mapping `m` changes in `p`: the address and port on our side, the sequence and
    /// acknowledgment numbers shifted by earlier ALG rewrites.
    fn translated(&self, m: usize, p: &Packet, outbound: bool) -> Translated {
        let map = &self.maps[m];
        let (src, dst) = if outbound {
            (map.outside, p.dst)
        } else {
            (p.src, map.inside)
        };
        let (mine, theirs) = if outbound {
            (&map.out, &map.inn)
        } else {
            (&map.inn, &map.out)
        };
        let seq = p.seq.wrapping_add(mine.at(p.seq) as u32);
        let ack = theirs.unshift(p.ack);
        let mut changes = Vec::new();
        if src != p.src {
            changes.push(change("source", p.src, src));
        }
        if dst != p.dst {
            changes.push(change("destination", p.dst, dst));
        }
        if seq != p.seq {
            changes.push(change(
                "TCP sequence number (shifted by an earlier ALG rewrite)",
                p.seq,
                seq,
            ));
        }
        if p.flags.ack && ack != p.ack {
            changes.push(change(
                "TCP acknowledgment number (shifted back)",
                p.ack,
                ack,
            ));
        }
        Translated {
            src,
            dst,
            seq,
            ack,
            changes,
        }
    }

    /// The ALG's rewrite in words; a rewrite that changed the segment's length shifts the
    /// rest of this direction's sequence numbers (once: a retransmission is rewritten the
    /// same way, without a new shift).
    fn alg_words(&mut self, m: usize, p: &Packet, outbound: bool, a: &AlgRewrite) -> String {
        let mut why = a.words.clone();
        if a.growth == 0 {
            return why;
        }
        why.push_str(&format!(
            "; the segment {} by {} bytes; later sequence numbers shift by {:+}",
            if a.growth > 0 { "grew" } else { "shrank" },
            a.growth.abs(),
            a.growth
        ));
        if !a.again {
            let shifts = if outbound {
                &mut self.maps[m].out
            } else {
                &mut self.maps[m].inn
            };
            let fix = Fix {
                orig_end: p.seq.wrapping_add(p.payload_len as u32),
                delta: shifts.at(p.seq) + a.growth,
            };
            shifts.0.push(fix);
        }
        why
    }

    /// Rewrites `p` by mapping `m`, with the ALG's new text if it rewrote one.
    fn translate(
        &mut self,
        m: usize,
        p: &Packet,
        outbound: bool,
        alg: Option<AlgRewrite>,
    ) -> Decision {
        let mut t = self.translated(m, p, outbound);
        let how = self.maps[m].how.clone();
        let state = if p.flags.syn && !p.flags.ack {
            CtState::New
        } else {
            CtState::Established
        };
        let (why, reason) = match &alg {
            Some(a) => {
                t.changes.extend(a.changes.iter().cloned());
                (self.alg_words(m, p, outbound, a), Reason::Rewrite)
            }
            None => (format!("{how}: {} → {}", p.src, p.dst), Reason::Translation),
        };
        let rewrite = crate::net::Rewrite {
            src: t.src,
            dst: t.dst,
            seq: t.seq,
            ack: t.ack,
            payload: alg.as_ref().map(|a| a.payload.as_slice()),
        };
        let dir = if outbound {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        let verdict = Some(self.verdict(reason, dir, state, Action::Accept, &how, why));
        if t.changes.is_empty() {
            return Decision::Forward(verdict);
        }
        match crate::net::rewrite(&p.bytes, &rewrite) {
            Some(bytes) => Decision::Rewrite {
                bytes,
                changes: t.changes,
                verdict,
            },
            // A translation that cannot be written (a malformed packet, or one the ALG would
            // make longer than 65,535 bytes) must not leave untranslated: dropped, saying so.
            None => Decision::Drop(Box::new(self.verdict(
                Reason::Other,
                dir,
                state,
                Action::Drop,
                "cannot rewrite",
                format!(
                    "the translation of {} → {} cannot be written into the packet",
                    p.src, p.dst
                ),
            ))),
        }
    }
}

impl Nat {
    /// An ICMP error about mapped connection `from` (our side `to`), rewritten by `r`: RELATED,
    /// as conntrack has it.
    fn icmp_translated(
        &self,
        p: &Packet,
        r: &crate::net::IcmpRewrite,
        dir: Direction,
        from: SocketAddrV4,
        to: SocketAddrV4,
    ) -> Decision {
        let how = "translation of an ICMP error about a mapped connection";
        let why = format!("{how}: the error quotes {from}, which is {to} on the other side");
        let verdict = self.verdict(
            Reason::Translation,
            dir,
            CtState::Related,
            Action::Accept,
            how,
            why,
        );
        let mut changes = Vec::new();
        if let Some(a) = r.outer_src {
            changes.push(change("source", p.src.ip(), a));
        }
        if let Some(a) = r.outer_dst {
            changes.push(change("destination", p.dst.ip(), a));
        }
        changes.push(change("quoted endpoint", from, to));
        match crate::net::rewrite_icmp_error(&p.bytes, r) {
            Some(bytes) => Decision::Rewrite {
                bytes,
                changes,
                verdict: Some(verdict),
            },
            None => self.no_translation(p, dir),
        }
    }
}

impl Middlebox for Nat {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn process(&mut self, _now: Time, p: &Packet, from: LinkId) -> Decision {
        if self.inside.contains(&from) {
            self.outbound(p)
        } else {
            self.inbound(p)
        }
    }

    fn address(&self) -> Option<Ipv4Addr> {
        Some(self.public)
    }

    fn routing(&self) -> Routing {
        Routing::Nat {
            inside: self.inside.clone(),
            public: self.public,
        }
    }

    fn report(&self) -> Report {
        Report::Nat(NatReport {
            name: self.spec.name.clone(),
            public: self.public,
            alg: self.spec.ftp_alg,
            mappings: self
                .maps
                .iter()
                .map(|m| Mapping {
                    inside: m.inside,
                    outside: m.outside,
                    remote: m.remote,
                    how: m.how.clone(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Flags;

    fn nat(alg: bool) -> Nat {
        Nat::new(&crate::scenario::network::NatNode {
            spec: NatSpec {
                name: "home".into(),
                inside: vec!["client".into()],
                public_address: "198.51.100.2".into(),
                forwards: Vec::new(),
                ftp_alg: alg,
                alg_port: 21,
            },
            public: "198.51.100.2".parse().unwrap(),
            inside: vec![crate::ids::NodeId(0)],
            inside_links: vec![IN],
            forwards: Vec::new(),
            alg_port: 21,
        })
    }

    fn pkt(src: &str, dst: &str, syn: bool, seq: u32, ack: u32, text: &str) -> Packet {
        let bytes = crate::net::segment(
            src.parse().unwrap(),
            dst.parse().unwrap(),
            Flags {
                syn,
                ack: !syn,
                ..Flags::default()
            },
            seq,
            ack,
            text.as_bytes(),
        );
        crate::net::decode(&bytes, !text.is_empty()).unwrap()
    }

    fn rewritten(d: &Decision) -> Packet {
        match d {
            Decision::Rewrite { bytes, .. } => {
                assert!(crate::net::checksums_ok(bytes));
                crate::net::decode(bytes, true).unwrap()
            }
            other => panic!("{other:?}"),
        }
    }

    const IN: LinkId = LinkId(0);
    const OUT: LinkId = LinkId(1);

    #[test]
    fn the_alg_rewrites_port_and_shifts_the_rest_of_the_stream() {
        let mut n = nat(true);
        let c = "10.0.0.5:40000";
        let s = "203.0.113.10:21";
        let syn = rewritten(&n.process(Time::ZERO, &pkt(c, s, true, 100, 0, ""), IN));
        assert_eq!(syn.src.to_string(), "198.51.100.2:40000");
        let port = pkt(c, s, false, 101, 500, "PORT 10,0,0,5,195,211\r\n");
        let out = rewritten(&n.process(Time::ZERO, &port, IN));
        assert_eq!(out.ftp_text.as_deref(), Some("PORT 198,51,100,2,195,211"));
        assert_eq!(out.seq, 101, "the rewritten segment keeps its place");
        // 10,0,0,5 → 198,51,100,2: 4 bytes longer. The next segment is shifted …
        let list =
            rewritten(&n.process(Time::ZERO, &pkt(c, s, false, 101 + 23, 500, "LIST\r\n"), IN));
        assert_eq!(list.seq, 101 + 23 + 4);
        // … and the server's acknowledgment of it is shifted back.
        let ack = rewritten(&n.process(
            Time::ZERO,
            &pkt(s, "198.51.100.2:40000", false, 500, 101 + 27 + 6, ""),
            OUT,
        ));
        assert_eq!(
            (ack.dst.to_string(), ack.ack),
            ("10.0.0.5:40000".to_owned(), 101 + 23 + 6)
        );
        // A retransmission of the PORT is rewritten again, without a second shift.
        let again = rewritten(&n.process(Time::ZERO, &port, IN));
        assert_eq!(
            (again.seq, again.ftp_text.as_deref()),
            (101, Some("PORT 198,51,100,2,195,211"))
        );
        let list2 =
            rewritten(&n.process(Time::ZERO, &pkt(c, s, false, 101 + 23, 500, "LIST\r\n"), IN));
        assert_eq!(list2.seq, 101 + 27);
        // The server's data connection to the announced port is let in, to the client.
        let data = rewritten(&n.process(
            Time::ZERO,
            &pkt("203.0.113.10:20", "198.51.100.2:50131", true, 9, 0, ""),
            OUT,
        ));
        assert_eq!(data.dst.to_string(), "10.0.0.5:50131");
    }

    #[test]
    fn without_the_alg_port_is_left_alone_and_unsolicited_inbound_is_dropped() {
        let mut n = nat(false);
        let c = "10.0.0.5:40000";
        let s = "203.0.113.10:21";
        n.process(Time::ZERO, &pkt(c, s, true, 100, 0, ""), IN);
        let out = rewritten(&n.process(
            Time::ZERO,
            &pkt(c, s, false, 101, 500, "PORT 10,0,0,5,195,211\r\n"),
            IN,
        ));
        assert_eq!(out.ftp_text.as_deref(), Some("PORT 10,0,0,5,195,211"));
        let d = n.process(
            Time::ZERO,
            &pkt("203.0.113.10:20", "198.51.100.2:50131", true, 9, 0, ""),
            OUT,
        );
        let Decision::Drop(v) = d else {
            panic!("{d:?}")
        };
        assert_eq!(v.reason, Reason::NoTranslation, "{}", v.why);
    }

    #[test]
    fn two_inside_hosts_with_the_same_port_get_two_mappings() {
        let mut n = nat(false);
        let s = "203.0.113.10:21";
        let a = rewritten(&n.process(Time::ZERO, &pkt("10.0.0.5:40000", s, true, 1, 0, ""), IN));
        let b = rewritten(&n.process(Time::ZERO, &pkt("10.0.0.6:40000", s, true, 1, 0, ""), IN));
        assert_eq!(a.src.port(), 40000);
        assert_ne!(b.src.port(), 40000);
        let back = rewritten(&n.process(
            Time::ZERO,
            &pkt(s, &b.src.to_string(), false, 7, 2, ""),
            OUT,
        ));
        assert_eq!(back.dst.to_string(), "10.0.0.6:40000");
    }
}
