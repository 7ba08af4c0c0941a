//! NAT (next step: translation). The scenario's description of a NAT router.

use crate::rules::PortMatch;
use serde::{Deserialize, Serialize};

/// A NAT router as a scenario states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatSpec {
    pub name: String,
    /// Its neighbours on the inside (the private side).
    pub inside: Vec<String>,
    /// Its address on the outside: inside hosts' connections leave from it.
    pub public_address: String,
    /// Port forwarding: connections to these ports of the public address go inside.
    #[serde(default)]
    pub forwards: Vec<ForwardSpec>,
    /// The FTP ALG (the idea of Linux's nf_nat_ftp): rewrites PORT/EPRT/227/229.
    #[serde(default)]
    pub ftp_alg: bool,
    /// The control port the ALG watches.
    #[serde(default = "port_21")]
    pub alg_port: u32,
}

fn port_21() -> u32 {
    21
}

/// One port-forwarding rule: the public address's `port` (or range) to an inside host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardSpec {
    pub port: PortMatch,
    /// The inside host's address.
    pub to: String,
    /// Its port (default: the same port as on the outside).
    #[serde(default)]
    pub to_port: Option<u32>,
    #[serde(default)]
    pub comment: String,
}

use super::{Decision, Middlebox, Routing};
use crate::ids::LinkId;
use crate::time::Time;
use crate::trace::Packet;
use std::net::Ipv4Addr;

/// A NAT router with its translation table.
pub struct Nat {
    spec: NatSpec,
    inside: Vec<LinkId>,
    public: Ipv4Addr,
}

impl Nat {
    pub fn new(spec: NatSpec, inside: Vec<LinkId>) -> Nat {
        let public = spec.public_address.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        Nat {
            spec,
            inside,
            public,
        }
    }
}

impl Middlebox for Nat {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn process(&mut self, _now: Time, _packet: &Packet, _from: LinkId) -> Decision {
        Decision::forward()
    }

    fn routing(&self) -> Routing {
        Routing::Nat {
            inside: self.inside.clone(),
            public: self.public,
        }
    }
}
