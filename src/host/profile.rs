//! How a system's TCP behaves where systems differ: one row per system, read by the host when
//! it opens a connection. Each value cites where it comes from.

/// A system whose TCP the hosts behave like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TcpProfile {
    /// Linux 6.5 and later (Ubuntu 24.04, Debian 13, …); macOS and iOS back off the SYN the
    /// same way.
    #[default]
    Linux,
    /// Linux before 6.5, or with `net.ipv4.tcp_syn_linear_timeouts=0`; RFC 6298's doubling.
    LinuxClassic,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpBehaviour {
    /// The system, in words.
    pub name: &'static str,
    /// SYN retransmission timeouts that leave the RTO at its start (1 s) before it doubles.
    pub syn_linear_timeouts: u8,
    /// The SYN times this gives, in words.
    pub syn_times: &'static str,
    /// Where the row comes from.
    pub source: &'static str,
}

const ROWS: [(TcpProfile, TcpBehaviour); 2] = [
    (
        TcpProfile::Linux,
        TcpBehaviour {
            name: "Linux 6.5+",
            syn_linear_timeouts: 4,
            syn_times: "0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s",
            source: "net.ipv4.tcp_syn_linear_timeouts=4, the default since Linux 6.5 (kernel \
                     commit ccce324dabfe, \"tcp: make the first N SYN RTO backoffs linear\"); \
                     measured on Linux 6.18: 10 SYNs in vsftpd's 60 s",
        },
    ),
    (
        TcpProfile::LinuxClassic,
        TcpBehaviour {
            name: "Linux before 6.5",
            syn_linear_timeouts: 0,
            syn_times: "0, 1, 3, 7, 15, 31, 63 s",
            source: "RFC 6298's doubling from a 1 s RTO, Linux before 6.5",
        },
    ),
];

impl TcpProfile {
    pub fn behaviour(self) -> TcpBehaviour {
        ROWS.iter()
            .find(|(p, _)| *p == self)
            .map_or(ROWS[0].1, |(_, b)| *b)
    }
}
