//! Middleboxes: the nodes on a path that act on a packet the moment it arrives (a router, a
//! firewall, a NAT). Each takes a packet and the link it came in on, and returns what leaves:
//! the packet unchanged, rewritten (new bytes, and what changed), nothing (dropped), or a
//! reply sent back (a reject), with the verdict that says why. The world routes what leaves;
//! a middlebox never sees the world. To add one: implement `Middlebox`, build it from its
//! scenario node in `sim::world::build_node`, give it a `NodeKind` for the views.

pub mod nat;
pub mod router;

use crate::ids::LinkId;
use crate::time::Time;
use crate::trace::{Change, FirewallReport, NatReport, Packet, Verdict};
use std::net::Ipv4Addr;

/// What a middlebox does with one packet, and why. A packet it stops always says why (a
/// firewall's rule and connection state, a NAT's reason), so nothing downstream has to invent
/// a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The packet goes on, unchanged (a firewall says which rule let it through).
    Forward(Option<Verdict>),
    /// These bytes go on instead (same journey), and this is what changed.
    Rewrite {
        bytes: Vec<u8>,
        changes: Vec<Change>,
        verdict: Option<Verdict>,
    },
    /// Nothing leaves.
    Drop(Box<Verdict>),
    /// Nothing goes on; `reply` goes back the way the packet came (a TCP RST or an ICMP
    /// error).
    Reject {
        reply: Vec<u8>,
        verdict: Box<Verdict>,
    },
}

impl Decision {
    pub fn forward() -> Decision {
        Decision::Forward(None)
    }
}

/// How a middlebox takes part in routing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Routing {
    /// It passes every address both ways (a router, a bridging firewall).
    Transparent,
    /// Addresses behind its `inside` links are not routed beyond it; it is reached from
    /// outside at `public`.
    Nat {
        inside: Vec<LinkId>,
        public: Ipv4Addr,
    },
}

/// What a middlebox tells after the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    None,
    Firewall(FirewallReport),
    Nat(NatReport),
}

/// A node that acts on packets passing through it.
pub trait Middlebox {
    fn name(&self) -> &str;
    /// A packet arrives on link `from` at virtual time `now`: what leaves, and why.
    fn process(&mut self, now: Time, packet: &Packet, from: LinkId) -> Decision;
    fn routing(&self) -> Routing {
        Routing::Transparent
    }
    /// The world has no route for `packet`, which this box was to forward: the ICMP error it
    /// answers with, if it answers (`None`: it is dropped without a word).
    fn no_route(&self, _packet: &Packet) -> Option<Vec<u8>> {
        None
    }
    /// Its own address (its ICMP errors come from it), if it has one.
    fn address(&self) -> Option<Ipv4Addr> {
        None
    }
    fn report(&self) -> Report {
        Report::None
    }
}
