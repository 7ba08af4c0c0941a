//! The same sans-IO FTP client and server, over real `std::net` sockets: `ftp-lab serve` and
//! `ftp-lab probe`. This is the only place (with `main.rs`) that reads a real clock: it turns
//! elapsed wall time into `Time` and hands it to the state machines.

pub mod dirstore;
pub mod probe;
pub mod serve;

use crate::ftp::server::DataFailure;
use socket2::{Domain, SockAddr, Socket, Type};
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, SocketAddrV4, TcpStream};
use std::time::Duration;

/// Connects to `to`, from `from_port` if given (bound with SO_REUSEADDR, as vsftpd does for
/// port 20), within `timeout`.
pub fn connect_from(
    from: Option<SocketAddrV4>,
    to: SocketAddrV4,
    timeout: Duration,
) -> io::Result<TcpStream> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    if let Some(f) = from {
        s.set_reuse_address(true)?;
        s.bind(&SockAddr::from(SocketAddr::V4(f)))?;
    }
    s.connect_timeout(&SockAddr::from(SocketAddr::V4(to)), timeout)?;
    Ok(s.into())
}

/// How a connect error reads to the FTP code.
pub fn failure_of(e: &io::Error) -> DataFailure {
    match e.kind() {
        ErrorKind::ConnectionRefused => DataFailure::Refused,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => DataFailure::Reset,
        ErrorKind::TimedOut | ErrorKind::WouldBlock => DataFailure::TimedOut,
        _ => DataFailure::Unreachable,
    }
}

/// Text from the network as it may be printed on the operator's terminal: control characters
/// (ESC, CR, …) are written as escapes, so a client cannot move the cursor or fake a line.
pub fn printable(s: &str) -> String {
    crate::text::printable(s).into_owned()
}

/// A real clock turned into virtual time.
pub struct Clock(std::time::Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(std::time::Instant::now())
    }

    pub fn now(&self) -> crate::time::Time {
        crate::time::Time::from_micros(self.0.elapsed().as_micros() as u64)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped_for_the_log() {
        assert_eq!(
            super::printable("USER \u{1b}[2Jx\rfake"),
            "USER \\u{1b}[2Jx\\rfake"
        );
        assert_eq!(super::printable("élan"), "élan");
    }
}
