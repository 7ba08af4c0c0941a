//! Views of a trace for people and other programs: the text transcript the CLI prints and
//! pcap captures for Wireshark, pictures (SVG, PNG) and the handout (HTML) for class.
//! Reads only the trace and what the window derives from it (`gui::Run`).

pub mod files;
pub mod handout;
pub mod pcap;
pub mod picture;
pub mod transcript;
