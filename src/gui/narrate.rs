//! Narration: each event in plain words. A headline (the step of the four-step handshake in
//! the seed article's words, or what this very packet is: "ACK: the client acknowledges the
//! 230 reply") and the detail (where it is, which middlebox decided and why, what an
//! announcement announces). Plain functions of the trace: no egui.

use crate::firewall::{CtState, Reason};
use crate::ftp::Mode;
use crate::ftp::announce::{self, Kind};
use crate::ftp::command::masked;
use crate::ids::PacketId;
use crate::trace::{
    Channel, Connection, EventKind, NodeKind, Packet, PacketFate, Step, Trace, Verdict,
};

/// The step words of the seed article.
pub fn step_title(step: Step) -> &'static str {
    match (step.mode, step.n) {
        // Said when the PORT is sent: the control connection is long open by then (it said
        // "the client connects to port 21", which happened at the very start).
        (Mode::Active, 1) => {
            "over the control connection, the client tells the server which port it listens on for data (PORT)"
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
        125 => "the data connection is already open; the transfer starts",
        150 => "the server is about to open (or use) the data connection",
        200 => "command okay",
        220 => "the server is ready for a new user",
        221 => "the server closes the control connection",
        226 => "transfer complete; the data connection is closed",
        227 => "entering passive mode: the reply carries the address and port to connect to",
        229 => {
            "entering extended passive mode: the reply carries only the port; the address is the control connection's"
        }
        230 => "the user is logged in",
        250 => "the file action is done",
        257 => "a path name",
        331 => "user name okay, the password is needed",
        421 => {
            "service not available (RFC 959: the server is closing the control connection; pyftpdlib also sends 421 when a data connection timed out, and keeps the session open)"
        }
        425 => "the server could not open the data connection",
        426 => "the connection closed; the transfer was aborted",
        500 => "syntax error, command not recognised",
        501 => "syntax error in the arguments",
        502 => "command not implemented",
        530 => "not logged in",
        550 => "the file is unavailable",
        522 => "the server does not speak that network protocol (EPRT/EPSV with |2|, IPv6)",
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
    // A NAT's FTP helper: what it did is the sentence ("rewrote PORT '…' to '…'; …").
    if v.reason == Reason::Rewrite {
        return format!(
            "Why: {}'s FTP helper {}.",
            v.middlebox,
            v.why.trim_end_matches('.')
        );
    }
    // Read from a capture: what came back (or did not) is all there is to go on.
    if v.reason == Reason::Inferred {
        let why = if v.why.is_empty() {
            String::new()
        } else {
            format!(" ({})", v.why)
        };
        return format!(
            "Why, as far as the capture shows: {}{why}. Which box and which rule cannot be seen from the capture point.",
            v.rule_text
        );
    }
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
    let headline = match (e.step, &e.kind) {
        // A step the server refused did not happen as the diagram says it should.
        (Some(s), EventKind::FtpReply { code, .. }) if *code >= 400 => {
            format!("Step {}: the server refuses ({code}).", s.n)
        }
        (Some(s), _) => format!("Step {}: {}.", s.n, step_title(s)),
        (None, EventKind::Packet { packet, .. }) => packet_headline(trace, i, *packet),
        (None, _) => String::new(),
    };
    let detail = match &e.kind {
        EventKind::Packet { packet, fate } => packet_detail(trace, e, *packet, fate, &node),
        EventKind::FtpCommand { line, sent } => {
            let l = masked(line);
            if *sent {
                format!("The client sends the command {l}.")
            } else {
                format!("The server reads the command {l}.")
            }
        }
        EventKind::FtpReply { code, text, sent } => reply_detail(trace, i, *code, text, *sent),
        EventKind::Console { line, .. } => format!("The user's terminal shows: {line}"),
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
        EventKind::Note { note } => format!("{node} notes: {note}"),
    };
    (headline, detail)
}

/// What happened to a packet at `node`, and what it announces (as it goes on, after a
/// rewrite).
fn packet_detail(
    trace: &Trace,
    e: &crate::trace::Event,
    packet: PacketId,
    fate: &PacketFate,
    node: &str,
) -> String {
    let p = &trace.packets[packet];
    let what = masked(&p.summary());
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
            "{what} is REJECTED at {node}. {} The firewall answers with {}, so the sender learns at once: its connect() fails with {}.",
            verdict_sentence(verdict),
            verdict.reply_kind().words(),
            verdict.reply_kind().errno()
        ),
        PacketFate::Unroutable {
            why,
            reply: Some(r),
        } => format!(
            "{what} goes no further at {node}: {why}. {node} answers with an ICMP error from its own address {}, so the sender learns at once.",
            trace.packets[*r].src.ip()
        ),
        PacketFate::Unroutable { why, reply: None } => format!(
            "{what} goes nowhere at {node}: {why}. Nothing answers (the Internet's routers drop private addresses without a word; a router with no route of its own would answer ICMP net unreachable): the sender will retry."
        ),
    };
    // A NAT's helper rewrote it: what goes on is the rewritten packet.
    let (after, p) = match fate {
        PacketFate::Forwarded {
            rewritten: Some(q), ..
        } => (true, &trace.packets[*q]),
        _ => (false, p),
    };
    if let Some(t) = &p.ftp_text
        && let Some(w) = host_port_words(t)
    {
        if after {
            s.push_str(&format!(" After the rewrite it announces {w}."));
        } else {
            s.push_str(&format!(" It announces {w}."));
        }
    }
    s
}

/// A reply sent or read: what it means, and whose words these are.
fn reply_detail(trace: &Trace, i: usize, code: u16, text: &str, sent: bool) -> String {
    let m = refusal_words(trace, i, code).unwrap_or(reply_meaning(code));
    let m = if m.is_empty() {
        String::new()
    } else {
        format!(" ({m})")
    };
    // Which real server's words these are, and what the other would have done.
    let server = crate::ftp::server::ServerProfile::told(text);
    if sent {
        format!("The server replies {code} {text}{m}.{server}")
    } else {
        format!("The client reads the reply {code} {text}{m}.{server}")
    }
}

/// What a reply refusing a PORT or EPRT means: why the server refused it (its note, in a
/// simulation), or that it was refused (a capture cannot know why).
fn refusal_words(trace: &Trace, i: usize, code: u16) -> Option<&'static str> {
    use crate::ftp::server::{Refusal, ServerNote};
    if !(500..=504).contains(&code) {
        return None;
    }
    let conn = trace.events.get(i)?.conn?;
    for e in trace.events[..i]
        .iter()
        .rev()
        .filter(|e| e.conn == Some(conn))
    {
        match &e.kind {
            EventKind::Note {
                note: crate::trace::Note::Server(ServerNote::RefusedAnnouncement { why, .. }),
            } => {
                return Some(match why {
                    Refusal::ForeignAddress { .. } => {
                        "the server refuses the PORT: the address in it is not the one the control connection comes from, and the server will not connect to a third host (RFC 2577's bounce protection; vsftpd's port_promiscuous=NO)"
                    }
                    Refusal::PrivilegedPort => {
                        "the server refuses the PORT: it names a port below 1024, which RFC 2577 advises servers to refuse (it suggests 504; vsftpd answers 500 Illegal PORT command., as it does for a malformed PORT, pyftpdlib 501)"
                    }
                });
            }
            EventKind::FtpCommand { line, .. } => {
                let v = crate::ftp::command::verb(line);
                return (v == "PORT" || v == "EPRT").then_some(
                    "the server refuses the PORT (a server refuses one naming another host, a port below 1024, or one it cannot read)",
                );
            }
            _ => {}
        }
    }
    None
}

/// "the client", "the server", "alice" (when there are several clients), "the NAT".
fn who(trace: &Trace, ip: std::net::Ipv4Addr) -> String {
    let node = trace.host_at(ip);
    match node.map(|n| n.kind) {
        Some(NodeKind::Client) if trace.clients.len() > 1 => {
            node.map_or(String::new(), |n| n.name.clone())
        }
        Some(NodeKind::Client) => "the client".to_owned(),
        Some(NodeKind::Server) => "the server".to_owned(),
        _ => match trace.node_at(ip) {
            Some(n) => format!("{} (for a host behind it)", n.name),
            None => format!("{ip}"),
        },
    }
}

/// Who sent a RST, and why: a firewall forging it (the trace knows its reject), a host with
/// nothing listening (the RST answers a SYN), or an abortive close (a program closing with
/// data unread, or aborting, as curl and ftplib do after a timeout).
fn rst_headline(trace: &Trace, packet: PacketId, sender: &str, chan: &str) -> String {
    let forged_by = trace.events.iter().find_map(|e| match &e.kind {
        EventKind::Packet {
            fate: PacketFate::Rejected { reply, .. },
            ..
        } if *reply == packet
            && !matches!(
                trace.nodes.get(e.node.index()).map(|n| n.kind),
                Some(NodeKind::Client | NodeKind::Server) | None
            ) =>
        {
            Some(trace.node_name(e.node))
        }
        _ => None,
    });
    if let Some(fw) = forged_by {
        return format!(
            "RST: {fw} forges it with {sender}'s address, so the {chan} connection looks refused by its peer (only its TTL tells: it was sent from nearer)."
        );
    }
    let p = &trace.packets[packet];
    let answers_syn = trace.packets.iter().any(|q| {
        q.flags.syn
            && !q.flags.ack
            && q.src == p.dst
            && q.dst == p.src
            && p.ack == q.seq.wrapping_add(1)
    });
    if answers_syn {
        format!("RST: {sender}'s TCP resets the {chan} connection: nothing listens on that port.")
    } else {
        format!(
            "RST: {sender}'s TCP resets the {chan} connection: an abortive close (the program closed it with data unread, or aborted it)."
        )
    }
}

fn channel_words(c: Option<&Connection>) -> &'static str {
    match c.map(|c| c.channel) {
        Some(Channel::Data) => "data",
        _ => "control",
    }
}

/// What segment of the other side an acknowledgment acknowledges: the last one with data,
/// SYN or FIN that the peer sent on this connection before it.
fn acknowledged(trace: &Trace, event: usize, p: &Packet) -> Option<String> {
    let conn = trace.events.get(event)?.conn?;
    let mine = trace.conn(conn)?.from_initiator(p.src, p.dst);
    trace.events[..event].iter().rev().find_map(|e| {
        let EventKind::Packet {
            packet,
            fate: PacketFate::Sent { .. },
        } = &e.kind
        else {
            return None;
        };
        if e.conn != Some(conn) {
            return None;
        }
        let q = &trace.packets[*packet];
        let c = trace.conn(conn)?;
        if c.from_initiator(q.src, q.dst) == mine {
            return None;
        }
        if let Some(t) = &q.ftp_text {
            let line = masked(t.lines().next().unwrap_or(""));
            return Some(
                if line.len() > 3 && line.as_bytes()[..3].iter().all(u8::is_ascii_digit) {
                    format!("the {} reply", line.get(..3).unwrap_or(""))
                } else {
                    format!("the command {}", crate::ftp::command::verb(&line))
                },
            );
        }
        if q.payload_len > 0 {
            return Some(format!("{} bytes of data", q.payload_len));
        }
        if q.flags.syn {
            return Some("its SYN-ACK: the connection is open".to_owned());
        }
        if q.flags.fin {
            return Some("its FIN".to_owned());
        }
        None
    })
}

/// The headline of a packet that belongs to no handshake step: what this packet is.
fn packet_headline(trace: &Trace, event: usize, packet: PacketId) -> String {
    let p = &trace.packets[packet];
    let conn = trace
        .events
        .get(event)
        .and_then(|e| e.conn)
        .and_then(|c| trace.conn(c));
    let chan = channel_words(conn);
    let sender = who(trace, *p.src.ip());
    let f = p.flags;
    if let Some(i) = &p.icmp {
        let about = i
            .quoted
            .map_or(String::new(), |(a, b)| format!(" about the SYN {a} → {b}"));
        let by = match trace.node_at(*p.src.ip()) {
            Some(n) if !matches!(n.kind, NodeKind::Client | NodeKind::Server) => {
                format!("{} sends it from its own address {}", n.name, p.src.ip())
            }
            Some(_) => format!("{sender} sends it"),
            None => format!("{} sends it", p.src.ip()),
        };
        let why = match (i.kind, i.code) {
            (3, 0) => "a router has no route to that network",
            (3, 1) => {
                "a firewall refuses it, or a router found nothing answering on the last network (no ARP reply)"
            }
            (11, _) => "the packet's TTL ran out on the way",
            _ => "a firewall refuses the connection",
        };
        return format!(
            "ICMP {}{about}: {by}, because {why}. The sender's TCP gives up at once.",
            i.words()
        );
    }
    if let Some(t) = &p.ftp_text {
        let line = masked(t.lines().next().unwrap_or(""));
        let server = trace.host_at(*p.src.ip()).map(|n| n.kind) == Some(NodeKind::Server);
        return if server {
            // "Reply 230 Login successful.: …" read as a typo: the reply is quoted instead.
            format!("Reply \u{201c}{line}\u{201d}: the server answers on the control connection.")
        } else {
            format!("Command {line}: {sender} sends it on the control connection.")
        };
    }
    if f.rst {
        rst_headline(trace, packet, &sender, chan)
    } else if f.syn && !f.ack {
        format!(
            "SYN: {sender} opens a {chan} connection to port {}.",
            p.dst.port()
        )
    } else if f.syn {
        format!("SYN-ACK: {sender} accepts the {chan} connection.")
    } else if f.fin {
        format!("FIN: {sender} closes its side of the {chan} connection.")
    } else if p.payload_len > 0 {
        format!(
            "Data: {} bytes from {sender} on the {chan} connection.",
            p.payload_len
        )
    } else {
        match acknowledged(trace, event, p) {
            Some(what) => format!("ACK: {sender}'s TCP acknowledges {what}."),
            None => format!("ACK: {sender}'s TCP acknowledges what it received."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::shipped_trace as trace;

    /// Seen in a teacher's trial: step 1 said "the client connects to port 21 …" when the
    /// PORT is sent, long after the control connection was made. Each step's words are said
    /// at an event that does what they say.
    #[test]
    fn step_1_is_told_when_the_port_is_sent_as_what_happens_then() {
        let t = trace("active-open");
        let i = t
            .events
            .iter()
            .position(|e| e.step.is_some_and(|s| s.n == 1))
            .expect("a step 1");
        assert!(
            matches!(&t.events[i].kind, EventKind::FtpCommand { line, .. } if line.starts_with("PORT"))
        );
        let words = step_title(t.events[i].step.unwrap());
        assert!(!words.contains("connects"), "{words}");
        assert!(words.contains("PORT"), "{words}");
    }

    /// Seen in a teacher's trial: at the router the story said "Connection tracking saw
    /// rewrote PORT …" and then "It announces 10.0.0.5 …", the address the ALG had just
    /// replaced.
    #[test]
    fn the_alg_rewrite_is_told_with_the_address_that_goes_on() {
        let t = trace("nat-client-active-alg");
        let i = t
            .events
            .iter()
            .position(|e| {
                matches!(&e.kind, EventKind::Packet { fate: PacketFate::Forwarded { rewritten: Some(_), .. }, packet }
                    if t.packets[*packet].ftp_text.as_deref().is_some_and(|x| x.starts_with("PORT")))
            })
            .expect("the rewritten PORT");
        let (_, d) = narrate(&t, i);
        assert!(!d.contains("saw rewrote"), "{d}");
        assert!(
            d.contains("After the rewrite it announces 198.51.100.2"),
            "{d}"
        );
    }

    /// The same trial: "Step 2: the server acknowledges … 500 Illegal PORT command. (syntax
    /// error, command not recognised)" for a PORT refused as a bounce.
    #[test]
    fn a_refused_port_is_told_as_a_refusal() {
        let t = trace("nat-client-active-no-alg");
        let i = t
            .events
            .iter()
            .position(|e| {
                matches!(
                    &e.kind,
                    EventKind::FtpReply {
                        code: 500,
                        sent: false,
                        ..
                    }
                )
            })
            .expect("the 500");
        let (h, d) = narrate(&t, i);
        assert!(!h.contains("acknowledges"), "{h}");
        assert!(!d.contains("syntax error"), "{d}");
        assert!(d.contains("RFC 2577"), "{d}");
    }
}
