//! What a rule set says, read without running it: each rule as an iptables and an nftables
//! line, the rules no packet can reach (shadowed by an earlier rule that matches everything
//! they match), a short description that a generated comment can follow, and which ports a
//! rule set opens for new inbound connections (for exercises).

use super::{FirewallSpec, PortMatch, Rule};
use crate::rules::{Action, Cidr, CtState, Direction, Protocol, RejectWith};

/// The interface names used in the iptables/nft lines: `lan` towards the protected side,
/// `wan` away from it.
fn ifaces(d: Direction) -> Option<(&'static str, &'static str)> {
    match d {
        Direction::Any => None,
        Direction::Inbound => Some(("wan", "lan")),
        Direction::Outbound => Some(("lan", "wan")),
    }
}

fn port_ipt(p: PortMatch) -> Option<String> {
    match p {
        PortMatch::Any => None,
        PortMatch::Port(x) => Some(x.to_string()),
        PortMatch::Range(a, b) => Some(format!("{a}:{b}")),
    }
}

fn port_nft(p: PortMatch) -> Option<String> {
    match p {
        PortMatch::Any => None,
        PortMatch::Port(x) => Some(x.to_string()),
        PortMatch::Range(a, b) => Some(format!("{a}-{b}")),
    }
}

fn states(r: &Rule) -> Vec<&'static str> {
    r.state
        .iter()
        .map(|s| match s {
            CtState::New => "NEW",
            CtState::Established => "ESTABLISHED",
            CtState::Related => "RELATED",
            CtState::Invalid => "INVALID",
            CtState::Untracked => "UNTRACKED",
        })
        .collect()
}

/// The rule as iptables writes it in the FORWARD chain:
/// `-A FORWARD -i wan -o lan -p tcp --dport 10001:10005 -m conntrack --ctstate NEW -j ACCEPT`.
pub fn iptables(r: &Rule) -> String {
    let mut s = String::from("-A FORWARD");
    if let Some((i, o)) = ifaces(r.direction) {
        s.push_str(&format!(" -i {i} -o {o}"));
    }
    let ports = r.src_port != PortMatch::Any || r.dst_port != PortMatch::Any;
    // iptables accepts `--reject-with tcp-reset` only on a `-p tcp` rule.
    let reset = r.action == Action::Reject && r.reject_with == RejectWith::TcpReset;
    if r.protocol == Protocol::Tcp || ports || reset {
        s.push_str(" -p tcp");
    }
    if !r.src_is_any() {
        s.push_str(&format!(" -s {}", r.src_shown()));
    }
    if let Some(p) = port_ipt(r.src_port) {
        s.push_str(&format!(" --sport {p}"));
    }
    if !r.dst_is_any() {
        s.push_str(&format!(" -d {}", r.dst_shown()));
    }
    if let Some(p) = port_ipt(r.dst_port) {
        s.push_str(&format!(" --dport {p}"));
    }
    if !r.state.is_empty() {
        s.push_str(&format!(" -m conntrack --ctstate {}", states(r).join(",")));
    }
    let target = match (r.action, r.reject_with) {
        (Action::Accept, _) => "ACCEPT",
        (Action::Drop, _) => "DROP",
        // Plain REJECT sends an ICMP port unreachable.
        (Action::Reject, RejectWith::IcmpPortUnreachable) => "REJECT",
        (Action::Reject, RejectWith::TcpReset) => "REJECT --reject-with tcp-reset",
        (Action::Reject, RejectWith::IcmpHostUnreachable) => {
            "REJECT --reject-with icmp-host-unreachable"
        }
        (Action::Reject, RejectWith::IcmpAdminProhibited) => {
            "REJECT --reject-with icmp-admin-prohibited"
        }
        (Action::Reject, RejectWith::IcmpNetUnreachable) => {
            "REJECT --reject-with icmp-net-unreachable"
        }
    };
    s.push_str(&format!(" -j {target}"));
    s
}

/// The same rule in nftables: `iifname "wan" oifname "lan" tcp dport 10001-10005 ct state new accept`.
pub fn nft(r: &Rule) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some((i, o)) = ifaces(r.direction) {
        parts.push(format!("iifname \"{i}\" oifname \"{o}\""));
    }
    if !r.src_is_any() {
        parts.push(format!("ip saddr {}", r.src_shown()));
    }
    if !r.dst_is_any() {
        parts.push(format!("ip daddr {}", r.dst_shown()));
    }
    if let Some(p) = port_nft(r.src_port) {
        parts.push(format!("tcp sport {p}"));
    }
    if let Some(p) = port_nft(r.dst_port) {
        parts.push(format!("tcp dport {p}"));
    } else if r.protocol == Protocol::Tcp && r.src_port == PortMatch::Any {
        parts.push("meta l4proto tcp".to_owned());
    }
    if !r.state.is_empty() {
        let st: Vec<String> = states(r).iter().map(|s| s.to_lowercase()).collect();
        parts.push(format!("ct state {}", st.join(",")));
    }
    parts.push(
        match (r.action, r.reject_with) {
            (Action::Accept, _) => "accept",
            (Action::Drop, _) => "drop",
            (Action::Reject, RejectWith::IcmpPortUnreachable) => "reject",
            (Action::Reject, RejectWith::TcpReset) => "reject with tcp reset",
            (Action::Reject, RejectWith::IcmpHostUnreachable) => {
                "reject with icmp host-unreachable"
            }
            (Action::Reject, RejectWith::IcmpAdminProhibited) => {
                "reject with icmp admin-prohibited"
            }
            (Action::Reject, RejectWith::IcmpNetUnreachable) => "reject with icmp net-unreachable",
        }
        .to_owned(),
    );
    parts.join(" ")
}

/// A short description, the kind of comment a person writes: `drop inbound new`,
/// `accept inbound tcp to port 10001-10005 new`.
pub fn short(r: &Rule) -> String {
    let mut s = format!("{}", r.action);
    if r.direction != Direction::Any {
        s.push_str(&format!(" {}", r.direction));
    }
    if !r.src_is_any() {
        s.push_str(&format!(" from {}", r.src_shown()));
    }
    if r.src_port != PortMatch::Any {
        s.push_str(&format!(" from port {}", r.src_port));
    }
    if !r.dst_is_any() {
        s.push_str(&format!(" to {}", r.dst_shown()));
    }
    if r.dst_port != PortMatch::Any {
        s.push_str(&format!(" to port {}", r.dst_port));
    }
    if !r.state.is_empty() {
        let st: Vec<String> = r.state.iter().map(ToString::to_string).collect();
        s.push_str(&format!(" {}", st.join("/")));
    }
    s
}

/// True when `r`'s comment was written by the program (empty, or the rule's own short or long
/// description): such a comment follows the rule's edits; a hand-written one is kept.
pub fn comment_is_generated(r: &Rule) -> bool {
    r.comment.is_empty() || r.comment == short(r) || r.comment == r.describe()
}

/// The iptables line that attaches the FTP helper to the control port. Since Linux 4.7 no
/// helper is attached on its own: without this line "accept related" lets nothing through.
pub fn helper_iptables(port: u16) -> String {
    format!("-t raw -A PREROUTING -p tcp --dport {port} -j CT --helper ftp")
}

/// The same in nftables: a helper object, and a rule that sets it.
pub fn helper_nft(port: u16) -> String {
    format!(
        "ct helper ftp-standard {{ type \"ftp\" protocol tcp; }}  …  tcp dport {port} ct helper set \"ftp-standard\""
    )
}

/// True when `r` matches every packet (no direction, protocol, address, port or state).
pub fn matches_every_packet(r: &Rule) -> bool {
    r.direction == Direction::Any
        && r.protocol == Protocol::Any
        && r.src_is_any()
        && r.dst_is_any()
        && r.src_port == PortMatch::Any
        && r.dst_port == PortMatch::Any
        && r.state.is_empty()
}

/// When a hand-written comment's words no longer fit the rule's action ("block passive range"
/// on a rule that now accepts): the word that does not fit. A generated comment always fits.
pub fn comment_misfit(r: &Rule) -> Option<String> {
    const STOPS: [&str; 6] = ["block", "drop", "deny", "reject", "refuse", "forbid"];
    const LETS: [&str; 4] = ["allow", "accept", "permit", "open"];
    if comment_is_generated(r) {
        return None;
    }
    let lower = r.comment.to_lowercase();
    let word = lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| STOPS.iter().chain(&LETS).any(|k| w.starts_with(k)))?;
    let stops = STOPS.iter().any(|k| word.starts_with(k));
    let fits = match r.action {
        Action::Accept => !stops,
        _ => stops,
    };
    (!fits).then(|| word.to_owned())
}

fn port_range(p: PortMatch) -> (u32, u32) {
    match p {
        PortMatch::Any => (0, 65535),
        PortMatch::Port(x) => (x, x),
        PortMatch::Range(a, b) => (a, b),
    }
}

fn ports_cover(outer: PortMatch, inner: PortMatch) -> bool {
    let (a, b) = port_range(outer);
    let (c, d) = port_range(inner);
    a <= c && d <= b
}

fn cidr_covers(outer: &str, inner: &str) -> bool {
    let (Ok(o), Ok(i)) = (outer.parse::<Cidr>(), inner.parse::<Cidr>()) else {
        return false;
    };
    o.len <= i.len && o.contains(i.addr)
}

/// True when every packet `inner` matches, `outer` matches too.
pub fn covers(outer: &Rule, inner: &Rule) -> bool {
    let dir = outer.direction == Direction::Any || outer.direction == inner.direction;
    let proto = outer.protocol == Protocol::Any || outer.protocol == inner.protocol;
    let state = outer.state.is_empty()
        || (!inner.state.is_empty() && inner.state.iter().all(|s| outer.state.contains(s)));
    dir && proto
        && state
        && cidr_covers(&outer.src, &inner.src)
        && cidr_covers(&outer.dst, &inner.dst)
        && ports_cover(outer.src_port, inner.src_port)
        && ports_cover(outer.dst_port, inner.dst_port)
}

/// For each rule, the earlier rule (1-based) that takes every packet it could match, if any.
/// Only a single earlier rule that covers it counts: rules that overlap in part are fine.
pub fn shadowed(rules: &[Rule]) -> Vec<Option<usize>> {
    rules
        .iter()
        .enumerate()
        .map(|(j, r)| {
            rules[..j]
                .iter()
                .position(|earlier| covers(earlier, r))
                .map(|i| i + 1)
        })
        .collect()
}

/// The destination ports a firewall accepts for NEW connections coming inbound, counted over
/// its rules (first match wins; a port range counts each port): a sorted list of ranges.
pub fn new_inbound_ports(fw: &FirewallSpec) -> Vec<(u32, u32)> {
    let mut open: Vec<(u32, u32)> = Vec::new();
    // Ports already decided (accepted or refused) by an earlier rule that matches every
    // NEW inbound packet to them.
    let mut decided: Vec<(u32, u32)> = Vec::new();
    let reaches_new_inbound = |r: &Rule| {
        (r.direction == Direction::Any || r.direction == Direction::Inbound)
            && (r.state.is_empty() || r.state.contains(&CtState::New))
    };
    let catches_all = |r: &Rule| r.src_is_any() && r.dst_is_any() && r.src_port == PortMatch::Any;
    for r in &fw.rules {
        if !reaches_new_inbound(r) {
            continue;
        }
        let range = port_range(r.dst_port);
        let range = (range.0.max(1), range.1);
        if r.action == Action::Accept {
            for piece in subtract(range, &decided) {
                open.push(piece);
            }
        }
        if catches_all(r) {
            decided.push(range);
        }
    }
    if fw.default_policy == Action::Accept {
        for piece in subtract((1, 65535), &decided) {
            open.push(piece);
        }
    }
    merge(open)
}

/// `range` minus every range in `taken`.
fn subtract(range: (u32, u32), taken: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut left = vec![range];
    for &(a, b) in taken {
        left = left
            .into_iter()
            .flat_map(|(x, y)| {
                let mut out = Vec::new();
                if b < x || a > y {
                    out.push((x, y));
                } else {
                    if x < a {
                        out.push((x, a - 1));
                    }
                    if b < y {
                        out.push((b + 1, y));
                    }
                }
                out
            })
            .collect();
    }
    left
}

fn merge(mut v: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    v.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// How many ports a list of ranges holds.
pub fn count_ports(ranges: &[(u32, u32)]) -> u32 {
    ranges.iter().map(|(a, b)| b - a + 1).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(action: Action, direction: Direction, dport: PortMatch, state: Vec<CtState>) -> Rule {
        Rule {
            action,
            direction,
            dst_port: dport,
            state,
            ..Rule::default()
        }
    }

    #[test]
    fn the_helper_is_shown_as_linux_attaches_it() {
        assert_eq!(
            helper_iptables(21),
            "-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp"
        );
        assert!(helper_nft(2121).contains("tcp dport 2121 ct helper set \"ftp-standard\""));
    }

    #[test]
    fn a_hand_written_comment_that_no_longer_fits_its_action_is_flagged() {
        let mut r = rule(Action::Drop, Direction::Any, PortMatch::Any, vec![]);
        r.comment = "block passive range 10001-10005".into();
        assert_eq!(comment_misfit(&r), None);
        r.action = Action::Accept;
        assert_eq!(comment_misfit(&r).as_deref(), Some("block"));
        r.comment = "Allow replies".into();
        assert_eq!(comment_misfit(&r), None);
        r.action = Action::Reject;
        assert_eq!(comment_misfit(&r).as_deref(), Some("allow"));
        // No verdict word, or a generated comment: nothing to say.
        r.comment = "passive range".into();
        assert_eq!(comment_misfit(&r), None);
        r.comment = short(&r);
        assert_eq!(comment_misfit(&r), None);
    }

    #[test]
    fn rules_read_as_iptables_and_nft() {
        let r = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Range(10001, 10005),
            vec![CtState::New],
        );
        assert_eq!(
            iptables(&r),
            "-A FORWARD -i wan -o lan -p tcp --dport 10001:10005 -m conntrack --ctstate NEW -j ACCEPT"
        );
        assert_eq!(
            nft(&r),
            "iifname \"wan\" oifname \"lan\" tcp dport 10001-10005 ct state new accept"
        );
        assert_eq!(short(&r), "accept inbound to port 10001-10005 new");
    }

    /// Seen in review: the analysis compared the text with "any", so a drop-all written as
    /// `0.0.0.0/0` or `ANY` did not count as catching everything, and iptables got `-s ANY`.
    #[test]
    fn every_spelling_of_any_address_is_any() {
        for spelling in ["any", "ANY", " any ", "0.0.0.0/0", "10.0.0.0/0"] {
            let mut r = rule(
                Action::Drop,
                Direction::Inbound,
                PortMatch::Any,
                vec![CtState::New],
            );
            r.src = spelling.into();
            r.dst = spelling.into();
            assert_eq!(
                iptables(&r),
                "-A FORWARD -i wan -o lan -m conntrack --ctstate NEW -j DROP",
                "{spelling}"
            );
            assert_eq!(
                nft(&r),
                "iifname \"wan\" oifname \"lan\" ct state new drop",
                "{spelling}"
            );
            assert_eq!(short(&r), "drop inbound new", "{spelling}");
            let open = rule(
                Action::Accept,
                Direction::Inbound,
                PortMatch::Port(8080),
                vec![CtState::New],
            );
            let fw = FirewallSpec {
                name: "fw".into(),
                protects: "server".into(),
                address: None,
                stateful: true,
                ftp_helper: false,
                helper_port: 21,
                default_policy: Action::Accept,
                default_reject_with: crate::rules::RejectWith::default(),
                rules: vec![r, open],
            };
            assert!(
                new_inbound_ports(&fw).is_empty(),
                "{spelling}: {:?}",
                new_inbound_ports(&fw)
            );
        }
        let mut r = rule(Action::Drop, Direction::Inbound, PortMatch::Any, vec![]);
        r.src = "198.51.100.7/32".into();
        assert!(
            iptables(&r).contains("-s 198.51.100.7 "),
            "{}",
            iptables(&r)
        );
    }

    #[test]
    fn a_rule_after_accept_all_inbound_new_is_shadowed_but_partial_overlaps_are_not() {
        let all = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Any,
            vec![CtState::New],
        );
        let drop21 = rule(
            Action::Drop,
            Direction::Inbound,
            PortMatch::Port(21),
            vec![CtState::New],
        );
        assert_eq!(shadowed(&[all.clone(), drop21.clone()]), [None, Some(1)]);
        // 10001-10005 then 10003-10010: they overlap in part, the second still matters.
        let a = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Range(10001, 10005),
            vec![],
        );
        let b = rule(
            Action::Drop,
            Direction::Inbound,
            PortMatch::Range(10003, 10010),
            vec![],
        );
        assert_eq!(shadowed(&[a, b]), [None, None]);
        // Any direction covers inbound; inbound does not cover any.
        let any = rule(Action::Accept, Direction::Any, PortMatch::Any, vec![]);
        assert_eq!(shadowed(&[drop21.clone(), any.clone()]), [None, None]);
        assert_eq!(shadowed(&[any, drop21]), [None, Some(1)]);
    }

    #[test]
    fn new_inbound_ports_count_ranges_once_and_respect_first_match() {
        let fw = |rules: Vec<Rule>, default_policy: Action| FirewallSpec {
            name: "fw".into(),
            protects: "server".into(),
            address: None,
            stateful: true,
            ftp_helper: false,
            helper_port: 21,
            default_policy,
            default_reject_with: crate::rules::RejectWith::default(),
            rules,
        };
        let est = rule(
            Action::Accept,
            Direction::Any,
            PortMatch::Any,
            vec![CtState::Established],
        );
        let p21 = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Port(21),
            vec![CtState::New],
        );
        let range = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Range(10001, 10005),
            vec![CtState::New],
        );
        let overlap = rule(
            Action::Accept,
            Direction::Inbound,
            PortMatch::Range(10003, 10008),
            vec![],
        );
        let f = fw(
            vec![est.clone(), p21.clone(), range.clone(), overlap],
            Action::Drop,
        );
        let open = new_inbound_ports(&f);
        assert_eq!(open, [(21, 21), (10001, 10008)]);
        assert_eq!(count_ports(&open), 9);
        // A drop of everything first: nothing after it opens anything.
        let drop_all = rule(Action::Drop, Direction::Inbound, PortMatch::Any, vec![]);
        assert!(new_inbound_ports(&fw(vec![drop_all, p21.clone()], Action::Drop)).is_empty());
        // Default accept opens every port no earlier rule decided.
        let f = fw(
            vec![rule(
                Action::Drop,
                Direction::Inbound,
                PortMatch::Range(1, 1023),
                vec![],
            )],
            Action::Accept,
        );
        assert_eq!(count_ports(&new_inbound_ports(&f)), 65535 - 1023);
    }
}
