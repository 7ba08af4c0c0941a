#![allow(clippy::unwrap_used)]
//! `ftp-lab explain` on a generated capture of 1,000,000 packets: an FTP session (login,
//! PASV, RETR) whose data connection carries 499,970 segments of 200 bytes and their ACKs.
//! Prints the median time of three runs and the process's peak memory (VmHWM). The file is
//! written to the temporary directory and removed. `cargo bench --bench explain`.

use ftp_lab::net::segment;
use ftp_lab::trace::Flags;
use std::io::Write;
use std::net::SocketAddrV4;
use std::time::Instant;

const PACKETS: usize = 1_000_000;

fn flags(syn: bool, ack: bool, psh: bool, fin: bool) -> Flags {
    Flags {
        syn,
        ack,
        fin,
        rst: false,
        psh,
    }
}

/// A pcap (raw IPv4) writer that streams.
struct Pcap<W: Write> {
    w: W,
    n: usize,
}

impl<W: Write> Pcap<W> {
    fn new(mut w: W) -> Pcap<W> {
        let mut h = Vec::new();
        h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
        w.write_all(&h).unwrap();
        Pcap { w, n: 0 }
    }

    fn put(&mut self, t_us: u64, p: &[u8]) {
        let mut h = Vec::with_capacity(16);
        h.extend_from_slice(&((t_us / 1_000_000) as u32).to_le_bytes());
        h.extend_from_slice(&((t_us % 1_000_000) as u32).to_le_bytes());
        h.extend_from_slice(&(p.len() as u32).to_le_bytes());
        h.extend_from_slice(&(p.len() as u32).to_le_bytes());
        self.w.write_all(&h).unwrap();
        self.w.write_all(p).unwrap();
        self.n += 1;
    }
}

fn generate(path: &std::path::Path) -> usize {
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut w = Pcap::new(f);
    let c: SocketAddrV4 = "198.51.100.7:40000".parse().unwrap();
    let s: SocketAddrV4 = "203.0.113.10:21".parse().unwrap();
    let mut t = 0u64;
    let (mut cs, mut ss) = (1000u32, 5000u32);
    let mut step = |w: &mut Pcap<_>, from_client: bool, f: Flags, text: &[u8], t: &mut u64| {
        *t += 1000;
        let (src, dst, seq, ack) = if from_client {
            (c, s, cs, ss)
        } else {
            (s, c, ss, cs)
        };
        w.put(*t, &segment(src, dst, f, seq, ack, text));
        let len = text.len() as u32 + u32::from(f.syn) + u32::from(f.fin);
        if from_client {
            cs += len;
        } else {
            ss += len;
        }
    };
    step(&mut w, true, flags(true, false, false, false), b"", &mut t);
    step(&mut w, false, flags(true, true, false, false), b"", &mut t);
    step(&mut w, true, flags(false, true, false, false), b"", &mut t);
    for (from_client, line) in [
        (false, &b"220 ready\r\n"[..]),
        (true, b"USER anonymous\r\n"),
        (false, b"331 Please specify the password.\r\n"),
        (true, b"PASS x\r\n"),
        (false, b"230 Login successful.\r\n"),
        (true, b"PASV\r\n"),
        (
            false,
            b"227 Entering Passive Mode (203,0,113,10,39,17).\r\n",
        ),
        (true, b"RETR big.bin\r\n"),
        (false, b"150 Opening BINARY mode data connection.\r\n"),
    ] {
        step(
            &mut w,
            from_client,
            flags(false, true, true, false),
            line,
            &mut t,
        );
    }
    // The data connection: 198.51.100.7:40001 → 203.0.113.10:10001.
    let dc: SocketAddrV4 = "198.51.100.7:40001".parse().unwrap();
    let ds: SocketAddrV4 = "203.0.113.10:10001".parse().unwrap();
    let (mut dcs, mut dss) = (7000u32, 9000u32);
    t += 1000;
    w.put(
        t,
        &segment(dc, ds, flags(true, false, false, false), dcs, 0, b""),
    );
    dcs += 1;
    t += 1000;
    w.put(
        t,
        &segment(ds, dc, flags(true, true, false, false), dss, dcs, b""),
    );
    dss += 1;
    t += 1000;
    w.put(
        t,
        &segment(dc, ds, flags(false, true, false, false), dcs, dss, b""),
    );
    let payload = [b'x'; 200];
    while w.n < PACKETS - 4 {
        t += 10;
        w.put(
            t,
            &segment(ds, dc, flags(false, true, true, false), dss, dcs, &payload),
        );
        dss += 200;
        t += 10;
        w.put(
            t,
            &segment(dc, ds, flags(false, true, false, false), dcs, dss, b""),
        );
    }
    t += 1000;
    w.put(
        t,
        &segment(ds, dc, flags(false, true, false, true), dss, dcs, b""),
    );
    step(
        &mut w,
        false,
        flags(false, true, true, false),
        b"226 Transfer complete.\r\n",
        &mut t,
    );
    step(
        &mut w,
        true,
        flags(false, true, true, false),
        b"QUIT\r\n",
        &mut t,
    );
    step(
        &mut w,
        false,
        flags(false, true, true, false),
        b"221 Goodbye.\r\n",
        &mut t,
    );
    let n = w.n;
    w.w.flush().unwrap();
    n
}

/// `n` FTP sessions one after another, each from its own client port, `per_ip` from each client
/// address: handshake, login, PASV, a data connection with one 500-byte segment, RETR,
/// 226, QUIT, FINs. About 30 packets a session.
fn generate_sessions(path: &std::path::Path, n: usize, per_ip: usize) -> usize {
    let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut w = Pcap::new(f);
    let mut t = 0u64;
    for k in 0..n {
        let h = k / per_ip;
        let ip = format!("10.{}.{}.{}", h / 62_500, (h / 250) % 250, 1 + h % 250);
        let c: SocketAddrV4 = format!("{ip}:{}", 20_000 + k % 250).parse().unwrap();
        let s: SocketAddrV4 = "203.0.113.10:21".parse().unwrap();
        let dport = 10_000 + (k % 5000) as u16;
        let dc: SocketAddrV4 = format!("{ip}:{}", 30_000 + k % 250).parse().unwrap();
        let ds = SocketAddrV4::new(*s.ip(), dport);
        let (mut cs, mut ss) = (1000u32, 5000u32);
        let mut put = |w: &mut Pcap<_>, t: &mut u64, from_client: bool, f: Flags, text: &[u8]| {
            *t += 100;
            let (src, dst, seq, ack) = if from_client {
                (c, s, cs, ss)
            } else {
                (s, c, ss, cs)
            };
            w.put(*t, &segment(src, dst, f, seq, ack, text));
            let len = text.len() as u32 + u32::from(f.syn) + u32::from(f.fin);
            if from_client { cs += len } else { ss += len }
        };
        put(&mut w, &mut t, true, flags(true, false, false, false), b"");
        put(&mut w, &mut t, false, flags(true, true, false, false), b"");
        put(&mut w, &mut t, true, flags(false, true, false, false), b"");
        let pasv = format!(
            "227 Entering Passive Mode (203,0,113,10,{},{}).\r\n",
            dport >> 8,
            dport & 255
        );
        for (from_client, line) in [
            (false, &b"220 ready\r\n"[..]),
            (true, b"USER anonymous\r\n"),
            (false, b"331 Please specify the password.\r\n"),
            (true, b"PASS x\r\n"),
            (false, b"230 Login successful.\r\n"),
            (true, b"PASV\r\n"),
            (false, pasv.as_bytes()),
        ] {
            put(
                &mut w,
                &mut t,
                from_client,
                flags(false, true, true, false),
                line,
            );
        }
        let (a, b) = (7000u32, 9000u32);
        w.put(
            t,
            &segment(dc, ds, flags(true, false, false, false), a, 0, b""),
        );
        w.put(
            t,
            &segment(ds, dc, flags(true, true, false, false), b, a + 1, b""),
        );
        w.put(
            t,
            &segment(dc, ds, flags(false, true, false, false), a + 1, b + 1, b""),
        );
        for (from_client, line) in [
            (true, &b"RETR f.bin\r\n"[..]),
            (false, b"150 Opening BINARY mode data connection.\r\n"),
        ] {
            put(
                &mut w,
                &mut t,
                from_client,
                flags(false, true, true, false),
                line,
            );
        }
        let data = [b'x'; 500];
        w.put(
            t + 10,
            &segment(ds, dc, flags(false, true, true, true), b + 1, a + 1, &data),
        );
        w.put(
            t + 20,
            &segment(dc, ds, flags(false, true, false, true), a + 1, b + 502, b""),
        );
        w.put(
            t + 30,
            &segment(
                ds,
                dc,
                flags(false, true, false, false),
                b + 502,
                a + 2,
                b"",
            ),
        );
        for (from_client, line) in [
            (false, &b"226 Transfer complete.\r\n"[..]),
            (true, b"QUIT\r\n"),
            (false, b"221 Goodbye.\r\n"),
        ] {
            put(
                &mut w,
                &mut t,
                from_client,
                flags(false, true, true, false),
                line,
            );
        }
        put(&mut w, &mut t, false, flags(false, true, false, true), b"");
        put(&mut w, &mut t, true, flags(false, true, false, true), b"");
        put(&mut w, &mut t, false, flags(false, true, false, false), b"");
    }
    let count = w.n;
    w.w.flush().unwrap();
    count
}

use ftp_lab::export::transcript::Options;

/// Time per session for `n` sessions, read and told as text: (seconds per session, sessions
/// explained).
fn per_session(n: usize, per_ip: usize) -> (f64, usize) {
    let path = std::env::temp_dir().join(format!("ftp-lab-bench-s{n}-{}.pcap", std::process::id()));
    generate_sessions(&path, n, per_ip);
    let start = Instant::now();
    let x = ftp_lab::capture::explain_file(&path, |_| {}).unwrap();
    // And its text, as `explain` prints it (it once grew with clients × events).
    let text = ftp_lab::export::transcript::render(&x.trace, Options::default());
    let took = start.elapsed().as_secs_f64();
    std::hint::black_box(text);
    let _ = std::fs::remove_file(&path);
    (took / n as f64, x.trace.clients.len())
}

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    if let Some(n) = std::env::var("FTP_LAB_BENCH_PROFILE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        let (each, _) = per_session(n, 1);
        println!("{n} sessions: {:.1} µs per session", each * 1e6);
        return;
    }
    // Many sessions: the time per session must stay flat (it grew with the number of
    // control connections: 0.7 s for 1,000, 169 s for 10,000).
    for per_ip in [1, 250] {
        let mut flat = Vec::new();
        for n in [1_000, 4_000, 10_000] {
            let (each, clients) = per_session(n, per_ip);
            println!(
                "{n} sessions, {per_ip} per client address ({clients} clients): {:.1} µs per session",
                each * 1e6
            );
            flat.push(each);
        }
        println!(
            "time per session, 10,000 vs 1,000 sessions ({per_ip} per address): {:.2}x",
            flat[2] / flat[0]
        );
    }
    if std::env::var_os("FTP_LAB_BENCH_SESSIONS_ONLY").is_some() {
        return;
    }
    let path = std::env::temp_dir().join(format!("ftp-lab-bench-{}.pcap", std::process::id()));
    let n = generate(&path);
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    let before = vm_hwm_kb();
    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        let x = ftp_lab::capture::explain_file(&path, |_| {}).unwrap();
        times.push(start.elapsed().as_secs_f64());
        summary = format!(
            "{} packets in the trace, {} events; outcome: {}",
            x.trace.packets.len(),
            x.trace.events.len(),
            x.trace.outcome.diagnosis
        );
    }
    times.sort_by(f64::total_cmp);
    let _ = std::fs::remove_file(&path);
    println!("capture: {n} packets, {} MB", size / 1_000_000);
    println!("{summary}");
    println!(
        "explain: median {:.2} s (runs {:.2} / {:.2} / {:.2} s); peak memory {} MB (before: {} MB)",
        times[1],
        times[0],
        times[1],
        times[2],
        vm_hwm_kb() / 1024,
        before / 1024
    );
}
