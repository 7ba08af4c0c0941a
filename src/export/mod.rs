//! Views of a trace for people and other programs: the text transcript the CLI prints and
//! pcap captures for Wireshark.
//! Reads only the trace.

pub mod pcap;
pub mod transcript;
