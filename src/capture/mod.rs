//! Explaining a real capture: a pcap or pcapng file becomes the same `Trace` a simulation makes,
//! so every view (ladder, event list, inspector, narration, plot, transcript) works on it, and
//! a diagnosis in the simulator's words says what failed and where.
//!
//! 1. `read` gives the IPv4 packets. Each TCP flow is classified by its first bytes: an FTP
//!    control connection (a `220` greeting, `USER`, any `NNN ` reply or command line, on any
//!    port), or something else (whose payload is not kept: only its headers, so a large
//!    transfer does not fill the memory).
//! 2. Each control connection's two byte streams are reassembled in sequence order
//!    (retransmissions and overlaps counted once, a gap skipped), split into command lines
//!    and replies (multi-line replies through the same `ReplyParser` the client uses).
//! 3. Announcements (PORT, EPRT, 227, 229; `ftp::announce`) are read in time order; a flow
//!    whose first SYN goes to the latest announced address and port is that announcement's
//!    data connection (its mode, its client). A flow between the same client and server
//!    that no announcement names is a data connection too; anything else is not FTP.
//! 4. Where the capture was taken (the vantage) comes from the control connection's
//!    handshake: SYN → SYN-ACK is the round trip to the server side of the capture point,
//!    SYN-ACK → ACK to the client side. The trace's topology is client — capture point —
//!    server, with "in between" on the side where packets vanished.
//! 5. Each captured packet is replayed along that path with the inferred delays. A SYN never
//!    answered vanished after the capture point (dropped there, or unroutable when it went to
//!    a private address); a SYN answered by a RST or an ICMP error was refused.
//! 6. The user's actions (connect, login, each transfer, quit) come from the commands and
//!    replies, and `diagnose` explains the first failure.

mod actions;
mod assemble;
mod flows;
mod pair;
mod pcapng;
pub mod read;
mod replay;
pub mod scenario;
mod topology;

use crate::ids::PacketId;
pub use crate::net::is_private;
pub use crate::trace::Vantage;
use crate::trace::{Outcome, Source, Trace};
use assemble::Assembly;
use flows::Builder;
pub use read::Stats;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::Path;

/// Bytes of a command line or reply line kept; a longer line is cut (and counted as text).
const MAX_LINE: usize = 8 * 1024;
/// Above this many packets a capture counts as large (see `build`).
const LARGE: usize = 100_000;
/// Largest capture file read (a 1,000,000-packet capture of full frames is about 1.5 GB).
pub const MAX_FILE: u64 = 8 * 1024 * 1024 * 1024;

/// A capture, explained.
#[derive(Clone, Debug)]
pub struct Explained {
    pub trace: Trace,
    pub stats: Stats,
    /// Where the capture was taken, in words.
    pub vantage: Vantage,
}

/// Reads and explains a capture file. `progress(frames)` hears how far it got.
pub fn explain_file(path: &Path, progress: impl FnMut(u64)) -> Result<Explained, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    if meta.len() > MAX_FILE {
        return Err(format!(
            "{}: {} bytes is more than the {} this program reads",
            path.display(),
            meta.len(),
            MAX_FILE
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    explain_reader(
        std::io::BufReader::with_capacity(1 << 20, f),
        &name,
        progress,
    )
    .map_err(|e| format!("{}: {e}", path.display()))
}

/// Explains a capture from any reader (`name`: what to call it).
pub fn explain_reader(
    r: impl std::io::Read,
    name: &str,
    progress: impl FnMut(u64),
) -> Result<Explained, String> {
    let mut b = Builder::default();
    let stats = read::read(r, |f| b.frame(f), progress)?;
    Ok(b.finish(name, stats))
}

/// Explains a capture held in memory.
pub fn explain_bytes(bytes: &[u8], name: &str) -> Result<Explained, String> {
    explain_reader(bytes, name, |_| {})
}

type Key = (SocketAddrV4, SocketAddrV4);

fn canon(a: SocketAddrV4, b: SocketAddrV4) -> Key {
    if (a.ip().octets(), a.port()) <= (b.ip().octets(), b.port()) {
        (a, b)
    } else {
        (b, a)
    }
}

impl Builder {
    fn finish(self, name: &str, mut stats: Stats) -> Explained {
        stats.truncated = self.truncated;
        stats.bad_checksums = self.bad;
        let mut x = Assembly::new(self);
        x.control();
        x.data();
        let vantage = x.vantage();
        stats.not_ftp = x.not_ftp;
        let other = not_ftp(&x);
        let mut trace = build(x, name, vantage, stats.ends_early.is_some());
        if trace.clients.is_empty()
            && let Source::Captured { other: o, .. } = &mut trace.source
        {
            *o = Some(other);
        }
        crate::trace::classify::classify(&mut trace);
        crate::diagnose::diagnose(&mut trace);
        Explained {
            trace,
            stats,
            vantage,
        }
    }
}

/// What a capture with no FTP holds instead (worded by the diagnosis).
fn not_ftp(x: &Assembly) -> crate::trace::NotFtp {
    let mut text_ports = x.other_text.clone();
    text_ports.sort_unstable();
    text_ports.dedup();
    crate::trace::NotFtp {
        flows: x.b.flows.len(),
        text_ports,
    }
}

/// The hosts of the control connections: (clients, servers), each once, a host that is both
/// counted as a client.
fn hosts(x: &Assembly) -> (Vec<Ipv4Addr>, Vec<Ipv4Addr>) {
    let mut clients: Vec<Ipv4Addr> = x.controls.iter().map(|c| *c.client.ip()).collect();
    let mut servers: Vec<Ipv4Addr> = x.controls.iter().map(|c| *c.server.ip()).collect();
    clients.sort();
    clients.dedup();
    servers.sort();
    servers.dedup();
    servers.retain(|s| !clients.contains(s));
    (clients, servers)
}

/// The trace of an assembled capture: its topology, connections, packets replayed hop by
/// hop, and what the hosts said and did.
/// `cut`: the file ends early (what was open at its end was cut off).
fn build(mut x: Assembly, name: &str, vantage: Vantage, cut: bool) -> Trace {
    let (clients, servers) = hosts(&x);
    let (kept, between_side) = topology::kept(&x, &clients, &servers);
    let t = topology::Topology::new(&x, clients, servers, between_side);
    let ids: BTreeMap<usize, PacketId> = kept
        .iter()
        .enumerate()
        .map(|(k, &i)| (i, PacketId::new(k)))
        .collect();
    let conns = replay::connections(&x, &t, &ids);
    let (d_client, d_server, _) = x.delays();
    let end = t.base + x.b.caps.last().map_or(0, |c| c.t) + d_client.max(d_server);
    let (mut ftp, clients) = actions::ftp_events(&x, &t, end, cut);
    let (packets, mut events) = replay::packets(&mut x, &t, &kept, &conns, &ids);
    // Packets first, then what the hosts made of them; a stable sort keeps that order among
    // events at the same time.
    events.append(&mut ftp);
    sort_in_place(&mut events);
    Trace {
        source: Source::Captured {
            file: name.to_owned(),
            vantage,
            other: None,
        },
        title: format!("Capture {name}"),
        seed: 0,
        tcp_profile: "as captured".to_owned(),
        nodes: t.nodes,
        links: t.links,
        packets,
        connections: conns,
        events,
        firewalls: Vec::new(),
        nats: Vec::new(),
        clients,
        outcome: Outcome::empty(""),
    }
}

/// Sorts events by time, keeping the order of events at the same time, without the scratch
/// copy a stable sort makes (a million-packet capture has three million events): the order is
/// found on indices, then applied by following its cycles.
fn sort_in_place(events: &mut [crate::trace::Event]) {
    let n = events.len();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    idx.sort_unstable_by_key(|&i| (events[i as usize].time, i));
    for start in 0..n {
        if idx[start] == u32::MAX || idx[start] as usize == start {
            continue;
        }
        let mut cur = start;
        loop {
            let src = idx[cur] as usize;
            idx[cur] = u32::MAX;
            if src == start {
                break;
            }
            events.swap(cur, src);
            cur = src;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::NodeId;
    use crate::time::Time;
    use crate::trace::{Event, EventKind};

    #[test]
    fn sorting_in_place_keeps_the_order_of_equal_times() {
        let ev = |t: u64, line: &str| Event {
            time: Time::from_micros(t),
            node: NodeId::new(0),
            kind: EventKind::Console {
                line: line.to_owned(),
                shown: crate::trace::Shown::Message,
            },
            conn: None,
            channel: None,
            step: None,
        };
        let mut v = vec![
            ev(5, "a"),
            ev(1, "b"),
            ev(5, "c"),
            ev(0, "d"),
            ev(1, "e"),
            ev(9, "f"),
        ];
        sort_in_place(&mut v);
        let got: Vec<String> = v
            .iter()
            .map(|e| match &e.kind {
                EventKind::Console { line, .. } => line.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(got, ["d", "b", "e", "a", "c", "f"]);
    }
}
