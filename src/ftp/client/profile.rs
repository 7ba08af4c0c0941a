//! Real clients as rows of a table: which commands they set up a data connection with, which
//! address they connect to after a 227, how long they wait, and what their user sees. The
//! session reads its row; a new client is a new row (and a variant of `ClientProfile`), not a
//! branch. Sources: curl 7.88.1 and ftplib measured on Linux 6.18 (README, "How close to real
//! systems") and the programs' own code, named at each row.

use super::DataCommands;
use crate::ftp::action::{Mode, UserAction};
use crate::ftp::reply::Reply;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddrV4};
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
    /// Python's ftplib ≥ 3.9.3 / 3.8.9: PORT/PASV, a 227's address ignored
    /// (`trust_server_pasv_ipv4_address = False`, bpo-43285).
    Ftplib,
    /// FileZilla 3: PORT/PASV on IPv4 (`GetPassiveCommand`), a 227 naming an unroutable address
    /// replaced by the server's (`CFtpRawTransferOpData::ParseResponse`); 20 s of inactivity
    /// and it gives up (its default timeout).
    FileZilla,
}

/// Where a client connects after a 227.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasvAddress {
    /// To the address the 227 names.
    Trust,
    /// To the control connection's peer, whatever the 227 names (only its port is used).
    ControlPeer,
    /// To the control connection's peer when the 227 names a private, loopback or link-local
    /// address and the peer's is routable; to the 227's address otherwise (FileZilla's default
    /// "pasv reply fallback mode").
    ControlPeerIfUnroutable,
}

/// What the user's terminal shows where clients differ.
pub struct Texts {
    /// The user's action as this client shows it (`ftp> ls`, `>>> ftp.retrlines('LIST')`);
    /// `None`: it shows nothing for it (curl -v prints the commands, not the user's steps).
    pub typed: fn(&UserAction, SocketAddrV4) -> Option<String>,
    /// A reply as this client shows it (`227 …`, `*resp* '227 …'`, `Response: 227 …`).
    pub reply: fn(&Reply) -> String,
    /// The control connection opened to `server` (`None`: it says nothing).
    pub connected: fn(server: SocketAddrV4) -> Option<String>,
    /// The control connection did not open.
    pub connect_timed_out: &'static str,
    /// The passive data connection to `server` did not open within `after`.
    pub data_connect_timed_out: fn(server: SocketAddrV4, after: Duration) -> String,
    /// The client replaced the 227's address `announced` by `used` (`None`: it says nothing).
    pub skipped_pasv_address: fn(announced: Ipv4Addr, used: Ipv4Addr) -> Option<String>,
}

/// One client's behaviour.
pub struct Behaviour {
    pub name: &'static str,
    /// What its user's screen is, as the terminal's title.
    pub screen: &'static str,
    pub summary: &'static str,
    /// The commands it uses when the scenario does not say.
    pub commands: DataCommands,
    pub pasv_address: PasvAddress,
    /// After its own data connect timed out: go on with the script (an interactive client, a
    /// script that catches the error), or close the control connection without QUIT and stop
    /// (curl exits: measured, a FIN and no QUIT).
    pub hangs_up_after_timeout: bool,
    /// After a 5xx to PORT, send the transfer command anyway, without PORT (tnftp and netkit
    /// ftp with `sendport == -1`, their default: `initconn` goes to `noport`); the server
    /// then has no data port (vsftpd: `425 Use PORT or PASV first.`).
    pub retries_without_port: bool,
    /// How long it waits for a connection or a reply when the scenario does not say; `None`:
    /// as long as the kernel's `connect()` (131 s on Linux ≥ 6.5).
    pub timeout: Option<Duration>,
    pub texts: Texts,
}

fn says_nothing(_: Ipv4Addr, _: Ipv4Addr) -> Option<String> {
    None
}

fn prompt(a: &UserAction, server: SocketAddrV4) -> Option<String> {
    Some(format!("ftp> {}", a.typed(server)))
}

fn as_sent(r: &Reply) -> String {
    r.to_string()
}

fn classic_connected(server: SocketAddrV4) -> Option<String> {
    Some(format!("Connected to {}.", server.ip()))
}

fn classic_data_timeout(_: SocketAddrV4, _: Duration) -> String {
    "ftp: connect: Connection timed out".to_owned()
}

pub static CLASSIC: Behaviour = Behaviour {
    name: "ftp",
    screen: "The user's terminal (ftp)",
    summary: "The classic command-line ftp program: PORT and PASV, connects where the 227 says",
    commands: DataCommands::Classic,
    pasv_address: PasvAddress::Trust,
    timeout: None,
    hangs_up_after_timeout: false,
    retries_without_port: true,
    texts: Texts {
        typed: prompt,
        reply: as_sent,
        connected: classic_connected,
        connect_timed_out: "ftp: connect: Connection timed out",
        data_connect_timed_out: classic_data_timeout,
        skipped_pasv_address: says_nothing,
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

/// curl -v: `*` lines are its own information, `>` what it sends, `<` what it receives. A
/// scenario's steps are what one `curl -v ftp://…` run does in turn.
fn curl_step(a: &UserAction, server: SocketAddrV4) -> Option<String> {
    match a {
        UserAction::Connect => Some(format!("*   Trying {}:{}...", server.ip(), server.port())),
        UserAction::Login { user, .. } => Some(format!("> USER {user}")),
        UserAction::Quit => Some("> QUIT".to_owned()),
        // The mode is an option on its command line, a transfer its URL: nothing printed.
        _ => None,
    }
}

fn curl_reply(r: &Reply) -> String {
    format!("< {r}")
}

fn curl_connected(server: SocketAddrV4) -> Option<String> {
    Some(format!(
        "* Connected to {0} ({0}) port {1}",
        server.ip(),
        server.port()
    ))
}

fn curl_skip(announced: Ipv4Addr, used: Ipv4Addr) -> Option<String> {
    // curl -v (lib/ftp.c, ftp_state_pasv_resp): "Skip %u.%u.%u.%u for data connection,
    // reuse %s instead".
    Some(format!(
        "* Skip {announced} for data connection, reuse {used} instead"
    ))
}

pub static CURL: Behaviour = Behaviour {
    name: "curl",
    screen: "curl -v's output",
    summary: "curl: EPSV/EPRT first, then PASV/PORT; ignores the address in a 227 and connects to the server it is talking to",
    commands: DataCommands::ExtendedFirst,
    pasv_address: PasvAddress::ControlPeer,
    timeout: None,
    hangs_up_after_timeout: true,
    retries_without_port: false,
    texts: Texts {
        typed: curl_step,
        reply: curl_reply,
        connected: curl_connected,
        connect_timed_out: "curl: (28) Failed to connect to the server: Connection timed out",
        data_connect_timed_out: curl_data_timeout,
        skipped_pasv_address: curl_skip,
    },
};

/// A Python script's calls, as typed at `>>>`, with `set_debuglevel(1)` printing each reply.
fn ftplib_call(a: &UserAction, server: SocketAddrV4) -> Option<String> {
    let call = match a {
        UserAction::Connect => format!("ftp.connect('{}', {})", server.ip(), server.port()),
        UserAction::Login { user, .. } => format!("ftp.login('{user}', '********')"),
        UserAction::SetMode(m) => format!(
            "ftp.set_pasv({})",
            if *m == Mode::Passive { "True" } else { "False" }
        ),
        UserAction::Ls(None) => "ftp.retrlines('LIST')".to_owned(),
        UserAction::Ls(Some(p)) => format!("ftp.retrlines('LIST {p}')"),
        UserAction::Get(f) => format!("ftp.retrbinary('RETR {f}', out.write)"),
        UserAction::Put { name, .. } => format!("ftp.storbinary('STOR {name}', data)"),
        UserAction::Quit => "ftp.quit()".to_owned(),
    };
    Some(format!(">>> {call}"))
}

/// ftplib's debug output: `*resp* ` and the line as Python's `repr` writes it.
fn ftplib_reply(r: &Reply) -> String {
    let line = r.to_string();
    let q = if line.contains('\'') && !line.contains('"') {
        '"'
    } else {
        '\''
    };
    let body = line.replace('\\', "\\\\");
    let body = if q == '\'' {
        body.replace('\'', "\\'")
    } else {
        body
    };
    format!("*resp* {q}{body}{q}")
}

fn says_nothing_on_connect(_: SocketAddrV4) -> Option<String> {
    None
}

fn ftplib_timeout(_: SocketAddrV4, _: Duration) -> String {
    // No timeout given to FTP(): the kernel's connect() gives up (measured, Linux 6.18).
    "TimeoutError: [Errno 110] Connection timed out".to_owned()
}

pub static FTPLIB: Behaviour = Behaviour {
    name: "ftplib",
    screen: "The Python script's output (ftplib)",
    summary: "Python's ftplib (3.9.3 and later): PORT and PASV; ignores the address in a 227 and connects to the server it is talking to",
    commands: DataCommands::Classic,
    pasv_address: PasvAddress::ControlPeer,
    timeout: None,
    hangs_up_after_timeout: false,
    retries_without_port: false,
    texts: Texts {
        typed: ftplib_call,
        reply: ftplib_reply,
        connected: says_nothing_on_connect,
        connect_timed_out: "TimeoutError: [Errno 110] Connection timed out",
        data_connect_timed_out: ftplib_timeout,
        skipped_pasv_address: says_nothing,
    },
};

/// FileZilla's message log: `Status:` its own lines, `Response:` the server's.
fn filezilla_step(a: &UserAction, server: SocketAddrV4) -> Option<String> {
    Some(match a {
        UserAction::Connect => {
            format!("Status: Connecting to {}:{}...", server.ip(), server.port())
        }
        UserAction::Login { user, .. } => format!("Command: USER {user}"),
        UserAction::SetMode(m) => format!(
            "(Site Manager: transfer mode {})",
            if *m == Mode::Passive {
                "Passive"
            } else {
                "Active"
            }
        ),
        UserAction::Ls(_) => "Status: Retrieving directory listing...".to_owned(),
        UserAction::Get(f) => format!("Status: Starting download of /{f}"),
        UserAction::Put { name, .. } => format!("Status: Starting upload of {name}"),
        UserAction::Quit => "Command: QUIT".to_owned(),
    })
}

fn filezilla_reply(r: &Reply) -> String {
    format!("Response: {r}")
}

fn filezilla_connected(_: SocketAddrV4) -> Option<String> {
    Some("Status: Connection established, waiting for welcome message...".to_owned())
}

fn filezilla_timeout(_: SocketAddrV4, after: Duration) -> String {
    format!(
        "Error: Connection timed out after {} seconds of inactivity",
        after.as_secs()
    )
}

fn filezilla_skip(_: Ipv4Addr, _: Ipv4Addr) -> Option<String> {
    Some(
        "Status: Server sent passive reply with unroutable address. Using server address instead."
            .to_owned(),
    )
}

pub static FILEZILLA: Behaviour = Behaviour {
    name: "FileZilla",
    screen: "FileZilla's message log",
    summary: "FileZilla: PORT and PASV; a 227 naming a private address is replaced by the server's; gives up after 20 s of inactivity",
    commands: DataCommands::Classic,
    pasv_address: PasvAddress::ControlPeerIfUnroutable,
    timeout: Some(Duration::from_secs(20)),
    hangs_up_after_timeout: false,
    retries_without_port: false,
    texts: Texts {
        typed: filezilla_step,
        reply: filezilla_reply,
        connected: filezilla_connected,
        connect_timed_out: "Error: Connection timed out after 20 seconds of inactivity",
        data_connect_timed_out: filezilla_timeout,
        skipped_pasv_address: filezilla_skip,
    },
};

/// Not routable on the Internet, as FileZilla judges it (libfilezilla's `is_routable_address`):
/// 10/8, 172.16/12, 192.168/16 (RFC 1918), 127/8, 169.254/16, and 0/8, which it does not take
/// for an address at all.
pub fn unroutable(a: Ipv4Addr) -> bool {
    a.is_private() || a.is_loopback() || a.is_link_local() || a.octets()[0] == 0
}

impl PasvAddress {
    /// Where the data connection goes when the 227 names `announced` and the control
    /// connection's peer is `peer`.
    pub fn choose(self, announced: Ipv4Addr, peer: Ipv4Addr) -> Ipv4Addr {
        match self {
            PasvAddress::Trust => announced,
            PasvAddress::ControlPeer => peer,
            PasvAddress::ControlPeerIfUnroutable if unroutable(announced) && !unroutable(peer) => {
                peer
            }
            PasvAddress::ControlPeerIfUnroutable => announced,
        }
    }
}

impl ClientProfile {
    pub const ALL: [ClientProfile; 4] = [
        ClientProfile::Classic,
        ClientProfile::Curl,
        ClientProfile::Ftplib,
        ClientProfile::FileZilla,
    ];

    /// Its row of the table.
    pub fn behaviour(self) -> &'static Behaviour {
        match self {
            ClientProfile::Classic => &CLASSIC,
            ClientProfile::Curl => &CURL,
            ClientProfile::Ftplib => &FTPLIB,
            ClientProfile::FileZilla => &FILEZILLA,
        }
    }

    pub fn name(self) -> &'static str {
        self.behaviour().name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_picks_the_address_its_code_picks() {
        let private = Ipv4Addr::new(10, 0, 0, 5);
        let public = Ipv4Addr::new(203, 0, 113, 10);
        let other = Ipv4Addr::new(192, 0, 2, 9);
        let row = |p: ClientProfile| p.behaviour().pasv_address;
        assert_eq!(row(ClientProfile::Classic).choose(private, public), private);
        assert_eq!(row(ClientProfile::Curl).choose(private, public), public);
        assert_eq!(row(ClientProfile::Ftplib).choose(other, public), public);
        let fz = row(ClientProfile::FileZilla);
        assert_eq!(fz.choose(private, public), public);
        // A routable address in the 227 is used as it stands (FXP, another host).
        assert_eq!(fz.choose(other, public), other);
        // Both private (a LAN server): nothing to fall back to.
        assert_eq!(fz.choose(private, Ipv4Addr::new(192, 168, 1, 2)), private);
    }
}
