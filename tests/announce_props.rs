#![allow(clippy::unwrap_used)]
//! Properties of the one announcement parser (PORT, EPRT, 227, 229): any text at all is read
//! without a panic, and the 227 variants real servers send all give the announced address.

use ftp_lab::ftp::announce::{self, Kind};
use proptest::prelude::*;
use std::net::{Ipv4Addr, SocketAddrV4};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_text_makes_the_parser_panic(line in any::<String>(), from_client in any::<bool>()) {
        if let Some(Ok(a)) = announce::parse_line(&line, from_client) {
            let _ = a.rewritten(&line, "198.51.100.2:40000".parse().unwrap());
        }
        let _ = announce::parse_any(&line);
        let _ = announce::scan_227(&line);
        let _ = announce::scan_229(&line);
        let _ = announce::parse_eprt(&line);
        let _ = announce::decode_host_port(&line);
    }

    #[test]
    fn lines_built_from_pieces_never_panic(pieces in proptest::collection::vec(
        prop_oneof![Just("PORT "), Just("EPRT "), Just("227 "), Just("229 "), Just("("), Just(")"),
            Just("|"), Just(","), Just(" "), Just("é"), Just("255"), Just("0"), Just("65536"), Just("\r\n")],
        0..30,
    )) {
        let line: String = pieces.concat();
        let _ = announce::parse_line(&line, true);
        let _ = announce::parse_line(&line, false);
    }

    #[test]
    fn every_227_variant_gives_the_announced_address(
        ip in any::<[u8; 4]>(),
        port in 1u16..=65535,
        style in 0usize..5,
    ) {
        let [a, b, c, d] = ip;
        let (p1, p2) = (port >> 8, port & 0xff);
        let text = match style {
            0 => format!("227 Entering Passive Mode ({a},{b},{c},{d},{p1},{p2})."),
            1 => format!("227 Entering Passive Mode {a},{b},{c},{d},{p1},{p2}"),
            2 => format!("227 ={a},{b},{c},{d},{p1},{p2}"),
            3 => format!("227 entering passive mode ({a}, {b}, {c}, {d}, {p1}, {p2})"),
            _ => format!("227 Entering passive mode ({a},{b},{c},{d},{p1},{p2})."),
        };
        let got = announce::parse_line(&text, false).unwrap().unwrap();
        prop_assert_eq!(got.kind, Kind::Pasv);
        prop_assert_eq!(got.target(Ipv4Addr::UNSPECIFIED), SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port));
        // And the rewrite puts another address exactly where this one was.
        let to: SocketAddrV4 = "198.51.100.2:40000".parse().unwrap();
        let again = announce::parse_line(&got.rewritten(&text, to).unwrap(), false).unwrap().unwrap();
        prop_assert_eq!(again.target(Ipv4Addr::UNSPECIFIED), to);
    }
}
