//! Tags trace events with the step of the four-step handshake they belong to, numbered as the
//! seed article numbers them.
//!
//! Active: (1) the client announces its data port with PORT; (2) the server acknowledges (200);
//! (3) the server connects from its data port to that port (its SYN, retries, and any RST
//! refusing it); (4) the client acknowledges (SYN-ACK, and the ACK that completes the
//! handshake). Passive: (1) PASV; (2) the 227 reply with the port; (3) the client's SYN to that
//! port; (4) the server's SYN-ACK and the final ACK. Data transfer and closing carry no step.

use super::{Channel, EventKind, Step, Trace};
use crate::ftp::Mode;
use crate::ftp::command::verb;
use std::collections::BTreeMap;

fn command_step(line: &str) -> Option<Step> {
    match verb(line).as_str() {
        "PORT" | "EPRT" => Some(Step {
            mode: Mode::Active,
            n: 1,
        }),
        "PASV" | "EPSV" => Some(Step {
            mode: Mode::Passive,
            n: 1,
        }),
        _ => None,
    }
}

fn reply_step(pending: Option<&String>) -> Option<Step> {
    match pending.map(String::as_str) {
        Some("PORT" | "EPRT") => Some(Step {
            mode: Mode::Active,
            n: 2,
        }),
        Some("PASV" | "EPSV") => Some(Step {
            mode: Mode::Passive,
            n: 2,
        }),
        _ => None,
    }
}

#[derive(Default)]
struct DataConn {
    synack_seen: bool,
    done: bool,
}

pub fn classify(trace: &mut Trace) {
    let mut packet_step: BTreeMap<usize, Option<Step>> = BTreeMap::new();
    // The last command sent on each control connection, as packets show it.
    let mut pending_by_conn: BTreeMap<usize, String> = BTreeMap::new();
    // The last command each node sent or received, as FTP events show it.
    let mut pending_by_node: BTreeMap<usize, String> = BTreeMap::new();
    let mut data: BTreeMap<usize, DataConn> = BTreeMap::new();

    for i in 0..trace.events.len() {
        let e = &trace.events[i];
        let step = match &e.kind {
            EventKind::Packet { packet, .. } => {
                if let Some(s) = packet_step.get(packet) {
                    *s
                } else {
                    let p = &trace.packets[*packet];
                    let s = match (e.channel, e.conn) {
                        (Some(Channel::Control), Some(c)) => match &p.ftp_text {
                            Some(text) if trace.connections[c].responder == p.dst => {
                                pending_by_conn.insert(c, verb(text));
                                command_step(text)
                            }
                            Some(_) => reply_step(pending_by_conn.remove(&c).as_ref()),
                            None => None,
                        },
                        (Some(Channel::Data), Some(c)) => {
                            let conn = &trace.connections[c];
                            let mode = conn.mode.unwrap_or(Mode::Passive);
                            let d = data.entry(c).or_default();
                            let from_initiator = p.src == conn.initiator;
                            if d.done {
                                None
                            } else if p.flags.syn && !p.flags.ack {
                                Some(Step { mode, n: 3 })
                            } else if p.flags.syn && p.flags.ack {
                                d.synack_seen = true;
                                Some(Step { mode, n: 4 })
                            } else if p.flags.rst && !d.synack_seen {
                                d.done = true;
                                Some(Step { mode, n: 3 })
                            } else if d.synack_seen && from_initiator && p.payload_len == 0 {
                                d.done = true;
                                Some(Step { mode, n: 4 })
                            } else {
                                d.done = d.synack_seen;
                                None
                            }
                        }
                        _ => None,
                    };
                    packet_step.insert(*packet, s);
                    s
                }
            }
            EventKind::FtpCommand { line, .. } => {
                pending_by_node.insert(e.node, verb(line));
                command_step(line)
            }
            EventKind::FtpReply { .. } => reply_step(pending_by_node.remove(&e.node).as_ref()),
            EventKind::TcpState { to, .. } if e.channel == Some(Channel::Data) => {
                let mode = e
                    .conn
                    .and_then(|c| trace.connections[c].mode)
                    .unwrap_or(Mode::Passive);
                match to.as_str() {
                    "SYN-SENT" => Some(Step { mode, n: 3 }),
                    "SYN-RECEIVED" => Some(Step { mode, n: 4 }),
                    "ESTABLISHED"
                        if e.conn
                            .is_some_and(|c| data.get(&c).is_some_and(|d| d.synack_seen)) =>
                    {
                        Some(Step { mode, n: 4 })
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        trace.events[i].step = step;
    }
}
