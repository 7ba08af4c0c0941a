#![allow(clippy::unwrap_used)]
//! No input makes the FTP state machines panic: any command lines (built from the verbs and
//! arguments that matter, and from random bytes) against the server in both flavours, any
//! replies against the client in every mode and command set, with data-connection events
//! and timeouts in any order. The sessions must also keep their promises: a closed session
//! asks for nothing more, deadlines due at a time are all handled within a few calls (a driver would spin on one
//! that stays), and
//! each action of the client's script is reported once.

use ftp_lab::ftp::client::DataCommands;
use ftp_lab::ftp::server::{DataFailure, ServerProfile};
use ftp_lab::ftp::{
    ClientConfig, ClientSession, MemStore, Mode, ServerConfig, ServerSession, UserAction,
};
use ftp_lab::rng::Rng;
use ftp_lab::time::Time;
use proptest::prelude::*;
use std::time::Duration;

/// One thing that happens to a session.
#[derive(Clone, Debug)]
enum Ev {
    Line(String),
    Bytes(Vec<u8>),
    Listen(bool),
    Connected,
    Failed(u8),
    DataBytes(Vec<u8>),
    DataEof,
    DataClosed,
    Wait(u16),
}

fn line() -> impl Strategy<Value = String> {
    let verb = prop_oneof![
        Just("USER"),
        Just("PASS"),
        Just("PORT"),
        Just("EPRT"),
        Just("PASV"),
        Just("EPSV"),
        Just("LIST"),
        Just("NLST"),
        Just("RETR"),
        Just("STOR"),
        Just("TYPE"),
        Just("ALLO"),
        Just("CWD"),
        Just("QUIT"),
        Just("NOOP"),
        Just("ABOR"),
        Just("227"),
        Just("229"),
        Just("200"),
        Just("150"),
        Just("226"),
        Just("421"),
        Just("425"),
        Just("500"),
        Just("522"),
        Just("331"),
        Just("230"),
        Just("220"),
    ];
    let arg = prop_oneof![
        Just(String::new()),
        Just(" anonymous".to_owned()),
        Just(" 198,51,100,7,141,221".to_owned()),
        Just(" 203,0,113,10,39,17".to_owned()),
        Just(" |1|198.51.100.7|50000|".to_owned()),
        Just(" |2|::1|5282|".to_owned()),
        Just(" Entering Extended Passive Mode (|||10004|).".to_owned()),
        Just(" Entering Passive Mode (203,0,113,10,39,17).".to_owned()),
        Just(" 2".to_owned()),
        Just(" readme.txt".to_owned()),
        Just(" I".to_owned()),
        any::<String>().prop_map(|s| format!(" {s}")),
    ];
    (verb, arg).prop_map(|(v, a)| format!("{v}{a}"))
}

fn event() -> impl Strategy<Value = Ev> {
    prop_oneof![
        6 => line().prop_map(Ev::Line),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Ev::Bytes),
        1 => any::<bool>().prop_map(Ev::Listen),
        1 => Just(Ev::Connected),
        1 => (0u8..4).prop_map(Ev::Failed),
        1 => proptest::collection::vec(any::<u8>(), 0..32).prop_map(Ev::DataBytes),
        1 => Just(Ev::DataEof),
        1 => Just(Ev::DataClosed),
        1 => any::<u16>().prop_map(Ev::Wait),
    ]
}

fn failure(k: u8) -> DataFailure {
    match k {
        0 => DataFailure::Refused,
        1 => DataFailure::Reset,
        2 => DataFailure::Unreachable,
        _ => DataFailure::TimedOut,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_input_makes_the_server_panic(
        py in any::<bool>(),
        events in proptest::collection::vec(event(), 0..60),
    ) {
        let cfg = ServerConfig {
            profile: if py { ServerProfile::Pyftpdlib } else { ServerProfile::Vsftpd },
            passive_range: (10001, 10003),
            anon_upload: true,
            ..ServerConfig::default()
        };
        let mut store = MemStore::new();
        store.insert("/readme.txt", "hello\n");
        let mut s = ServerSession::new(
            cfg,
            "203.0.113.10:21".parse().unwrap(),
            "198.51.100.7:40000".parse().unwrap(),
            Rng::new(9),
            Time::ZERO,
        );
        s.handle_control_bytes(b"USER anonymous\r\nPASS x\r\n", Time::ZERO, &mut store);
        let mut now = Time::ZERO;
        let peer = "198.51.100.7:50000".parse().unwrap();
        for e in events {
            match e {
                Ev::Line(l) => s.handle_control_bytes(format!("{l}\r\n").as_bytes(), now, &mut store),
                Ev::Bytes(b) => s.handle_control_bytes(&b, now, &mut store),
                Ev::Listen(ok) => s.listen_result(if ok { Ok(()) } else { Err("in use".into()) }, now, &mut store),
                Ev::Connected => s.data_connected(peer, now, &mut store),
                Ev::Failed(k) => s.data_failed(failure(k), now, &mut store),
                Ev::DataBytes(b) => s.data_received(&b, now),
                Ev::DataEof => s.data_eof(now, &mut store),
                Ev::DataClosed => s.data_closed(now, &mut store),
                Ev::Wait(ms) => {
                    now = now + Duration::from_millis(u64::from(ms) * 10);
                    // Deadlines due together are handled one call each; a few calls settle
                    // them all (a deadline that never goes would make a driver spin).
                    for _ in 0..8 {
                        if s.poll_timeout().is_some_and(|t| t <= now) {
                            s.handle_timeout(now, &mut store);
                        }
                    }
                    prop_assert!(s.poll_timeout().is_none_or(|t| t > now), "deadline stuck at {:?}", s.poll_timeout());
                }
            }
            let mut buf = [0u8; 64];
            let _ = s.read_data(&mut buf, now);
            let mut left = 100_000;
            while s.poll_action().is_some() {
                left -= 1;
                prop_assert!(left > 0, "the session never stops asking for actions");
            }
            if s.is_closed() {
                prop_assert!(s.poll_timeout().is_none());
            }
        }
    }

    #[test]
    fn no_reply_makes_the_client_panic(
        passive in any::<bool>(),
        commands in 0usize..3,
        events in proptest::collection::vec(event(), 0..60),
    ) {
        let mut cfg = ClientConfig::new("203.0.113.10:21".parse().unwrap());
        cfg.mode = if passive { Mode::Passive } else { Mode::Active };
        cfg.commands = [DataCommands::Classic, DataCommands::Extended, DataCommands::ExtendedFirst][commands];
        let script = vec![
            UserAction::Connect,
            UserAction::Login { user: "anonymous".into(), pass: "x".into() },
            UserAction::Ls(None),
            UserAction::Get("readme.txt".into()),
            UserAction::Put { name: "up.txt".into(), data: b"up".to_vec() },
            UserAction::SetMode(Mode::Active),
            UserAction::Ls(None),
            UserAction::Quit,
        ];
        let mut c = ClientSession::new(cfg, script, Rng::new(5));
        c.start(Time::ZERO);
        c.control_connected("198.51.100.7:40000".parse().unwrap(), Time::ZERO);
        let mut now = Time::ZERO;
        let peer = "203.0.113.10:10004".parse().unwrap();
        for e in events {
            match e {
                Ev::Line(l) => c.control_bytes(format!("{l}\r\n").as_bytes(), now),
                Ev::Bytes(b) => c.control_bytes(&b, now),
                Ev::Listen(ok) => c.listen_result(if ok { Ok(()) } else { Err("in use".into()) }, now),
                Ev::Connected => c.data_connected(peer, now),
                Ev::Failed(k) => c.data_failed(failure(k), now),
                Ev::DataBytes(b) => c.data_bytes(&b),
                Ev::DataEof => c.data_eof(now),
                Ev::DataClosed => c.data_closed(now),
                Ev::Wait(ms) => {
                    now = now + Duration::from_millis(u64::from(ms) * 10);
                    for _ in 0..8 {
                        if c.poll_timeout().is_some_and(|t| t <= now) {
                            c.handle_timeout(now);
                        }
                    }
                    prop_assert!(c.poll_timeout().is_none_or(|t| t > now), "deadline stuck at {:?}", c.poll_timeout());
                }
            }
            let mut left = 100_000;
            while c.poll_action().is_some() {
                left -= 1;
                prop_assert!(left > 0, "the client never stops asking for actions");
            }
        }
        // Every action of the script that finished is reported once.
        let mut seen = std::collections::BTreeSet::new();
        for r in c.results() {
            prop_assert!(seen.insert(r.index), "action {} reported twice", r.index);
        }
    }
}
