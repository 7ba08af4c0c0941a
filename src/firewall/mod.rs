//! Firewalls: ordered rules (first match wins), a default policy, connection tracking and an
//! optional FTP helper.
//!
//! A firewall sits on a path and guards one side of it (`protects`): a packet travelling
//! towards that side is *inbound*, one leaving it is *outbound*. Tracking follows Linux's
//! conntrack: the first SYN of a connection is NEW, packets after the reply are ESTABLISHED, and
//! a connection announced on an FTP control connection is RELATED when the helper is attached
//! (the idea of nf_conntrack_ftp; since Linux 4.7 a helper must be attached explicitly, so it
//! is off unless the scenario turns it on). Drop is silence; reject answers with an ICMP
//! destination unreachable (port unreachable by default, as iptables' REJECT) or a TCP RST.
//! Every decision names the rule that made it.

pub mod analysis;

pub use crate::rules::{
    Action, Cidr, CtState, Direction, PortMatch, Protocol, Reason, RejectWith, Rule,
};

use crate::ftp::announce::{self, Kind};
use crate::ids::LinkId;
use crate::middlebox::{Decision, Middlebox, Report};
use crate::time::Time;
use crate::trace::{FirewallReport, Packet, Verdict};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

/// A firewall's configuration, as a scenario states it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallSpec {
    pub name: String,
    /// The neighbour on the protected side.
    pub protects: String,
    /// Its own address, which its ICMP errors come from (a Linux router sends them from its
    /// interface towards the rejected packet's sender); default: the protected network's
    /// gateway, the .1 of the protected host's /24 (.254 if the host is .1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default = "yes")]
    pub stateful: bool,
    /// Attach the FTP helper to the control port (makes announced data connections RELATED).
    #[serde(default)]
    pub ftp_helper: bool,
    /// The control port the helper watches.
    #[serde(default = "port_21")]
    pub helper_port: u32,
    #[serde(default)]
    pub default_policy: Action,
    /// What a `Reject` default policy answers with.
    #[serde(default)]
    pub default_reject_with: RejectWith,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

fn yes() -> bool {
    true
}

fn port_21() -> u32 {
    21
}

type FlowKey = (SocketAddrV4, SocketAddrV4);

#[derive(Clone, Debug)]
struct Flow {
    /// (initiator, responder)
    orig: FlowKey,
    reply_seen: bool,
    related: bool,
}

#[derive(Clone, Debug)]
struct Expectation {
    /// Who is expected to connect (any source port).
    from: Ipv4Addr,
    /// Where to.
    to: SocketAddrV4,
    /// What announced it.
    by: Kind,
    /// The control connection it came from: one expectation per master, as Linux's FTP
    /// helper has it (`max_expected = 1`: a new one evicts the old).
    master: FlowKey,
    /// When it lapses (the helper's `timeout = 5 * 60` s).
    until: Time,
}

/// How long the FTP helper waits for an announced data connection (nf_conntrack_ftp's
/// expect policy: 5 minutes).
const EXPECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// What the helper makes of a control segment.
enum Helped {
    /// Nothing to read, or read.
    Fine,
    /// It starts a PORT, EPRT, 227 or 229 that does not end in it: Linux drops the segment
    /// ("partial matching"), and the sender's retransmission gets another try.
    Partial,
}

/// A firewall with its state.
#[derive(Clone, Debug)]
pub struct Firewall {
    pub spec: FirewallSpec,
    /// The link towards the protected side: packets arriving on it travel outbound.
    inside: LinkId,
    /// Its own address: its ICMP errors come from it.
    own: Ipv4Addr,
    helper_port: u16,
    compiled: Vec<Compiled>,
    pub hits: Vec<u64>,
    pub default_hits: u64,
    flows: BTreeMap<FlowKey, Flow>,
    expectations: Vec<Expectation>,
    /// Per control connection and direction, the sequence numbers just after a newline (the
    /// helper reads a command only at the start of a segment that begins there; Linux keeps
    /// two, `NUM_SEQ_TO_REMEMBER`).
    after_nl: BTreeMap<(FlowKey, bool), Vec<u32>>,
    /// The time of the packet being decided.
    now: Time,
}

#[derive(Clone, Debug)]
struct Compiled {
    src: Cidr,
    dst: Cidr,
}

impl Firewall {
    /// The firewall of a resolved scenario node.
    pub fn new(node: &crate::scenario::network::FirewallNode) -> Firewall {
        let compiled = node
            .addresses
            .iter()
            .map(|&(src, dst)| Compiled { src, dst })
            .collect();
        let n = node.spec.rules.len();
        Firewall {
            spec: node.spec.clone(),
            own: node.own,
            inside: node.inside,
            helper_port: node.helper_port,
            compiled,
            hits: vec![0; n],
            default_hits: 0,
            flows: BTreeMap::new(),
            expectations: Vec::new(),
            after_nl: BTreeMap::new(),
            now: Time::ZERO,
        }
    }

    /// Decides the fate of `p`, travelling in `direction`, and updates the tracking state.
    pub fn decide(&mut self, p: &Packet, direction: Direction) -> Verdict {
        let (state, why) = if self.spec.stateful {
            self.classify(p)
        } else {
            (CtState::Untracked, String::new())
        };
        let matched = self
            .spec
            .rules
            .iter()
            .zip(&self.compiled)
            .position(|(r, c)| matches(r, c, p, direction, state));
        let (action, rule, rule_text, with) = match matched {
            Some(i) => {
                self.hits[i] += 1;
                let r = &self.spec.rules[i];
                (r.action, Reason::Rule(i + 1), r.label(), r.reject_with)
            }
            None => {
                self.default_hits += 1;
                (
                    self.spec.default_policy,
                    Reason::DefaultPolicy,
                    "default policy".to_owned(),
                    self.spec.default_reject_with,
                )
            }
        };
        if action == Action::Accept && self.spec.stateful {
            if let Helped::Partial = self.track(p, state) {
                return Verdict {
                    middlebox: self.spec.name.clone(),
                    direction,
                    state,
                    action: Action::Drop,
                    reason: Reason::Other,
                    rule_text: "FTP helper: partial command".to_owned(),
                    why: "the FTP helper dropped a segment that holds only the start of an FTP command (Linux's nf_conntrack_ftp: \"partial matching\"); the sender retransmits it".to_owned(),
                    reject_with: None,
                };
            }
        }
        Verdict {
            middlebox: self.spec.name.clone(),
            direction,
            state,
            action,
            reason: rule,
            rule_text,
            why,
            reject_with: (action == Action::Reject).then_some(with),
        }
    }

    fn classify(&self, p: &Packet) -> (CtState, String) {
        if let Some(i) = &p.icmp {
            return self.classify_icmp(p, i);
        }
        let key = canon(p.src, p.dst);
        if let Some(f) = self.flows.get(&key) {
            let from_orig = (p.src, p.dst) == f.orig;
            return match (from_orig, f.reply_seen, f.related) {
                (true, false, true) => (
                    CtState::Related,
                    "related: the first packets of an expected connection".into(),
                ),
                (true, false, false) => (
                    CtState::New,
                    "new: no reply seen yet on this connection".into(),
                ),
                _ => (
                    CtState::Established,
                    "established: packets have been seen both ways".into(),
                ),
            };
        }
        if p.flags.syn && !p.flags.ack {
            if let Some(e) = self
                .expectations
                .iter()
                .find(|e| e.to == p.dst && e.from == *p.src.ip() && self.now < e.until)
            {
                return (
                    CtState::Related,
                    format!(
                        "related: the FTP helper expected it after {} announced {}",
                        e.by.words(),
                        e.to
                    ),
                );
            }
            let why = if self.spec.ftp_helper {
                "new: a first SYN that no FTP command announced".to_owned()
            } else {
                "new: a first SYN (not related: no FTP helper is attached)".to_owned()
            };
            return (CtState::New, why);
        }
        // Linux's nf_conntrack_tcp_loose=1 (the default) picks up a connection in the
        // middle: the segment is NEW for the rules, and the connection is tracked as
        // established from then on. A FIN or RST with no connection stays INVALID.
        if !p.flags.fin && !p.flags.rst && p.flags.ack {
            return (
                CtState::New,
                "new: a segment of a connection not seen from its start, picked up as Linux \
                 does (nf_conntrack_tcp_loose=1, the default)"
                    .into(),
            );
        }
        (
            CtState::Invalid,
            "invalid: not a SYN, and no tracked connection".into(),
        )
    }

    /// An ICMP error is RELATED when it quotes a connection this firewall tracks and goes
    /// back to that packet's sender, as Linux's `nf_conntrack_inet_error` has it; else
    /// INVALID.
    fn classify_icmp(&self, p: &Packet, i: &crate::trace::Icmp) -> (CtState, String) {
        let Some((a, b)) = i.quoted else {
            return (
                CtState::Invalid,
                "invalid: an ICMP message about no connection".into(),
            );
        };
        if self.flows.contains_key(&canon(a, b)) && p.dst.ip() == a.ip() {
            return (
                CtState::Related,
                format!("related: an ICMP error about the tracked connection {a} → {b}"),
            );
        }
        (
            CtState::Invalid,
            format!("invalid: an ICMP error about {a} → {b}, a connection it does not track"),
        )
    }

    fn track(&mut self, p: &Packet, state: CtState) -> Helped {
        // An ICMP error belongs to the connection it quotes: it makes no connection of its own.
        if p.icmp.is_some() {
            return Helped::Fine;
        }
        let key = canon(p.src, p.dst);
        match self.flows.get_mut(&key) {
            Some(f) if (p.src, p.dst) != f.orig => f.reply_seen = true,
            Some(_) => {}
            None if matches!(state, CtState::New | CtState::Related) => {
                if state == CtState::Related {
                    self.expectations
                        .retain(|e| !(e.to == p.dst && e.from == *p.src.ip()));
                }
                // Picked up in the middle (not a SYN): established at once, as Linux's
                // tcp_new() with loose=1 marks it.
                let mid_stream = !p.flags.syn;
                self.flows.insert(
                    key,
                    Flow {
                        orig: (p.src, p.dst),
                        reply_seen: mid_stream,
                        related: state == CtState::Related,
                    },
                );
            }
            None => {}
        }
        if self.spec.ftp_helper {
            return self.helper(p);
        }
        Helped::Fine
    }

    /// The FTP helper, as Linux's `nf_conntrack_ftp` reads a control connection: only a
    /// segment that starts just after a newline of its direction is looked at, and only for
    /// one command at its start (PORT/EPRT from the client, 227/229 from the server, through
    /// the one announcement parser); a command cut by the segment's end drops the segment;
    /// the data connection it announces is expected for 300 s, one expectation per control
    /// connection. Like Linux without `loose=1`, it only trusts an announced address equal to
    /// the announcer's own.
    fn helper(&mut self, p: &Packet) -> Helped {
        let port = self.helper_port;
        let from_client = p.dst.port() == port;
        if !from_client && p.src.port() != port {
            return Helped::Fine;
        }
        let Some(payload) = crate::net::tcp_payload(&p.bytes).filter(|b| !b.is_empty()) else {
            return Helped::Fine;
        };
        let master = canon(p.src, p.dst);
        let seen = self.after_nl.entry((master, from_client)).or_default();
        // The first segment of each direction (the banner, USER) is where the counting starts.
        let at_line_start = seen.is_empty() || seen.contains(&p.seq);
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        if payload.ends_with(b"\n") {
            let next = p.seq.wrapping_add(len);
            if !seen.contains(&next) {
                seen.push(next);
                if seen.len() > 2 {
                    seen.remove(0);
                }
            }
        }
        if !at_line_start {
            return Helped::Fine;
        }
        let text = String::from_utf8_lossy(payload);
        let first = text.split('\n').next().unwrap_or("");
        let Some(parsed) = announce::parse_line(first.trim_end_matches('\r'), from_client) else {
            return Helped::Fine;
        };
        if !text.contains('\n') {
            return Helped::Partial;
        }
        let Ok(a) = parsed else {
            return Helped::Fine;
        };
        // 229 names no address: the data connection goes to the announcer's address.
        let to = a.target(*p.src.ip());
        if to.ip() != p.src.ip() {
            return Helped::Fine;
        }
        self.expectations.retain(|e| e.master != master);
        self.expectations.push(Expectation {
            from: *p.dst.ip(),
            to,
            by: a.kind,
            master,
            until: self.now + EXPECT_TIMEOUT,
        });
        Helped::Fine
    }
}

impl Middlebox for Firewall {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn process(&mut self, now: Time, p: &Packet, from: LinkId) -> Decision {
        self.now = now;
        let dir = if from == self.inside {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        let v = self.decide(p, dir);
        match v.action {
            Action::Accept => Decision::Forward(Some(v)),
            Action::Drop => Decision::Drop(Box::new(v)),
            // Never answer a reset with a reset, nor an ICMP error with another (RFC 1122
            // §3.2.2, what Linux's REJECT target does too).
            Action::Reject if p.flags.rst || p.icmp.is_some() => Decision::Drop(Box::new(v)),
            Action::Reject => Decision::Reject {
                reply: match v.reject_with.and_then(RejectWith::icmp_code) {
                    Some(code) => crate::net::build_icmp_unreachable(p, code, self.own),
                    None => crate::net::build_rst(p),
                },
                verdict: Box::new(v),
            },
        }
    }

    fn address(&self) -> Option<Ipv4Addr> {
        Some(self.own)
    }

    fn report(&self) -> Report {
        Report::Firewall(FirewallReport {
            name: self.spec.name.clone(),
            rules: self.spec.rules.iter().map(|r| r.label()).collect(),
            hits: self.hits.clone(),
            default_policy: self.spec.default_policy,
            default_hits: self.default_hits,
        })
    }
}

/// Whether rule `r` (with its addresses parsed in `c`) matches `p`. As in iptables, a rule
/// for TCP, or with a port condition (which needs `-p tcp`), never matches an ICMP message.
fn matches(r: &Rule, c: &Compiled, p: &Packet, dir: Direction, state: CtState) -> bool {
    let ports = r.src_port != PortMatch::Any || r.dst_port != PortMatch::Any;
    let protocol = p.icmp.is_none() || (r.protocol == Protocol::Any && !ports);
    protocol
        && (r.direction == Direction::Any || r.direction == dir)
        && c.src.contains(*p.src.ip())
        && c.dst.contains(*p.dst.ip())
        && r.src_port.matches(p.src.port())
        && r.dst_port.matches(p.dst.port())
        && (r.state.is_empty() || r.state.contains(&state))
}

fn canon(a: SocketAddrV4, b: SocketAddrV4) -> FlowKey {
    if (a.ip().octets(), a.port()) <= (b.ip().octets(), b.port()) {
        (a, b)
    } else {
        (b, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Flags;

    fn pkt(src: &str, dst: &str, syn: bool, ack: bool, text: Option<&str>) -> Packet {
        pkt_at(src, dst, syn, ack, 1000, text)
    }

    fn pkt_at(src: &str, dst: &str, syn: bool, ack: bool, seq: u32, text: Option<&str>) -> Packet {
        let bytes = crate::net::segment(
            src.parse().unwrap(),
            dst.parse().unwrap(),
            Flags {
                syn,
                ack,
                ..Flags::default()
            },
            seq,
            2000,
            text.unwrap_or("").as_bytes(),
        );
        crate::net::decode(&bytes, text.is_some()).unwrap()
    }

    fn fw(rules: Vec<Rule>, default_policy: Action, helper: bool) -> Firewall {
        let addresses = rules
            .iter()
            .map(|r| (r.src.parse().unwrap(), r.dst.parse().unwrap()))
            .collect();
        Firewall::new(&crate::scenario::network::FirewallNode {
            spec: FirewallSpec {
                name: "client-fw".into(),
                protects: "client".into(),
                address: None,
                stateful: true,
                ftp_helper: helper,
                helper_port: 21,
                default_policy,
                default_reject_with: RejectWith::default(),
                rules,
            },
            protects: crate::ids::NodeId(0),
            inside: LinkId(0),
            own: "198.51.100.1".parse().unwrap(),
            helper_port: 21,
            addresses,
        })
    }

    fn rule(action: Action, direction: Direction, state: Vec<CtState>) -> Rule {
        Rule {
            action,
            direction,
            state,
            ..Rule::default()
        }
    }

    /// Linux's conntrack, from its sources (nf_conntrack_proto_icmp.c, nf_conntrack_inet_error;
    /// nf_conntrack_proto_tcp.c, tcp_new with nf_conntrack_tcp_loose=1): an ICMP error about
    /// a tracked connection is RELATED (it was INVALID, so a second stateful firewall dropped
    /// a reject's ICMP and the "immediate" failure took 60 s), one about nothing tracked is
    /// INVALID; a mid-stream segment is picked up (NEW, then ESTABLISHED both ways), a FIN or
    /// RST with no connection stays INVALID.
    #[test]
    fn icmp_errors_are_related_and_mid_stream_segments_are_picked_up_as_linux_does() {
        let related = rule(
            Action::Accept,
            Direction::Any,
            vec![CtState::Established, CtState::Related],
        );
        // The SYN goes out by a rule of its own: the firewall tracks it.
        let out = rule(Action::Accept, Direction::Outbound, vec![CtState::New]);
        let mut f = fw(vec![out, related], Action::Drop, false);
        let syn = pkt("203.0.113.10:20", "198.51.100.7:50131", true, false, None);
        assert_eq!(f.decide(&syn, Direction::Outbound).action, Action::Accept);
        let icmp = crate::net::decode(
            &crate::net::build_icmp_unreachable(&syn, 3, "203.0.113.1".parse().unwrap()),
            false,
        )
        .unwrap();
        let v = f.decide(&icmp, Direction::Inbound);
        assert_eq!(
            (v.state, v.action),
            (CtState::Related, Action::Accept),
            "{}",
            v.why
        );
        let other = pkt("203.0.113.10:20", "198.51.100.7:50999", true, false, None);
        let stray = crate::net::decode(
            &crate::net::build_icmp_unreachable(&other, 3, "203.0.113.1".parse().unwrap()),
            false,
        )
        .unwrap();
        assert_eq!(f.decide(&stray, Direction::Inbound).state, CtState::Invalid);

        let mut f = fw(vec![], Action::Accept, false);
        let mid = pkt(
            "198.51.100.7:50131",
            "203.0.113.10:21",
            false,
            true,
            Some("NOOP\r\n"),
        );
        assert_eq!(f.decide(&mid, Direction::Outbound).state, CtState::New);
        let back = pkt("203.0.113.10:21", "198.51.100.7:50131", false, true, None);
        assert_eq!(
            f.decide(&back, Direction::Inbound).state,
            CtState::Established
        );
        assert_eq!(
            f.decide(&mid, Direction::Outbound).state,
            CtState::Established
        );
        let mut fin = pkt("198.51.100.7:50200", "203.0.113.10:21", false, true, None);
        fin.flags.fin = true;
        assert_eq!(f.decide(&fin, Direction::Outbound).state, CtState::Invalid);
    }

    #[test]
    fn first_match_wins_and_default_policy_applies() {
        let mut f = fw(
            vec![
                Rule {
                    dst_port: PortMatch::Port(21),
                    ..rule(Action::Accept, Direction::Inbound, vec![])
                },
                rule(Action::Reject, Direction::Inbound, vec![]),
                rule(Action::Drop, Direction::Inbound, vec![]),
            ],
            Action::Drop,
            false,
        );
        let to21 = pkt("1.1.1.1:4000", "10.0.0.1:21", true, false, None);
        assert_eq!(f.decide(&to21, Direction::Inbound).rule(), Some(1));
        let to22 = pkt("1.1.1.1:4000", "10.0.0.1:22", true, false, None);
        let v = f.decide(&to22, Direction::Inbound);
        assert_eq!((v.rule(), v.action), (Some(2), Action::Reject));
        let out = pkt("10.0.0.1:4000", "1.1.1.1:80", true, false, None);
        let v = f.decide(&out, Direction::Outbound);
        assert_eq!((v.rule(), v.action), (None, Action::Drop));
        assert_eq!((f.hits.clone(), f.default_hits), (vec![1, 1, 0], 1));
    }

    /// A review found `matches` ignoring the protocol: a TCP rule matched an ICMP error.
    #[test]
    fn a_tcp_rule_or_a_port_rule_never_matches_an_icmp_error() {
        let syn = pkt("203.0.113.10:20", "198.51.100.7:50131", true, false, None);
        let icmp = crate::net::decode(
            &crate::net::build_icmp_unreachable(&syn, 3, "203.0.113.1".parse().unwrap()),
            false,
        )
        .unwrap();
        assert!(icmp.icmp.is_some());
        let tcp = Rule {
            protocol: Protocol::Tcp,
            ..rule(Action::Drop, Direction::Any, vec![])
        };
        let port = Rule {
            dst_port: PortMatch::Range(0, 65535),
            ..rule(Action::Drop, Direction::Any, vec![])
        };
        for r in [tcp, port] {
            let mut f = fw(vec![r.clone()], Action::Accept, false);
            let v = f.decide(&icmp, Direction::Outbound);
            assert_eq!((v.rule(), v.action), (None, Action::Accept), "{r:?}");
            // …while the same rule does match the TCP segment.
            let v = f.decide(&syn, Direction::Inbound);
            assert_eq!(v.rule(), Some(1), "{r:?}");
        }
        let any = rule(Action::Drop, Direction::Any, vec![]);
        let mut f = fw(vec![any], Action::Accept, false);
        assert_eq!(f.decide(&icmp, Direction::Outbound).rule(), Some(1));
    }

    #[test]
    fn ranges_and_cidrs_match_inclusively() {
        let r = Rule {
            src: "198.51.100.0/24".into(),
            dst_port: PortMatch::Range(10001, 10005),
            ..rule(Action::Accept, Direction::Any, vec![])
        };
        let mut f = fw(vec![r], Action::Drop, false);
        for (src, port, want) in [
            ("198.51.100.7", 10001, Some(1)),
            ("198.51.100.7", 10005, Some(1)),
            ("198.51.100.7", 10006, None),
            ("198.51.100.7", 10000, None),
            ("198.51.101.7", 10003, None),
        ] {
            let p = pkt(
                &format!("{src}:40000"),
                &format!("203.0.113.10:{port}"),
                true,
                false,
                None,
            );
            assert_eq!(
                f.decide(&p, Direction::Inbound).rule(),
                want,
                "{src}:{port}"
            );
        }
    }

    #[test]
    fn stateful_allows_replies_but_not_new_inbound_and_helper_makes_related() {
        let rules = vec![
            rule(
                Action::Accept,
                Direction::Any,
                vec![CtState::Established, CtState::Related],
            ),
            rule(Action::Accept, Direction::Outbound, vec![CtState::New]),
            rule(Action::Drop, Direction::Inbound, vec![CtState::New]),
        ];
        for helper in [false, true] {
            let mut f = fw(rules.clone(), Action::Drop, helper);
            let syn = pkt("198.51.100.7:40000", "203.0.113.10:21", true, false, None);
            assert_eq!(f.decide(&syn, Direction::Outbound).rule(), Some(2));
            let synack = pkt("203.0.113.10:21", "198.51.100.7:40000", true, true, None);
            let v = f.decide(&synack, Direction::Inbound);
            assert_eq!((v.state, v.rule()), (CtState::Established, Some(1)));
            let port = pkt(
                "198.51.100.7:40000",
                "203.0.113.10:21",
                false,
                true,
                Some("PORT 198,51,100,7,195,211\r\n"),
            );
            f.decide(&port, Direction::Outbound);
            let data_syn = pkt("203.0.113.10:20", "198.51.100.7:50131", true, false, None);
            let v = f.decide(&data_syn, Direction::Inbound);
            if helper {
                assert_eq!((v.state, v.action), (CtState::Related, Action::Accept));
            } else {
                assert_eq!(
                    (v.state, v.action, v.rule()),
                    (CtState::New, Action::Drop, Some(3))
                );
                assert!(v.why.contains("no FTP helper"));
            }
        }
    }

    /// Linux's FTP helper (nf_conntrack_ftp.c: `find_nl_seq`, `find_pattern` and its "partial
    /// matching" drop, the expect policy `max_expected = 1`, `timeout = 5 * 60`): a command is
    /// read only at the start of a segment that starts a line; one cut by the segment's end
    /// drops the segment; a second PORT replaces the first's expectation; an expectation
    /// lapses after 300 s.
    #[test]
    fn the_ftp_helper_reads_and_expects_as_linux_does() {
        let related = rule(
            Action::Accept,
            Direction::Any,
            vec![CtState::Established, CtState::Related],
        );
        let out = rule(Action::Accept, Direction::Outbound, vec![]);
        let mut f = fw(vec![related, out], Action::Drop, true);
        let (c, s) = ("198.51.100.7:40000", "203.0.113.10:21");
        let line = |f: &mut Firewall, seq: u32, text: &str| {
            f.decide(
                &pkt_at(c, s, false, true, seq, Some(text)),
                Direction::Outbound,
            )
        };
        let data = |f: &mut Firewall, port: u16| {
            let syn = pkt(
                "203.0.113.10:20",
                &format!("198.51.100.7:{port}"),
                true,
                false,
                None,
            );
            f.decide(&syn, Direction::Inbound).state
        };
        // The first segment: where the helper starts counting lines.
        let user = "USER anonymous\r\n";
        line(&mut f, 1000, user);
        let mut seq = 1000 + user.len() as u32;
        // A PORT cut by the segment's end: the segment is dropped.
        let v = line(&mut f, seq, "PORT 198,51,100,7,195");
        assert_eq!(v.action, Action::Drop, "{}", v.why);
        assert!(v.why.contains("partial"), "{}", v.why);
        // The whole line, retransmitted: read.
        let port1 = "PORT 198,51,100,7,195,211\r\n";
        assert_eq!(line(&mut f, seq, port1).action, Action::Accept);
        seq += port1.len() as u32;
        assert_eq!(data(&mut f, 50131), CtState::Related);
        // A second PORT replaces the first's expectation (one per control connection).
        let port2 = "PORT 198,51,100,7,195,212\r\n";
        line(&mut f, seq, port2);
        seq += port2.len() as u32;
        let port3 = "PORT 198,51,100,7,195,213\r\n";
        line(&mut f, seq, port3);
        seq += port3.len() as u32;
        assert_eq!(
            data(&mut f, 50132),
            CtState::New,
            "evicted by the next PORT"
        );
        // A command not at the start of its segment is not read.
        let two = "NOOP\r\nPORT 198,51,100,7,195,214\r\n";
        line(&mut f, seq, two);
        seq += two.len() as u32;
        assert_eq!(
            data(&mut f, 50134),
            CtState::New,
            "a PORT on the second line"
        );
        // Nor one in a segment that does not start a line (seq not after a newline).
        line(&mut f, seq + 7, "PORT 198,51,100,7,195,215\r\n");
        assert_eq!(data(&mut f, 50135), CtState::New, "mid-line");
        // An expectation lapses after 300 s.
        let port6 = "PORT 198,51,100,7,195,216\r\n";
        line(&mut f, seq, port6);
        f.now = Time::from_secs(301);
        assert_eq!(data(&mut f, 50136), CtState::New, "expired");
        assert_eq!(data(&mut f, 50133), CtState::New, "evicted before");
    }
}
