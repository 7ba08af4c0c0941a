//! FTP Lab: a deterministic simulator that teaches FTP's active and passive modes and why
//! firewalls break them.
//!
//! A `Scenario` (RON, see `scenarios/`) describes hosts, firewalls, links and what the user
//! types; `simulate` runs it on real TCP (smoltcp, driven by virtual time) and the sans-IO FTP
//! state machines, and returns a `Trace`: every packet, every firewall decision, every FTP
//! line, tagged with the step of the four-step handshake it belongs to. Views read only the
//! trace.

pub mod ftp;
pub mod rng;
pub mod time;
