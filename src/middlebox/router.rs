//! A plain router (the Internet between the sites): it forwards every packet it has a route
//! for (the world decides the route and lowers the TTL, as for every box in between). A
//! packet to an address nobody routes (a private address announced through a NAT) ends
//! there: dropped without a word by default, as the Internet's bogon filters do, or answered
//! with ICMP net unreachable from the router's own address (`NoRoute::NetUnreachable`), as a
//! Linux router with no route answers (`ip_route_input_slow` → `ip_error`).

use super::{Decision, Middlebox};
use crate::ids::LinkId;
use crate::scenario::NoRoute;
use crate::scenario::network::RouterNode;
use crate::time::Time;
use crate::trace::Packet;
use std::net::Ipv4Addr;

pub struct Router {
    pub name: String,
    address: Option<Ipv4Addr>,
    no_route: NoRoute,
}

impl Router {
    pub fn new(r: &RouterNode) -> Router {
        Router {
            name: r.name.clone(),
            address: r.address,
            no_route: r.no_route,
        }
    }
}

impl Middlebox for Router {
    fn name(&self) -> &str {
        &self.name
    }

    fn process(&mut self, _now: Time, _packet: &Packet, _from: LinkId) -> Decision {
        Decision::forward()
    }

    fn address(&self) -> Option<Ipv4Addr> {
        self.address
    }

    fn no_route(&self, p: &Packet) -> Option<Vec<u8>> {
        match (self.no_route, self.address) {
            // Never an ICMP error about an ICMP error (RFC 1122 3.2.2).
            (NoRoute::NetUnreachable, Some(from)) if p.icmp.is_none() => {
                Some(crate::net::build_icmp_unreachable(p, 0, from))
            }
            _ => None,
        }
    }
}
