//! What the event list and the packet inspector show, computed from the trace alone: the
//! filters, one row per event, each packet's header fields with their byte ranges, the link
//! between a data connection and the PORT or 227 line that announced it (Wireshark's
//! `ftp-data.setup-frame`), and the inspector as plain text for a lab report.

use super::narrate::{host_port_words, reply_meaning, step_title};
use crate::ftp::command::masked;
use crate::ids::{ConnId, PacketId};
use crate::trace::{Channel, EventKind, Packet, PacketFate, Trace, Verdict};
use std::fmt::Write;
use std::ops::Range;

/// Which events the list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub channel: Option<Channel>,
    pub ftp_only: bool,
    pub packets_only: bool,
    pub stopped_only: bool,
    pub conn: Option<ConnId>,
    /// Only what belongs to this client: its connections, and what happened on it.
    pub client: Option<crate::ids::NodeId>,
    /// Only events up to here (predict mode hides the future).
    pub until: Option<usize>,
}

fn is_ftp_line(k: &EventKind) -> bool {
    matches!(k, EventKind::FtpCommand { .. } | EventKind::FtpReply { .. })
}

pub fn is_stopped(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::Packet {
            fate: PacketFate::Dropped { .. } | PacketFate::Rejected { .. },
            ..
        }
    )
}

/// The indices of the events `f` lets through, in trace order.
pub fn filter_events(trace: &Trace, f: &Filter) -> Vec<usize> {
    trace
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| f.channel.is_none() || e.channel == f.channel)
        .filter(|(_, e)| !f.ftp_only || is_ftp_line(&e.kind))
        .filter(|(_, e)| !f.packets_only || matches!(e.kind, EventKind::Packet { .. }))
        .filter(|(_, e)| !f.stopped_only || is_stopped(&e.kind))
        .filter(|(_, e)| f.conn.is_none() || e.conn == f.conn)
        .filter(|(_, e)| {
            f.client.is_none_or(|c| {
                e.node == c
                    || e.conn
                        .and_then(|k| trace.conn(k))
                        .is_some_and(|k| k.client == Some(c))
            })
        })
        .take_while(|(i, _)| f.until.is_none_or(|u| *i <= u))
        .map(|(i, _)| i)
        .collect()
}

/// One row of the event list.
/// The words for a channel in the event list's column.
pub fn channel_word(c: Option<Channel>) -> &'static str {
    match c {
        Some(Channel::Control) => "control",
        Some(Channel::Data) => "data",
        None => "",
    }
}

pub struct Row {
    pub time: String,
    pub at: String,
    pub from_to: String,
    pub summary: String,
    pub channel: Option<Channel>,
    pub step: String,
    pub verdict: String,
}

fn verdict_of(fate: &PacketFate) -> Option<&Verdict> {
    fate.verdict()
}

pub fn row(trace: &Trace, i: usize) -> Row {
    let e = &trace.events[i];
    let at = trace.node_name(e.node).to_owned();
    let none = String::new;
    let (from_to, summary, verdict) = match &e.kind {
        EventKind::Packet { packet, fate } => packet_row(trace, e, *packet, fate),
        EventKind::FtpCommand { line, sent } => {
            let how = if *sent {
                "command sent:"
            } else {
                "command read:"
            };
            (none(), format!("{how} {}", masked(line)), none())
        }
        EventKind::FtpReply { code, text, sent } => {
            let how = if *sent { "reply sent:" } else { "reply read:" };
            (none(), format!("{how} {code} {text}"), none())
        }
        EventKind::Console { line, .. } => (none(), format!("terminal: {line}"), none()),
        EventKind::TcpState {
            local,
            remote,
            from,
            to,
        } => (
            format!("{local} ↔ {remote}"),
            format!("TCP {from} → {to}"),
            none(),
        ),
        EventKind::ActionStarted { typed, .. } => (none(), format!("user types: {typed}"), none()),
        EventKind::ActionFinished { result } => {
            let how = if result.ok { "worked" } else { "failed" };
            (
                none(),
                format!("'{}' {how}: {}", result.action, result.detail),
                none(),
            )
        }
        EventKind::Note { note } => (none(), format!("note: {note}"), none()),
    };
    Row {
        time: format!("{:.3}", e.time.secs_f64()),
        at,
        from_to,
        summary,
        channel: e.channel,
        step: e.step.map_or_else(String::new, |s| s.to_string()),
        verdict,
    }
}

/// A packet event's (from → to, what it is and where it went, the verdict).
fn packet_row(
    trace: &Trace,
    e: &crate::trace::Event,
    packet: crate::ids::PacketId,
    fate: &PacketFate,
) -> (String, String, String) {
    let p = &trace.packets[packet];
    let (where_to, v) = match fate {
        PacketFate::Sent { link } | PacketFate::Forwarded { link, .. } => {
            let to = trace
                .link(*link)
                .map_or("?", |l| trace.node_name(l.other(e.node)));
            let word = if matches!(fate, PacketFate::Sent { .. }) {
                "sent"
            } else {
                "forwarded"
            };
            (format!("{word} → {to}"), verdict_of(fate))
        }
        PacketFate::Delivered => ("delivered".to_owned(), None),
        PacketFate::Dropped { verdict } => ("DROPPED".to_owned(), Some(&**verdict)),
        PacketFate::Rejected { verdict, .. } => ("REJECTED".to_owned(), Some(&**verdict)),
        PacketFate::Unroutable { .. } => ("no route".to_owned(), None),
    };
    let verdict = v.map_or_else(String::new, |v| {
        format!("{} · {} · {}", v.action, v.rule_words(), v.state)
    });
    (
        format!("{} → {}", p.src, p.dst),
        format!("{}  ({where_to})", masked(&p.summary())),
        verdict,
    )
}

/// The packet event the inspector shows for the cursor: the cursor's own packet event, or the
/// last packet event before it.
pub fn packet_event_at(trace: &Trace, cursor: usize) -> Option<usize> {
    let last = trace.events.len().checked_sub(1)?;
    (0..=cursor.min(last))
        .rev()
        .find(|i| matches!(trace.events[*i].kind, EventKind::Packet { .. }))
}

/// A packet a middlebox rewrote (a NAT, or an ALG changing the FTP text), seen from either
/// version: where it was rewritten, both versions, what changed, and an event of the other one.
#[derive(Clone, Debug, PartialEq)]
pub struct Rewrite {
    pub at: crate::ids::NodeId,
    pub before: crate::ids::PacketId,
    pub after: crate::ids::PacketId,
    /// The event of the other version, to go there.
    pub other_event: usize,
    /// The packet at the cursor is the version after the rewrite.
    pub is_after: bool,
}

/// The rewrite the packet of `event` took part in, if any.
pub fn rewrite_at(trace: &Trace, event: usize) -> Option<Rewrite> {
    let e = trace.events.get(event)?;
    let EventKind::Packet { packet, fate } = &e.kind else {
        return None;
    };
    let first_of = |p: crate::ids::PacketId| {
        trace
            .events
            .iter()
            .position(|x| matches!(&x.kind, EventKind::Packet { packet, .. } if *packet == p))
    };
    if let crate::trace::PacketFate::Forwarded {
        rewritten: Some(q), ..
    } = fate
    {
        // The event at the middlebox: the packet came in as `packet`, leaves as `q`.
        let other = trace
            .events
            .iter()
            .enumerate()
            .skip(event + 1)
            .find(|(_, x)| matches!(&x.kind, EventKind::Packet { packet, .. } if packet == q))
            .map_or(event, |(i, _)| i);
        return Some(Rewrite {
            at: e.node,
            before: *packet,
            after: *q,
            other_event: other,
            is_after: false,
        });
    }
    let prev = trace.packets[*packet].prev?;
    let (i, at) = trace
        .events
        .iter()
        .enumerate()
        .find_map(|(i, x)| match &x.kind {
            EventKind::Packet {
                fate:
                    crate::trace::PacketFate::Forwarded {
                        rewritten: Some(q), ..
                    },
                ..
            } if q == packet => Some((i, x.node)),
            _ => None,
        })?;
    Some(Rewrite {
        at,
        before: prev,
        after: *packet,
        other_event: first_of(prev).unwrap_or(i),
        is_after: true,
    })
}

/// The byte offsets where two versions of a packet differ (all of the longer tail when
/// the lengths differ).
pub fn changed_bytes(a: &[u8], b: &[u8]) -> Vec<usize> {
    let n = a.len().max(b.len());
    (0..n).filter(|i| a.get(*i) != b.get(*i)).collect()
}

/// A header field: its layer, name, value in words, and where it is in the bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldInfo {
    pub layer: &'static str,
    pub name: &'static str,
    pub value: String,
    pub bytes: Range<usize>,
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// The first SYN each side sent on connection `conn` (initial sequence numbers).
fn isns(trace: &Trace, conn: ConnId) -> Vec<(std::net::SocketAddrV4, u32)> {
    let mut out: Vec<(std::net::SocketAddrV4, u32)> = Vec::new();
    for e in &trace.events {
        if e.conn != Some(conn) {
            continue;
        }
        if let EventKind::Packet { packet, .. } = &e.kind {
            let p = &trace.packets[*packet];
            if p.flags.syn && !out.iter().any(|(a, _)| *a == p.src) {
                out.push((p.src, p.seq));
            }
        }
    }
    out
}

/// The fields of `p`, IPv4 first then TCP, with relative sequence numbers on `conn`.
fn field(layer: &'static str, name: &'static str, value: String, bytes: Range<usize>) -> FieldInfo {
    FieldInfo {
        layer,
        name,
        value,
        bytes,
    }
}

/// The fields of event `ev`'s packet `p`, its TTL as it was at that node (each router,
/// firewall and NAT before lowered it).
pub fn fields_at(trace: &Trace, ev: usize, p: &Packet, conn: Option<ConnId>) -> Vec<FieldInfo> {
    let mut fs = fields(trace, p, conn);
    if let Some(here) = trace.ttl_at(ev).filter(|t| *t != p.ttl)
        && let Some(f) = fs.iter_mut().find(|f| f.name == "TTL")
    {
        let hops = p.ttl - here;
        let s = if hops == 1 { "" } else { "s" };
        f.value = format!(
            "{here} here ({} when sent, less 1 at each of {hops} router{s})",
            p.ttl
        );
    }
    fs
}

pub fn fields(trace: &Trace, p: &Packet, conn: Option<ConnId>) -> Vec<FieldInfo> {
    let b = &p.bytes;
    if b.len() < 20 {
        return Vec::new();
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    let proto = match b[9] {
        1 => "ICMP",
        6 => "TCP",
        _ => "other",
    };
    let mut v = vec![
        field(
            "IPv4",
            "Version, header length",
            format!("4, {ihl} bytes"),
            0..1,
        ),
        field(
            "IPv4",
            "Total length",
            format!("{} bytes", be16(b, 2)),
            2..4,
        ),
        field("IPv4", "TTL", p.ttl.to_string(), 8..9),
        field("IPv4", "Protocol", format!("{} ({proto})", b[9]), 9..10),
        field(
            "IPv4",
            "Header checksum",
            format!("0x{:04x}", p.ip_checksum),
            10..12,
        ),
        field("IPv4", "Source address", p.src.ip().to_string(), 12..16),
        field(
            "IPv4",
            "Destination address",
            p.dst.ip().to_string(),
            16..20,
        ),
    ];
    match &p.icmp {
        Some(i) => v.extend(icmp_fields(p, i, ihl)),
        None => v.extend(tcp_fields(trace, p, conn, ihl)),
    }
    v
}

fn icmp_fields(p: &Packet, i: &crate::trace::Icmp, t: usize) -> Vec<FieldInfo> {
    let b = &p.bytes;
    if b.len() < t + 8 {
        return Vec::new();
    }
    let mut v = vec![
        field(
            "ICMP",
            "Type",
            format!("{} (destination unreachable)", i.kind),
            t..t + 1,
        ),
        field(
            "ICMP",
            "Code",
            format!("{} ({})", i.code, i.words()),
            t + 1..t + 2,
        ),
        field(
            "ICMP",
            "Checksum",
            format!("0x{:04x}", p.tcp_checksum),
            t + 2..t + 4,
        ),
    ];
    if let Some((a, c)) = i.quoted {
        let q = t + 8;
        let qihl = b.get(q).map_or(20, |x| usize::from(x & 0x0f) * 4);
        let end = (q + qihl).min(b.len());
        v.push(field(
            "ICMP",
            "Quoted IPv4 header",
            format!("{} → {} (the refused packet's)", a.ip(), c.ip()),
            q..end,
        ));
        v.push(field(
            "ICMP",
            "Quoted TCP ports",
            format!("{} → {} (the connection refused)", a.port(), c.port()),
            end..(q + qihl + 4).min(b.len()),
        ));
    }
    v
}

fn tcp_fields(trace: &Trace, p: &Packet, conn: Option<ConnId>, t: usize) -> Vec<FieldInfo> {
    let b = &p.bytes;
    if b.len() < t + 20 {
        return Vec::new();
    }
    let doff = usize::from(b[t + 12] >> 4) * 4;
    let isn = conn.map(|c| isns(trace, c)).unwrap_or_default();
    let rel = |who: std::net::SocketAddrV4, n: u32| {
        isn.iter()
            .find(|(a, _)| *a == who)
            .map(|(_, s)| n.wrapping_sub(*s))
    };
    let seq_words = match rel(p.src, p.seq) {
        Some(r) => format!("{r} (relative; absolute {})", p.seq),
        None => p.seq.to_string(),
    };
    let ack_words = match (p.flags.ack, rel(p.dst, p.ack)) {
        (false, _) => "(not set)".to_owned(),
        (true, Some(r)) => format!("{r} (relative; absolute {})", p.ack),
        (true, None) => p.ack.to_string(),
    };
    let mut v = vec![
        field("TCP", "Source port", p.src.port().to_string(), t..t + 2),
        field(
            "TCP",
            "Destination port",
            p.dst.port().to_string(),
            t + 2..t + 4,
        ),
        field("TCP", "Sequence number", seq_words, t + 4..t + 8),
        field("TCP", "Acknowledgment number", ack_words, t + 8..t + 12),
        field(
            "TCP",
            "Header length, flags",
            format!("{doff} bytes, {}", p.flags),
            t + 12..t + 14,
        ),
        field("TCP", "Window", p.window.to_string(), t + 14..t + 16),
        field(
            "TCP",
            "Checksum",
            format!("0x{:04x}", p.tcp_checksum),
            t + 16..t + 18,
        ),
    ];
    if p.payload_len > 0 {
        v.push(field(
            "TCP",
            "Payload",
            format!("{} bytes", p.payload_len),
            t + doff..b.len(),
        ));
    }
    v
}

/// The FTP layer in words: the line and what it means.
pub fn ftp_words(p: &Packet) -> Option<(String, String)> {
    let text = p.ftp_text.as_ref()?;
    let line = text.lines().next().unwrap_or("").to_owned();
    let line = masked(&line);
    let meaning = if let Some(w) = host_port_words(&line) {
        let verb = line.split_whitespace().next().unwrap_or("");
        if line.starts_with("227") || line.starts_with("229") {
            format!("{verb} announces {w}: the client is to connect there")
        } else {
            format!("{verb} announces {w}: the server is to connect there")
        }
    } else if let Ok(code) = line.get(..3).unwrap_or("").parse::<u16>() {
        format!("Reply {code}: {}", reply_meaning(code))
    } else {
        match crate::ftp::command::verb(&line).as_str() {
            "USER" => "the user name".to_owned(),
            "PASS" => "the password (sent in clear text!)".to_owned(),
            "PASV" => "asks the server to listen and tell which port (passive mode)".to_owned(),
            "EPSV" => {
                "asks the server to listen and tell only the port (extended passive mode, RFC 2428)"
                    .to_owned()
            }
            "LIST" => "asks for a directory listing over the data connection".to_owned(),
            "NLST" => "asks for a list of names over the data connection".to_owned(),
            "RETR" => "asks for a file over the data connection".to_owned(),
            "STOR" => "sends a file over the data connection".to_owned(),
            "TYPE" => "sets the transfer type".to_owned(),
            "QUIT" => "ends the session".to_owned(),
            _ => "an FTP command (RFC 959)".to_owned(),
        }
    };
    Some((line, meaning))
}

/// The first event of packet version `packet`.
fn first_event_of(trace: &Trace, packet: PacketId) -> Option<usize> {
    trace
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Packet { packet: p, .. } if *p == packet))
}

/// For a packet of a data connection: the event of the PORT/EPRT/227/229 packet that
/// announced it (Wireshark's `ftp-data.setup-frame`).
pub fn setup_event(trace: &Trace, event: usize) -> Option<usize> {
    let e = trace.events.get(event)?;
    let conn = trace.conn(e.conn?)?;
    first_event_of(trace, conn.announced.as_ref()?.packet)
}

/// For a PORT/EPRT/227/229 packet: the event of the first SYN of the data connection it
/// announced.
pub fn announced_event(trace: &Trace, event: usize) -> Option<usize> {
    let EventKind::Packet { packet, .. } = &trace.events.get(event)?.kind else {
        return None;
    };
    let journey = trace.packets[*packet].journey;
    let conn = trace.connections.iter().find(|c| {
        c.announced
            .as_ref()
            .is_some_and(|a| trace.packets[a.packet].journey == journey)
    })?;
    trace.events.iter().position(|x| x.conn == Some(conn.id))
}

/// The middleboxes' decisions on packet `packet`'s journey, along its way.
pub fn decisions(trace: &Trace, packet: PacketId) -> Vec<(usize, &Verdict)> {
    let journey = trace.packets[packet].journey;
    trace
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match &e.kind {
            EventKind::Packet { packet: p, fate } if trace.packets[*p].journey == journey => {
                verdict_of(fate).map(|v| (i, v))
            }
            _ => None,
        })
        .collect()
}

/// The inspector's content as text, for a lab report.
pub fn as_text(trace: &Trace, event: usize) -> String {
    let mut s = String::new();
    let Some(e) = trace.events.get(event) else {
        return s;
    };
    let EventKind::Packet { packet, .. } = &e.kind else {
        return s;
    };
    let p = &trace.packets[*packet];
    let r = row(trace, event);
    let _ = writeln!(
        s,
        "Packet {} at t = {} s, {}: {}",
        p.id, r.time, r.at, r.summary
    );
    if let Some(st) = e.step {
        let _ = writeln!(s, "Step: {st} — {}", step_title(st));
    }
    if let Some((line, meaning)) = ftp_words(p) {
        let _ = writeln!(s, "FTP: {line}\n  {meaning}");
    }
    let mut layer = "";
    for f in fields_at(trace, event, p, e.conn) {
        if f.layer != layer {
            layer = f.layer;
            let _ = writeln!(s, "{layer}:");
        }
        let _ = writeln!(s, "  {}: {}", f.name, f.value);
    }
    for (_, v) in decisions(trace, *packet) {
        let _ = writeln!(
            s,
            "Firewall {} ({}): {} — {}; state {}{}",
            v.middlebox,
            v.direction,
            v.action,
            v.rule_words(),
            v.state,
            if v.why.is_empty() {
                String::new()
            } else {
                format!(" ({})", v.why)
            }
        );
    }
    let _ = writeln!(s, "Bytes:");
    for (k, chunk) in p.bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "  {:04x}  {}", k * 16, hex.join(" "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::gui::shipped_trace as trace;

    #[test]
    fn field_ranges_cover_the_right_bytes() {
        let t = trace("active-open");
        let p = &t.packets[0];
        let fs = fields(&t, p, Some(crate::ids::ConnId(0)));
        let sport = fs.iter().find(|f| f.name == "Source port").unwrap();
        let b = &p.bytes[sport.bytes.clone()];
        assert_eq!(u16::from_be_bytes([b[0], b[1]]), p.src.port());
        let src = fs.iter().find(|f| f.name == "Source address").unwrap();
        assert_eq!(&p.bytes[src.bytes.clone()], &p.src.ip().octets());
        // The SYN's relative sequence number is 0.
        let seq = fs.iter().find(|f| f.name == "Sequence number").unwrap();
        assert!(seq.value.starts_with("0 (relative"), "{}", seq.value);
    }

    #[test]
    fn copied_text_has_the_rule_the_state_and_the_port_arithmetic() {
        let t = trace("active-client-fw-drops");
        let drop = t.events.iter().position(|e| is_stopped(&e.kind)).unwrap();
        let text = as_text(&t, drop);
        assert!(
            text.contains(
                "Firewall client-fw (inbound): drop — rule 2 'drop inbound new'; state new"
            ),
            "{text}"
        );
        assert!(text.contains("Step: active step 3"), "{text}");
        assert!(text.contains("  0000  45 00 "), "{text}");
        let port_ev = setup_event(&t, drop).unwrap();
        let text = as_text(&t, port_ev);
        let port = t
            .connections
            .iter()
            .find(|c| c.channel == Channel::Data)
            .unwrap()
            .responder
            .port();
        assert!(
            text.contains(&format!("= {port}: the server is to connect there")),
            "{text}"
        );
    }

    #[test]
    fn data_connections_link_to_their_announcement_and_back() {
        for name in ["active-open", "passive-open", "active-client-fw-drops"] {
            let t = trace(name);
            let data_syn = t
                .events
                .iter()
                .position(|e| e.channel == Some(Channel::Data))
                .unwrap();
            let setup = setup_event(&t, data_syn).unwrap();
            let EventKind::Packet { packet, .. } = &t.events[setup].kind else {
                panic!()
            };
            let text = t.packets[*packet].ftp_text.clone().unwrap();
            assert!(
                text.starts_with("PORT") || text.starts_with("227"),
                "{name}: {text}"
            );
            assert_eq!(announced_event(&t, setup), Some(data_syn), "{name}");
        }
    }
}
