//! Views of a trace for people and other programs: the text transcript the CLI prints.
//! Reads only the trace.

pub mod transcript;
