//! Firewall rules and verdicts as plain data, shared by the scenario files, the firewall that
//! applies them and the trace that records them (so `trace` and `firewall` do not import each
//! other). Ports are `u32` here so that a scenario's `70000` reaches validation and gets a
//! clear message instead of a parser error.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    #[default]
    Accept,
    Drop,
    Reject,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Accept => "accept",
            Action::Drop => "drop",
            Action::Reject => "reject",
        })
    }
}

/// What a rejecting rule answers with (iptables' `--reject-with`). The default is iptables'
/// own: an ICMP port unreachable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RejectWith {
    /// A TCP reset, as if the port were closed (`tcp-reset`).
    TcpReset,
    /// ICMP destination unreachable, code 3 (`icmp-port-unreachable`, iptables' default).
    #[default]
    IcmpPortUnreachable,
    /// ICMP destination unreachable, code 1 (`icmp-host-unreachable`).
    IcmpHostUnreachable,
    /// ICMP destination unreachable, code 0 (`icmp-net-unreachable`; also what a router with
    /// no route sends).
    IcmpNetUnreachable,
    /// ICMP destination unreachable, code 13: communication administratively prohibited
    /// (`icmp-admin-prohibited`).
    IcmpAdminProhibited,
}

impl RejectWith {
    pub const ALL: [RejectWith; 5] = [
        RejectWith::TcpReset,
        RejectWith::IcmpPortUnreachable,
        RejectWith::IcmpHostUnreachable,
        RejectWith::IcmpNetUnreachable,
        RejectWith::IcmpAdminProhibited,
    ];

    /// The ICMP code (type 3, destination unreachable), or `None` for a TCP reset.
    pub fn icmp_code(self) -> Option<u8> {
        match self {
            RejectWith::TcpReset => None,
            RejectWith::IcmpPortUnreachable => Some(3),
            RejectWith::IcmpHostUnreachable => Some(1),
            RejectWith::IcmpNetUnreachable => Some(0),
            RejectWith::IcmpAdminProhibited => Some(13),
        }
    }

    /// The ICMP message in the transcript's words (`port-unreachable`); empty for a reset.
    pub fn icmp_words(self) -> &'static str {
        match self {
            RejectWith::TcpReset => "",
            RejectWith::IcmpPortUnreachable => "port-unreachable",
            RejectWith::IcmpHostUnreachable => "host-unreachable",
            RejectWith::IcmpNetUnreachable => "net-unreachable",
            RejectWith::IcmpAdminProhibited => "admin-prohibited",
        }
    }

    /// What the sender's `connect()` fails with on Linux.
    pub fn errno(self) -> &'static str {
        match self {
            RejectWith::TcpReset | RejectWith::IcmpPortUnreachable => {
                "ECONNREFUSED (Connection refused)"
            }
            RejectWith::IcmpHostUnreachable | RejectWith::IcmpAdminProhibited => {
                "EHOSTUNREACH (No route to host)"
            }
            RejectWith::IcmpNetUnreachable => "ENETUNREACH (Network is unreachable)",
        }
    }

    /// In words: "a TCP reset", "an ICMP port unreachable".
    pub fn words(self) -> &'static str {
        match self {
            RejectWith::TcpReset => "a TCP reset (RST)",
            RejectWith::IcmpPortUnreachable => "an ICMP port unreachable",
            RejectWith::IcmpHostUnreachable => "an ICMP host unreachable",
            RejectWith::IcmpNetUnreachable => "an ICMP net unreachable",
            RejectWith::IcmpAdminProhibited => "an ICMP administratively prohibited",
        }
    }
}

impl Verdict {
    /// What a reject answered with (a TCP reset when not recorded: older traces).
    pub fn reply_kind(&self) -> RejectWith {
        self.reject_with.unwrap_or(RejectWith::TcpReset)
    }
}

impl fmt::Display for RejectWith {
    /// iptables' name for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectWith::TcpReset => "tcp-reset",
            RejectWith::IcmpPortUnreachable => "icmp-port-unreachable",
            RejectWith::IcmpHostUnreachable => "icmp-host-unreachable",
            RejectWith::IcmpNetUnreachable => "icmp-net-unreachable",
            RejectWith::IcmpAdminProhibited => "icmp-admin-prohibited",
        })
    }
}

/// Towards the protected side (inbound) or away from it (outbound).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    #[default]
    Any,
    Inbound,
    Outbound,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Any => "any direction",
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        })
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    #[default]
    Any,
    Tcp,
}

/// Connection-tracking state of a packet (Linux's `ct state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CtState {
    New,
    Established,
    Related,
    Invalid,
    /// The firewall does not track connections.
    Untracked,
}

impl fmt::Display for CtState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CtState::New => "new",
            CtState::Established => "established",
            CtState::Related => "related",
            CtState::Invalid => "invalid",
            CtState::Untracked => "untracked",
        })
    }
}

/// A port condition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortMatch {
    #[default]
    Any,
    Port(u32),
    Range(u32, u32),
}

impl PortMatch {
    pub fn matches(&self, port: u16) -> bool {
        let p = u32::from(port);
        match *self {
            PortMatch::Any => true,
            PortMatch::Port(x) => p == x,
            PortMatch::Range(lo, hi) => lo <= p && p <= hi,
        }
    }
}

impl FromStr for PortMatch {
    type Err = crate::ports::PortError;
    /// `any` (or nothing), a port, or a range (`10001-10005`), through `ports`' one parser.
    fn from_str(s: &str) -> Result<PortMatch, Self::Err> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("any") {
            return Ok(PortMatch::Any);
        }
        let r: crate::ports::PortRange = t.parse()?;
        Ok(if t.contains(['-', ':', '–']) {
            PortMatch::Range(u32::from(r.lo()), u32::from(r.hi()))
        } else {
            PortMatch::Port(u32::from(r.lo()))
        })
    }
}

impl fmt::Display for PortMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortMatch::Any => f.write_str("any"),
            PortMatch::Port(p) => write!(f, "{p}"),
            PortMatch::Range(a, b) => write!(f, "{a}-{b}"),
        }
    }
}

/// An IPv4 prefix, or `any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub len: u8,
}

impl Cidr {
    pub const ANY: Cidr = Cidr {
        addr: Ipv4Addr::UNSPECIFIED,
        len: 0,
    };

    /// Every address: `any`, `0.0.0.0/0`, or any address with prefix length 0.
    pub fn is_any(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        };
        u32::from(ip) & mask == u32::from(self.addr) & mask
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("any") || s.is_empty() {
            return Ok(Cidr::ANY);
        }
        let (a, l) = s.split_once('/').unwrap_or((s, "32"));
        let addr: Ipv4Addr = a
            .parse()
            .map_err(|_| format!("'{a}' is not an IPv4 address"))?;
        let len: u8 = l
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| format!("'/{l}' is not a prefix length from 0 to 32"))?;
        Ok(Cidr { addr, len })
    }
}

/// `any`, `198.51.100.7` (a /32), or `10.0.0.0/8`: the form a rule file and the window use.
impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.len {
            0 => f.write_str("any"),
            32 => write!(f, "{}", self.addr),
            n => write!(f, "{}/{n}", self.addr),
        }
    }
}

fn any() -> String {
    "any".to_owned()
}

fn is_any(s: &str) -> bool {
    s.parse::<Cidr>().is_ok_and(|c| c.is_any())
}

fn shown(s: &str) -> String {
    s.parse::<Cidr>()
        .map_or_else(|_| s.to_owned(), |c| c.to_string())
}

/// One rule. Unset fields match anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub action: Action,
    #[serde(default)]
    pub direction: Direction,
    #[serde(default)]
    pub protocol: Protocol,
    #[serde(default = "any")]
    pub src: String,
    #[serde(default = "any")]
    pub dst: String,
    #[serde(default)]
    pub src_port: PortMatch,
    #[serde(default)]
    pub dst_port: PortMatch,
    /// Connection states matched; empty = any state.
    #[serde(default)]
    pub state: Vec<CtState>,
    /// What a `Reject` answers with.
    #[serde(default)]
    pub reject_with: RejectWith,
    #[serde(default)]
    pub comment: String,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            action: Action::Accept,
            direction: Direction::Any,
            protocol: Protocol::Any,
            src: any(),
            dst: any(),
            src_port: PortMatch::Any,
            dst_port: PortMatch::Any,
            state: Vec::new(),
            reject_with: RejectWith::default(),
            comment: String::new(),
        }
    }
}

impl Rule {
    /// The comment if there is one, else a description.
    pub fn label(&self) -> String {
        if self.comment.is_empty() {
            self.describe()
        } else {
            self.comment.clone()
        }
    }

    /// Whether the source matches every address (`any`, `ANY`, `0.0.0.0/0`, …).
    pub fn src_is_any(&self) -> bool {
        is_any(&self.src)
    }

    pub fn dst_is_any(&self) -> bool {
        is_any(&self.dst)
    }

    /// The source as the window and the exports show it: `any`, `198.51.100.7`, `10.0.0.0/8`
    /// (as written when it does not parse, which validation reports).
    pub fn src_shown(&self) -> String {
        shown(&self.src)
    }

    pub fn dst_shown(&self) -> String {
        shown(&self.dst)
    }

    /// `drop inbound tcp from any port any to any port 21, state new`.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.action, self.direction);
        if self.protocol == Protocol::Tcp {
            s.push_str(" tcp");
        }
        if !self.src_is_any() || self.src_port != PortMatch::Any {
            s.push_str(&format!(
                " from {} port {}",
                self.src_shown(),
                self.src_port
            ));
        }
        if !self.dst_is_any() || self.dst_port != PortMatch::Any {
            s.push_str(&format!(" to {} port {}", self.dst_shown(), self.dst_port));
        }
        if !self.state.is_empty() {
            let st: Vec<String> = self.state.iter().map(ToString::to_string).collect();
            s.push_str(&format!(", state {}", st.join("/")));
        }
        s
    }
}

/// What made a middlebox's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// A firewall rule, numbered from 1.
    Rule(usize),
    /// No rule matched: the firewall's default policy.
    DefaultPolicy,
    /// A NAT translated a connection it maps (addresses and ports).
    Translation,
    /// A NAT's FTP ALG rewrote the announcement the packet carries.
    Rewrite,
    /// A NAT had no translation for it.
    NoTranslation,
    /// Read from a capture: inferred from what came back, or did not.
    Inferred,
    /// A middlebox without rules stopped it.
    Other,
}

/// Why a middlebox did what it did with a packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The middlebox (a firewall's name, a NAT's name).
    pub middlebox: String,
    pub direction: Direction,
    pub state: CtState,
    pub action: Action,
    /// Why it decided so: a rule (1-based), the default policy, a NAT's translation, …
    pub reason: Reason,
    /// The rule as people read it (its comment, or a description).
    pub rule_text: String,
    /// Extra words on the state ("related: expected after PORT on connection 0").
    pub why: String,
    /// For a reject: what it answered with.
    #[serde(default)]
    pub reject_with: Option<RejectWith>,
}

impl Verdict {
    /// The firewall rule that decided (1-based), if a rule did.
    pub fn rule(&self) -> Option<usize> {
        match self.reason {
            Reason::Rule(n) => Some(n),
            _ => None,
        }
    }

    /// `rule 2 'drop inbound new'` or `the default policy (drop)`.
    pub fn rule_words(&self) -> String {
        match self.reason {
            Reason::Rule(n) => format!("rule {n} '{}'", self.rule_text),
            Reason::DefaultPolicy => format!("the default policy ({})", self.action),
            _ => self.rule_text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parses_and_matches() {
        let c: Cidr = "198.51.100.0/24".parse().unwrap();
        assert!(c.contains("198.51.100.255".parse().unwrap()));
        assert!(!c.contains("198.51.101.0".parse().unwrap()));
        assert!(
            "any"
                .parse::<Cidr>()
                .unwrap()
                .contains("1.2.3.4".parse().unwrap())
        );
        assert!(
            "10.0.0.1"
                .parse::<Cidr>()
                .unwrap()
                .contains("10.0.0.1".parse().unwrap())
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("10.0.0/8".parse::<Cidr>().is_err());
    }
}
