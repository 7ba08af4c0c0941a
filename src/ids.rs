//! Typed ids for what a trace numbers: nodes, links, packets (one per version of the bytes),
//! journeys (one packet from its sender to where it ended, across rewrites) and connections.
//! A bare `usize` says nothing; these say what they index, and cannot be mixed up.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The id of the `i`th item (saturates; no list here holds 2³² items).
            pub fn new(i: usize) -> $name {
                $name(u32::try_from(i).unwrap_or(u32::MAX))
            }

            /// Its position in the list it indexes.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A node of the topology (`Trace::nodes`).
    NodeId
);
id!(
    /// A link between two nodes (`Trace::links`).
    LinkId
);
id!(
    /// One version of a packet's bytes (`Trace::packets`); a NAT that rewrites a packet makes
    /// a new version of the same journey.
    PacketId
);
id!(
    /// One packet from the host that sent it to where it ended, whatever rewrote it on the way.
    JourneyId
);
id!(
    /// A TCP connection (`Trace::connections`), the same on both sides of a NAT.
    ConnId
);
