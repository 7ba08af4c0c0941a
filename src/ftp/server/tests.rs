use super::*;
use crate::ftp::store::MemStore;

fn cfg() -> ServerConfig {
    ServerConfig {
        passive_range: (10001, 10005),
        anon_upload: true,
        ..ServerConfig::default()
    }
}

fn session_with(cfg: ServerConfig) -> (ServerSession, MemStore) {
    let mut store = MemStore::new();
    store.insert("/readme.txt", "hello\n");
    let s = ServerSession::new(
        cfg,
        "203.0.113.10:21".parse().unwrap(),
        "198.51.100.7:40000".parse().unwrap(),
        Rng::new(1),
        Time::ZERO,
    );
    (s, store)
}

fn session() -> (ServerSession, MemStore) {
    session_with(cfg())
}

fn drain(s: &mut ServerSession) -> Vec<ServerAction> {
    std::iter::from_fn(|| s.poll_action()).collect()
}

fn replies(actions: &[ServerAction]) -> Vec<u16> {
    actions
        .iter()
        .filter_map(|a| {
            if let ServerAction::Reply(r) = a {
                Some(r.code)
            } else {
                None
            }
        })
        .collect()
}

fn reply_texts(actions: &[ServerAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| {
            if let ServerAction::Reply(r) = a {
                Some(r.to_string())
            } else {
                None
            }
        })
        .collect()
}

fn send(s: &mut ServerSession, st: &mut MemStore, line: &str, t: Time) -> Vec<ServerAction> {
    s.handle_control_bytes(format!("{line}\r\n").as_bytes(), t, st);
    drain(s)
}

fn login(s: &mut ServerSession, st: &mut MemStore) {
    s.handle_control_bytes(b"USER anonymous\r\nPASS x\r\n", Time::ZERO, st);
    let r = replies(&drain(s));
    assert_eq!(r[r.len() - 2..], [331, 230]);
}

/// PASV answered: the port it listens on.
fn passive(s: &mut ServerSession, st: &mut MemStore) -> u16 {
    let a = send(s, st, "PASV", Time::ZERO);
    let Some(ServerAction::ListenData { port }) = a
        .iter()
        .find(|x| matches!(x, ServerAction::ListenData { .. }))
        .cloned()
    else {
        panic!("no listen: {a:?}")
    };
    s.listen_result(Ok(()), Time::ZERO, st);
    drain(s);
    s.data_connected("198.51.100.7:45000".parse().unwrap(), Time::ZERO, st);
    port
}

fn upload(s: &mut ServerSession, st: &mut MemStore, name: &str, bytes: &[u8]) -> Vec<u16> {
    passive(s, st);
    let mut codes = replies(&send(s, st, &format!("STOR {name}"), Time::ZERO));
    assert_eq!(s.data_work(), DataWork::Receive);
    s.data_received(bytes, Time::ZERO);
    s.data_eof(Time::ZERO, st);
    codes.extend(replies(&drain(s)));
    codes
}

#[test]
fn active_list_connects_after_list_and_times_out_with_425() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    s.handle_control_bytes(
        b"PORT 198,51,100,7,195,211\r\nLIST\r\n",
        Time::ZERO,
        &mut st,
    );
    let a = drain(&mut s);
    assert_eq!(replies(&a), [200]);
    assert!(a.contains(&ServerAction::ConnectData {
        from_port: Some(20),
        to: "198.51.100.7:50131".parse().unwrap()
    }));
    assert_eq!(s.poll_timeout(), Some(Time::from_secs(60)));
    s.handle_timeout(Time::from_secs(60), &mut st);
    assert_eq!(
        reply_texts(&drain(&mut s)),
        ["425 Failed to establish connection."]
    );
}

#[test]
fn passive_list_sends_227_in_range_then_listing() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    let a = send(&mut s, &mut st, "PASV", Time::ZERO);
    let Some(ServerAction::ListenData { port }) = a.last().cloned() else {
        panic!("{a:?}")
    };
    assert!((10001..=10005).contains(&port));
    s.listen_result(Ok(()), Time::ZERO, &mut st);
    let a = drain(&mut s);
    let ServerAction::Reply(r) = &a[0] else {
        panic!()
    };
    assert_eq!(r.code, 227);
    assert_eq!(crate::ftp::scan_227(&r.text).unwrap().port(), port);
    s.data_connected("198.51.100.7:45000".parse().unwrap(), Time::ZERO, &mut st);
    assert_eq!(replies(&send(&mut s, &mut st, "NLST", Time::ZERO)), [150]);
    assert_eq!(s.data_work(), DataWork::Send);
    let mut buf = [0u8; 64];
    let n = s.read_data(&mut buf, Time::ZERO);
    assert_eq!(&buf[..n], b"readme.txt\r\n");
    assert_eq!(s.read_data(&mut buf, Time::ZERO), 0);
    assert_eq!(drain(&mut s), [ServerAction::CloseData]);
    s.data_closed(Time::ZERO, &mut st);
    assert_eq!(replies(&drain(&mut s)), [226]);
}

#[test]
fn refuses_bounce_and_privileged_ports_and_commands_before_login() {
    let (mut s, mut st) = session();
    drain(&mut s);
    assert_eq!(replies(&send(&mut s, &mut st, "LIST", Time::ZERO)), [530]);
    login(&mut s, &mut st);
    s.handle_control_bytes(
        b"PORT 10,0,0,1,195,211\r\nPORT 198,51,100,7,0,80\r\nPORT 1,2\r\nXYZZY\r\nEPRT |1|10.0.0.1|5000|\r\n",
        Time::ZERO,
        &mut st,
    );
    assert_eq!(replies(&drain(&mut s)), [500, 500, 500, 500, 500]);
}

#[test]
fn overlong_and_non_utf8_lines_get_500() {
    let (mut s, mut st) = session();
    drain(&mut s);
    let mut long = vec![b'A'; 10_000];
    long.extend_from_slice(b"\r\n\xff\xfe\r\nNOOP\r\n");
    s.handle_control_bytes(&long, Time::ZERO, &mut st);
    assert_eq!(replies(&drain(&mut s)), [500, 500, 200]);
}

#[test]
fn two_uploads_in_one_session_both_complete() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    assert_eq!(upload(&mut s, &mut st, "a.txt", b"first"), [150, 226]);
    assert_eq!(upload(&mut s, &mut st, "b.txt", b"second"), [150, 226]);
    assert_eq!(replies(&send(&mut s, &mut st, "NOOP", Time::ZERO)), [200]);
    assert_eq!(st.get("/a.txt").unwrap(), b"first");
    assert_eq!(st.get("/b.txt").unwrap(), b"second");
}

#[test]
fn an_upload_short_of_its_allo_size_does_not_replace_the_file() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    assert_eq!(
        replies(&send(&mut s, &mut st, "ALLO 100", Time::ZERO)),
        [200]
    );
    assert_eq!(
        upload(&mut s, &mut st, "readme.txt", b"fragment"),
        [150, 426]
    );
    assert_eq!(st.get("/readme.txt").unwrap(), b"hello\n");
}

#[test]
fn an_upload_cut_by_the_control_connection_closing_is_dropped() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    passive(&mut s, &mut st);
    send(&mut s, &mut st, "STOR readme.txt", Time::ZERO);
    s.data_received(b"frag", Time::ZERO);
    s.control_closed();
    s.data_eof(Time::ZERO, &mut st);
    assert!(replies(&drain(&mut s)).is_empty());
    assert_eq!(st.get("/readme.txt").unwrap(), b"hello\n");
}

#[test]
fn anonymous_uploads_are_refused_unless_allowed() {
    let (mut s, mut st) = session_with(ServerConfig {
        passive_range: (10001, 10005),
        ..ServerConfig::default()
    });
    login(&mut s, &mut st);
    passive(&mut s, &mut st);
    assert_eq!(
        reply_texts(&send(&mut s, &mut st, "STOR x.txt", Time::ZERO)),
        ["550 Permission denied."]
    );
}

#[test]
fn failed_logins_wait_a_second_and_the_third_closes_the_session() {
    let (mut s, mut st) = session();
    drain(&mut s);
    for n in 1..=3u64 {
        let t = Time::from_secs(10 * n);
        s.handle_control_bytes(b"USER bob\r\nPASS wrong\r\nNOOP\r\n", t, &mut st);
        assert_eq!(replies(&drain(&mut s)), [331], "the 530 is held back");
        assert_eq!(s.poll_timeout(), Some(t + Duration::from_secs(1)));
        s.handle_timeout(t + Duration::from_secs(1), &mut st);
        let a = drain(&mut s);
        if n < 3 {
            assert_eq!(replies(&a), [530, 200]);
        } else {
            assert_eq!(replies(&a), [530]);
            assert!(a.contains(&ServerAction::CloseControl));
            assert!(s.is_closed());
        }
    }
}

#[test]
fn an_idle_session_and_a_stalled_transfer_are_closed_after_300_s() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    assert_eq!(s.poll_timeout(), Some(Time::from_secs(300)));
    s.handle_timeout(Time::from_secs(300), &mut st);
    let a = drain(&mut s);
    assert_eq!(reply_texts(&a), ["421 Timeout."]);
    assert!(a.contains(&ServerAction::CloseControl));

    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    passive(&mut s, &mut st);
    send(&mut s, &mut st, "RETR readme.txt", Time::from_secs(5));
    assert_eq!(s.poll_timeout(), Some(Time::from_secs(305)));
    s.handle_timeout(Time::from_secs(305), &mut st);
    assert_eq!(
        reply_texts(&drain(&mut s)),
        ["421 Data timeout. Reconnect. Sorry."]
    );
}

#[test]
fn a_busy_passive_port_makes_the_server_try_the_others() {
    // pyftpdlib tries every port of its range, then answers 425 and goes on.
    let (mut s, mut st) = session_with(ServerConfig {
        profile: ServerProfile::Pyftpdlib,
        ..cfg()
    });
    login(&mut s, &mut st);
    let a = send(&mut s, &mut st, "PASV", Time::ZERO);
    let mut tried = Vec::new();
    let mut last = a;
    while let Some(ServerAction::ListenData { port }) = last.last().cloned()
        && tried.len() < 100
    {
        tried.push(port);
        s.listen_result(Err("in use".into()), Time::ZERO, &mut st);
        last = drain(&mut s);
    }
    tried.sort_unstable();
    assert_eq!(tried, [10001, 10002, 10003, 10004, 10005]);
    assert_eq!(reply_texts(&last), ["425 Can't open passive connection."]);

    // vsftpd tries 9 random ports, then `500 OOPS` ends the session.
    let (mut s, mut st) = session_with(cfg());
    login(&mut s, &mut st);
    let mut last = send(&mut s, &mut st, "PASV", Time::ZERO);
    let mut tries = 0;
    while let Some(ServerAction::ListenData { .. }) = last.last()
        && tries < 100
    {
        tries += 1;
        s.listen_result(Err("in use".into()), Time::ZERO, &mut st);
        last = drain(&mut s);
    }
    assert_eq!(tries, 9);
    assert_eq!(
        reply_texts(&last),
        [
            "500 OOPS: vsf_sysutil_bind, maximum number of attempts to find a listening port exceeded"
        ]
    );
    assert!(s.is_closed());
}

#[test]
fn epsv_and_eprt_work_and_other_protocols_get_522() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    let a = send(&mut s, &mut st, "EPSV", Time::ZERO);
    let Some(ServerAction::ListenData { port }) = a.last().cloned() else {
        panic!("{a:?}")
    };
    s.listen_result(Ok(()), Time::ZERO, &mut st);
    assert_eq!(
        reply_texts(&drain(&mut s)),
        [format!("229 Entering Extended Passive Mode (|||{port}|)")]
    );
    assert_eq!(
        reply_texts(&send(
            &mut s,
            &mut st,
            "EPRT |1|198.51.100.7|50131|",
            Time::ZERO
        )),
        ["200 EPRT command successful. Consider using EPSV."]
    );
    assert_eq!(
        replies(&send(&mut s, &mut st, "EPRT |2|::1|5282|", Time::ZERO)),
        [522]
    );
    assert_eq!(replies(&send(&mut s, &mut st, "EPSV 2", Time::ZERO)), [522]);
    assert_eq!(
        replies(&send(&mut s, &mut st, "EPRT |1|x|5|", Time::ZERO)),
        [500]
    );
}

#[test]
fn a_flood_of_commands_is_bounded() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    passive(&mut s, &mut st);
    send(&mut s, &mut st, "RETR readme.txt", Time::ZERO);
    assert!(s.wants_input());
    let flood = "NOOP\r\n".repeat(QUEUE_SOFT);
    s.handle_control_bytes(flood.as_bytes(), Time::ZERO, &mut st);
    assert!(!s.wants_input(), "the driver should stop reading");
    let flood = "NOOP\r\n".repeat(QUEUE_HARD);
    s.handle_control_bytes(flood.as_bytes(), Time::ZERO, &mut st);
    assert!(s.is_closed());
    assert!(s.lines.len() <= QUEUE_HARD);
}

#[test]
fn extended_commands_for_another_protocol_get_522_and_the_session_goes_on() {
    let (mut s, mut st) = session();
    login(&mut s, &mut st);
    for line in ["EPRT |2|::1|5282|", "EPSV 2"] {
        assert_eq!(
            replies(&send(&mut s, &mut st, line, Time::ZERO)),
            [522],
            "{line}"
        );
    }
    for line in [
        "EPRT |1|198.51.100.7|70000|",
        "EPRT 1|198.51.100.7|5000|",
        "EPRT |1|1.2.3|5000|",
    ] {
        assert_eq!(
            reply_texts(&send(&mut s, &mut st, line, Time::ZERO)),
            ["500 Bad EPRT command."],
            "{line}"
        );
    }
    let a = send(&mut s, &mut st, "EPSV", Time::ZERO);
    let Some(ServerAction::ListenData { port }) = a
        .iter()
        .find(|x| matches!(x, ServerAction::ListenData { .. }))
        .cloned()
    else {
        panic!("{a:?}")
    };
    s.listen_result(Ok(()), Time::ZERO, &mut st);
    assert_eq!(
        reply_texts(&drain(&mut s)),
        [format!("229 Entering Extended Passive Mode (|||{port}|)")]
    );
}

fn pyftpdlib() -> (ServerSession, MemStore) {
    session_with(ServerConfig {
        profile: ServerProfile::Pyftpdlib,
        active_data_port: None,
        connect_timeout: Duration::from_secs(30),
        accept_timeout: Duration::from_secs(30),
        ..cfg()
    })
}

#[test]
fn pyftpdlib_connects_at_port_time_and_answers_only_then() {
    let (mut s, mut st) = pyftpdlib();
    login(&mut s, &mut st);
    let a = send(&mut s, &mut st, "PORT 198,51,100,7,141,221", Time::ZERO);
    assert!(replies(&a).is_empty(), "no reply before the connect: {a:?}");
    assert!(a.contains(&ServerAction::ConnectData {
        from_port: None,
        to: "198.51.100.7:36317".parse().unwrap()
    }));
    // A drop: nothing until 30 s after PORT, then 421 and the session stays open.
    assert_eq!(s.poll_timeout(), Some(Time::from_secs(30)));
    s.handle_timeout(Time::from_secs(30), &mut st);
    let a = drain(&mut s);
    assert_eq!(reply_texts(&a), ["421 Active data channel timed out."]);
    assert!(!s.is_closed());
    assert_eq!(
        replies(&send(&mut s, &mut st, "NOOP", Time::from_secs(31))),
        [200]
    );
    // A reject: 425 at once.
    send(
        &mut s,
        &mut st,
        "PORT 198,51,100,7,141,222",
        Time::from_secs(40),
    );
    s.data_failed(DataFailure::Refused, Time::from_secs(40), &mut st);
    assert_eq!(
        reply_texts(&drain(&mut s)),
        ["425 Can't connect to specified address."]
    );
    // A success: 200 on connect, then LIST starts with 125 and ends with 226.
    send(
        &mut s,
        &mut st,
        "EPRT |1|198.51.100.7|36319|",
        Time::from_secs(50),
    );
    s.data_connected(
        "198.51.100.7:36319".parse().unwrap(),
        Time::from_secs(50),
        &mut st,
    );
    assert_eq!(
        reply_texts(&drain(&mut s)),
        ["200 Active data connection established."]
    );
    let a = send(&mut s, &mut st, "LIST", Time::from_secs(51));
    assert_eq!(
        reply_texts(&a),
        ["125 Data connection already open. Transfer starting."]
    );
    // A bounce is refused in pyftpdlib's words.
    let (mut s, mut st) = pyftpdlib();
    login(&mut s, &mut st);
    assert_eq!(
        reply_texts(&send(&mut s, &mut st, "PORT 10,0,0,9,141,221", Time::ZERO)),
        ["501 Rejected data connection to foreign address 10.0.0.9:36317."]
    );
}

#[test]
fn pyftpdlib_passive_gives_up_30_s_after_pasv() {
    let (mut s, mut st) = pyftpdlib();
    login(&mut s, &mut st);
    let a = send(&mut s, &mut st, "PASV", Time::from_secs(1));
    let Some(ServerAction::ListenData { port }) = a
        .iter()
        .find(|x| matches!(x, ServerAction::ListenData { .. }))
        .cloned()
    else {
        panic!("{a:?}")
    };
    s.listen_result(Ok(()), Time::from_secs(1), &mut st);
    let words = reply_texts(&drain(&mut s));
    assert!(
        words[0].starts_with("227 Entering passive mode ("),
        "{words:?}"
    );
    // LIST before anyone connected: 150 at once; the timeout still counts from PASV.
    assert_eq!(
        reply_texts(&send(&mut s, &mut st, "LIST", Time::from_secs(5))),
        ["150 File status okay. About to open data connection."]
    );
    assert_eq!(s.poll_timeout(), Some(Time::from_secs(31)));
    s.handle_timeout(Time::from_secs(31), &mut st);
    let a = drain(&mut s);
    assert_eq!(reply_texts(&a), ["421 Passive data channel timed out."]);
    assert!(a.contains(&ServerAction::AbortData));
    assert!(!s.is_closed());
    let _ = port;
}
