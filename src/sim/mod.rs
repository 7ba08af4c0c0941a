//! The deterministic discrete-event simulator.
//!
//! Integer virtual time, one event queue ordered by (time, insertion order), one seed from
//! which every host's generator is split. No wall clock, no threads, no hash-map iteration:
//! the same scenario and seed give a byte-identical trace. `build` makes the nodes from a
//! scenario, `routes` the routing, `record` the trace as it happens, `world` runs it; `queue`
//! is the event queue.

mod build;
mod node;
pub mod queue;
mod record;
mod routes;
mod world;

pub use world::{run, run_until, simulate, tcp_profile};
