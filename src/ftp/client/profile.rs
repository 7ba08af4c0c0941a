//! Real clients as rows of a table: which commands they set up a data connection with, which
//! address they connect to after a 227, and what their user sees when it fails. The session
//! reads its row; a new client is a new row (and a variant of `ClientProfile`), not a branch.

use super::DataCommands;
use serde::{Deserialize, Serialize};
use std::net::SocketAddrV4;
use std::time::Duration;

/// Which real client the simulated one behaves like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientProfile {
    /// The classic command-line `ftp` program (PORT/PASV, trusts the 227 address).
    #[default]
    Classic,
    /// curl ≥ 7.74: EPSV/EPRT first, and a 227's address ignored for the control
    /// connection's (`CURLOPT_FTP_SKIP_PASV_IP`, on by default).
    Curl,
}

/// Where a client connects after a 227.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasvAddress {
    /// To the address the 227 names.
    Trust,
    /// To the control connection's peer, whatever the 227 names (only its port is used).
    ControlPeer,
}

/// What the user's terminal shows where clients differ.
pub struct Texts {
    /// The control connection did not open.
    pub connect_timed_out: &'static str,
    /// The passive data connection to `server` did not open within `after`.
    pub data_connect_timed_out: fn(server: SocketAddrV4, after: Duration) -> String,
}

/// One client's behaviour.
pub struct Behaviour {
    pub name: &'static str,
    pub summary: &'static str,
    /// The commands it uses when the scenario does not say.
    pub commands: DataCommands,
    pub pasv_address: PasvAddress,
    pub texts: Texts,
}

fn classic_data_timeout(server: SocketAddrV4, after: Duration) -> String {
    format!(
        "ftp: connect: Connection timed out (curl: \"Failed to connect to {} port {} after {} ms: Couldn't connect to server\", exit 28; Python ftplib: TimeoutError: [Errno 110] Connection timed out)",
        server.ip(),
        server.port(),
        after.as_millis()
    )
}

pub static CLASSIC: Behaviour = Behaviour {
    name: "ftp",
    summary: "The classic command-line ftp program: PORT and PASV, connects where the 227 says",
    commands: DataCommands::Classic,
    pasv_address: PasvAddress::Trust,
    texts: Texts {
        connect_timed_out: "ftp: connect: Connection timed out",
        data_connect_timed_out: classic_data_timeout,
    },
};

fn curl_data_timeout(server: SocketAddrV4, after: Duration) -> String {
    // curl names the control connection's port, not the data port that failed (measured,
    // curl 7.88.1: "Failed to connect to 203.0.113.10 port 21 after 134890 ms").
    format!(
        "curl: (28) Failed to connect to {} port 21 after {} ms: Couldn't connect to server",
        server.ip(),
        after.as_millis()
    )
}

pub static CURL: Behaviour = Behaviour {
    name: "curl",
    summary: "curl: EPSV/EPRT first, then PASV/PORT; ignores the address in a 227 and connects to the server it is talking to",
    commands: DataCommands::ExtendedFirst,
    pasv_address: PasvAddress::ControlPeer,
    texts: Texts {
        connect_timed_out: "curl: (28) Failed to connect to the server: Connection timed out",
        data_connect_timed_out: curl_data_timeout,
    },
};

impl ClientProfile {
    pub const ALL: [ClientProfile; 2] = [ClientProfile::Classic, ClientProfile::Curl];

    /// Its row of the table.
    pub fn behaviour(self) -> &'static Behaviour {
        match self {
            ClientProfile::Classic => &CLASSIC,
            ClientProfile::Curl => &CURL,
        }
    }

    pub fn name(self) -> &'static str {
        self.behaviour().name
    }
}
