#![allow(clippy::unwrap_used)]
//! "Let the class answer" over real loopback sockets: students (each from an address of its
//! own in 127.0.0.0/8, as phones on a LAN are) join and answer; the tally is exact; wrong
//! tokens, large bodies, many connections and many requests from one address are refused
//! without changing it. Every wait is bounded.

use ftp_lab::class::server::{ClassServer, MAX_CONNECTIONS_PER_ADDRESS};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn server() -> ClassServer {
    ClassServer::start("127.0.0.1:0".parse().unwrap()).unwrap()
}

/// A connection from `from` (an address of 127.0.0.0/8) to the server.
fn connect(s: &ClassServer, from: Ipv4Addr) -> std::io::Result<TcpStream> {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    sock.bind(&SocketAddr::new(IpAddr::V4(from), 0).into())?;
    sock.connect_timeout(&s.addr().into(), Duration::from_secs(5))?;
    let t: TcpStream = sock.into();
    t.set_read_timeout(Some(Duration::from_secs(5)))?;
    t.set_write_timeout(Some(Duration::from_secs(5)))?;
    Ok(t)
}

/// One request; its status code (0 when the connection was closed without an answer).
fn request(s: &ClassServer, from: Ipv4Addr, method: &str, path: &str, body: &[u8]) -> u16 {
    let Ok(mut t) = connect(s, from) else {
        return 0;
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if t.write_all(head.as_bytes())
        .and_then(|()| t.write_all(body))
        .is_err()
    {
        return 0;
    }
    let mut buf = [0u8; 64];
    let n = t.read(&mut buf).unwrap_or(0);
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn token_path(s: &ClassServer) -> String {
    let url = s.url(IpAddr::V4(Ipv4Addr::LOCALHOST));
    url.split_once("/c/")
        .map(|(_, t)| format!("/c/{t}"))
        .unwrap()
}

fn student(k: u32) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1 + (k / 200) as u8, 1 + (k % 200) as u8)
}

#[test]
fn two_hundred_students_answer_within_a_second_and_the_tally_is_exact() {
    let s = server();
    let base = token_path(&s);
    let q = s.with(|x| {
        x.ask(
            "Which port?",
            &["20".into(), "36317".into(), "14321".into()],
        )
    });
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..20u32 {
            let (s, base) = (&s, &base);
            sc.spawn(move || {
                for k in (t * 10)..(t * 10 + 10) {
                    let body = format!("{{\"d\":\"{k:032x}\",\"q\":{q},\"c\":{}}}", k % 3);
                    assert_eq!(
                        request(
                            s,
                            student(k),
                            "POST",
                            &format!("{base}answer"),
                            body.as_bytes()
                        ),
                        204
                    );
                }
            });
        }
    });
    let took = start.elapsed();
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 1 });
    assert!(took < limit, "{took:?}");
    assert_eq!(s.read(|x| x.answered()), (200, 200));
    s.with(|x| x.reveal(1, "141·256 + 221"));
    assert_eq!(
        s.read(|x| x.histogram().unwrap().counts.clone()),
        vec![67, 67, 66]
    );
    s.stop();
}

#[test]
fn wrong_tokens_big_bodies_and_floods_are_refused_and_change_nothing() {
    let s = server();
    let base = token_path(&s);
    let q = s.with(|x| x.ask("?", &["a".into(), "b".into()]));
    let good = format!("{{\"d\":\"{:032x}\",\"q\":{q},\"c\":0}}", 1);
    assert_eq!(
        request(
            &s,
            student(1),
            "POST",
            &format!("{base}answer"),
            good.as_bytes()
        ),
        204
    );
    // Wrong tokens, other paths: 404, from many addresses.
    for k in 0..300 {
        let wrong = format!("/c/{k:032x}/answer");
        assert_eq!(
            request(&s, student(k + 10), "POST", &wrong, good.as_bytes()),
            404
        );
    }
    for p in [
        "/",
        "/etc/passwd",
        "/c/",
        "/c/../../scenarios",
        &format!("{base}../x"),
    ] {
        assert_eq!(request(&s, student(400), "GET", p, b""), 404, "{p}");
    }
    // A 1 MB body: refused (413).
    let big = vec![b'x'; 1 << 20];
    let code = request(&s, student(401), "POST", &format!("{base}answer"), &big);
    assert!(code == 413 || code == 0, "{code}");
    // From one address: more than 20 requests a second get 429.
    let codes: Vec<u16> = (0..40)
        .map(|_| request(&s, student(402), "GET", &base, b""))
        .collect();
    assert!(codes.contains(&429), "{codes:?}");
    // Many connections from one address: only a few stay open.
    let held: Vec<TcpStream> = (0..100)
        .filter_map(|_| connect(&s, student(403)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let open = held
        .iter()
        .filter(|t| {
            t.set_nonblocking(true).unwrap();
            let mut b = [0u8; 1];
            // Closed by the server: read gives 0 (end of file); open: would block.
            !matches!((&**t).read(&mut b), Ok(0))
        })
        .count();
    assert!(
        open <= MAX_CONNECTIONS_PER_ADDRESS,
        "{open} connections left open"
    );
    drop(held);
    // None of it changed the tally.
    assert_eq!(s.read(|x| x.answered()), (1, 1));
    assert!(s.refused() >= 300);
    s.stop();
}

#[test]
fn the_page_is_served_with_its_policy_and_stop_closes_everything() {
    let s = server();
    let base = token_path(&s);
    let mut t = connect(&s, student(1)).unwrap();
    write!(
        t,
        "GET {base} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    let _ = t.read_to_string(&mut page);
    assert!(
        page.starts_with("HTTP/1.1 200"),
        "{}",
        &page[..page.len().min(200)]
    );
    let lower = page.to_ascii_lowercase();
    assert!(lower.contains("content-security-policy: default-src 'none'; script-src 'sha256-"));
    assert!(!lower.contains("unsafe-"));
    assert!(
        !lower.contains("http://") && !lower.contains("https://"),
        "an outside address"
    );
    // An events stream stays open until Stop.
    let mut ev = connect(&s, student(2)).unwrap();
    write!(
        ev,
        "GET {base}events?d={:032x} HTTP/1.1\r\nHost: x\r\n\r\n",
        7
    )
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = ev.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("text/event-stream"));
    let start = Instant::now();
    s.stop();
    assert!(start.elapsed() < Duration::from_secs(3));
    // It heard "ended", then the connection closed.
    let mut rest = Vec::new();
    let _ = ev.read_to_end(&mut rest);
    let all = String::from_utf8_lossy(&buf[..n]).into_owned() + &String::from_utf8_lossy(&rest);
    assert!(all.contains("\"phase\":\"ended\""), "{all}");
}
