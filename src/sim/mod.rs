//! The deterministic discrete-event simulator.
//!
//! Integer virtual time, one event queue ordered by (time, insertion order), one seed from
//! which every host's generator is split. No wall clock, no threads, no hash-map iteration:
//! the same scenario and seed give a byte-identical trace. `world` builds the topology from a
//! scenario and runs it; `queue` is the event queue.

pub mod queue;
mod world;

pub use world::{TCP_PROFILE, simulate};
