//! A plain router (the Internet between the sites): it forwards every packet it has a route
//! for (the world decides the route; a packet to an address nobody routes, such as a private
//! address announced through a NAT, ends there as unroutable). It does not change TTL: the
//! simulator leaves hop counts out of its lessons.

use super::{Decision, Middlebox};
use crate::ids::LinkId;
use crate::time::Time;
use crate::trace::Packet;

pub struct Router {
    pub name: String,
}

impl Middlebox for Router {
    fn name(&self) -> &str {
        &self.name
    }

    fn process(&mut self, _now: Time, _packet: &Packet, _from: LinkId) -> Decision {
        Decision::forward()
    }
}
