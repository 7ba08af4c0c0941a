//! A node of the world: an end host (with the time it is next to be polled), or a middlebox.
//! Its own module, so that `build` makes nodes, `routes` reads them and `world` runs them
//! without any of them importing another.

use crate::host::EndHost;
use crate::middlebox::Middlebox;
use crate::time::Time;

pub enum Node {
    Host(Box<EndHost>, Option<Time>),
    Middle(Box<dyn Middlebox>),
}
