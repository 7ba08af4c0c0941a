//! Sans-IO FTP (RFC 959): wire types, and the client and server state machines.
//!
//! `command` and `reply` parse and format; `server` and `client` decide; `store` holds the
//! server's files. Nothing here opens a socket or reads a clock: time comes in as an argument
//! and I/O goes out as actions, so the simulator and the real-socket adapters share it.

pub mod action;
pub mod announce;
pub mod client;
pub mod command;
pub mod reply;
pub mod server;
pub mod store;

pub use action::{ActionKind, ActionResult, Mode, UserAction};
pub use announce::{decode_host_port, encode_host_port, scan_227};
pub use client::{ClientAction, ClientConfig, ClientSession};
pub use command::Command;
pub use reply::{Reply, ReplyParser};
pub use server::{DataFailure, ServerAction, ServerConfig, ServerSession};
pub use store::{FileStore, MemStore};
