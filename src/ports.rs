//! TCP ports and port ranges: one type and one parser for the command line (`--pasv-range
//! 10001-10005`), the window's fields and the checks on scenario files, so `70000`, `0`,
//! `9-3` and `x` get the same answer everywhere.

use std::fmt;
use std::str::FromStr;

/// A TCP port, 1 to 65535 (port 0 is "any port" to a socket API, never a port on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(u16);

/// An inclusive range of ports, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    lo: Port,
    hi: Port,
}

/// Why a text or a number is not a port or a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortError {
    NotANumber(String),
    OutOfRange(u64),
    Reversed { lo: u32, hi: u32 },
    NotARange(String),
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortError::NotANumber(t) => {
                write!(f, "'{t}' is not a port: write a number from 1 to 65535")
            }
            PortError::OutOfRange(n) => write!(
                f,
                "port {n} is out of range: a TCP port is a number from 1 to 65535"
            ),
            PortError::Reversed { lo, hi } => write!(
                f,
                "the range {lo}-{hi} is reversed: write the lower port first"
            ),
            PortError::NotARange(t) => {
                write!(f, "'{t}' is not a range of ports: write it as 10001-10005")
            }
        }
    }
}

impl std::error::Error for PortError {}

impl Port {
    pub fn new(n: u32) -> Result<Port, PortError> {
        u16::try_from(n)
            .ok()
            .filter(|p| *p != 0)
            .map(Port)
            .ok_or(PortError::OutOfRange(u64::from(n)))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl PortRange {
    pub fn new(lo: u32, hi: u32) -> Result<PortRange, PortError> {
        let (l, h) = (Port::new(lo)?, Port::new(hi)?);
        if l > h {
            return Err(PortError::Reversed { lo, hi });
        }
        Ok(PortRange { lo: l, hi: h })
    }

    /// Every port: 1-65535.
    pub const ALL: PortRange = PortRange {
        lo: Port(1),
        hi: Port(65535),
    };

    pub fn lo(self) -> u16 {
        self.lo.0
    }

    pub fn hi(self) -> u16 {
        self.hi.0
    }

    /// (lowest, highest).
    pub fn bounds(self) -> (u16, u16) {
        (self.lo.0, self.hi.0)
    }

    pub fn contains(self, p: u16) -> bool {
        self.lo.0 <= p && p <= self.hi.0
    }

    /// How many ports it holds.
    pub fn len(self) -> u32 {
        u32::from(self.hi.0) - u32::from(self.lo.0) + 1
    }

    /// Never empty (kept for clippy's `len_without_is_empty`).
    pub fn is_empty(self) -> bool {
        false
    }
}

impl FromStr for Port {
    type Err = PortError;
    fn from_str(s: &str) -> Result<Port, PortError> {
        let t = s.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PortError::NotANumber(t.to_owned()));
        }
        // Up to 20 digits fit a u64; more is out of range whatever it says.
        let n: u64 = t.parse().unwrap_or(u64::MAX);
        u32::try_from(n)
            .map_err(|_| PortError::OutOfRange(n))
            .and_then(Port::new)
    }
}

impl FromStr for PortRange {
    type Err = PortError;
    /// `10001-10005` (also `10001:10005`, as iptables writes it, or `10001–10005`); a single
    /// port is a range of one.
    fn from_str(s: &str) -> Result<PortRange, PortError> {
        let t = s.trim();
        match t.split_once(['-', ':', '–']) {
            Some((a, b)) => {
                let (lo, hi) = (a.parse::<Port>()?, b.parse::<Port>()?);
                PortRange::new(u32::from(lo.0), u32::from(hi.0))
            }
            None if t.is_empty() => Err(PortError::NotARange(t.to_owned())),
            None => {
                let p = t.parse::<Port>()?;
                Ok(PortRange { lo: p, hi: p })
            }
        }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parser_for_ports_and_ranges() {
        assert_eq!("21".parse::<Port>().unwrap().get(), 21);
        assert_eq!(" 65535 ".parse::<Port>().unwrap().get(), 65535);
        for bad in [
            "0",
            "65536",
            "70000",
            "99999999999999999999999",
            "x",
            "",
            "-1",
            "2 1",
        ] {
            assert!(bad.parse::<Port>().is_err(), "{bad}");
        }
        assert_eq!(
            "70000".parse::<Port>().unwrap_err().to_string(),
            "port 70000 is out of range: a TCP port is a number from 1 to 65535"
        );
        let r: PortRange = "10001-10005".parse().unwrap();
        assert_eq!((r.bounds(), r.len()), ((10001, 10005), 5));
        assert_eq!("10001:10005".parse::<PortRange>().unwrap(), r);
        assert_eq!("21".parse::<PortRange>().unwrap().bounds(), (21, 21));
        assert!(matches!(
            "9-3".parse::<PortRange>(),
            Err(PortError::Reversed { lo: 9, hi: 3 })
        ));
        assert!(matches!(
            "1-70000".parse::<PortRange>(),
            Err(PortError::OutOfRange(70000))
        ));
        assert_eq!(
            PortRange::new(1024, 65535).unwrap().to_string(),
            "1024-65535"
        );
    }
}
