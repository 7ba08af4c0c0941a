//! Tags trace events with the step of the four-step handshake they belong to, numbered as the
//! seed article numbers them.
//!
//! Active: (1) the client announces its data port with PORT (or EPRT); (2) the server
//! acknowledges (200); (3) the server connects from its data port to that port (its SYN,
//! retries, and any RST refusing it); (4) the client acknowledges (SYN-ACK, and the ACK that
//! completes the handshake). Passive: (1) PASV (or EPSV); (2) the 227 (229) reply with the
//! port; (3) the client's SYN to that port; (4) the server's SYN-ACK and the final ACK. Data
//! transfer and closing carry no step. All versions of a packet (on both sides of a NAT)
//! share the step of their journey.

use super::{Channel, Connection, EventKind, JourneyId, Packet, Step, TcpState, Trace};
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

#[derive(Default)]
struct State {
    /// The last command sent on each control connection, as packets show it.
    pending_by_conn: BTreeMap<usize, String>,
    /// The last command each node sent or received, as FTP events show it.
    pending_by_node: BTreeMap<usize, String>,
    data: BTreeMap<usize, DataConn>,
}

impl State {
    fn control_packet(&mut self, conn: &Connection, p: &Packet) -> Option<Step> {
        let text = p.ftp_text.as_ref()?;
        let c = conn.id.index();
        if conn.from_initiator(p.src, p.dst) {
            self.pending_by_conn.insert(c, verb(text));
            command_step(text)
        } else {
            reply_step(self.pending_by_conn.remove(&c).as_ref())
        }
    }

    fn data_packet(&mut self, conn: &Connection, p: &Packet) -> Option<Step> {
        let mode = conn.mode.unwrap_or(Mode::Passive);
        let d = self.data.entry(conn.id.index()).or_default();
        let from_initiator = conn.from_initiator(p.src, p.dst);
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
}

pub fn classify(trace: &mut Trace) {
    let mut journey_step: BTreeMap<JourneyId, Option<Step>> = BTreeMap::new();
    let mut st = State::default();
    for i in 0..trace.events.len() {
        let e = &trace.events[i];
        let step = match &e.kind {
            EventKind::Packet { packet, .. } => {
                let p = &trace.packets[packet.index()];
                if let Some(s) = journey_step.get(&p.journey) {
                    *s
                } else {
                    let conn = e.conn.and_then(|c| trace.connections.get(c.index()));
                    let s = match (e.channel, conn) {
                        (Some(Channel::Control), Some(c)) => st.control_packet(c, p),
                        (Some(Channel::Data), Some(c)) => st.data_packet(c, p),
                        _ => None,
                    };
                    journey_step.insert(p.journey, s);
                    s
                }
            }
            EventKind::FtpCommand { line, .. } => {
                st.pending_by_node.insert(e.node.index(), verb(line));
                command_step(line)
            }
            EventKind::FtpReply { .. } => {
                reply_step(st.pending_by_node.remove(&e.node.index()).as_ref())
            }
            EventKind::TcpState { to, .. } if e.channel == Some(Channel::Data) => {
                let conn = e.conn.and_then(|c| trace.connections.get(c.index()));
                let mode = conn.and_then(|c| c.mode).unwrap_or(Mode::Passive);
                let synack = e
                    .conn
                    .is_some_and(|c| st.data.get(&c.index()).is_some_and(|d| d.synack_seen));
                match to {
                    TcpState::SynSent => Some(Step { mode, n: 3 }),
                    TcpState::SynReceived => Some(Step { mode, n: 4 }),
                    TcpState::Established if synack => Some(Step { mode, n: 4 }),
                    _ => None,
                }
            }
            _ => None,
        };
        trace.events[i].step = step;
    }
}
