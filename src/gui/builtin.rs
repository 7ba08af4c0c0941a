//! The scenarios the picker offers: the `.ron` files in `scenarios/` (next to the program's
//! working directory and next to the open file), and built-in copies of the shipped ones so the
//! window still opens with a lesson when started from elsewhere.

use super::Document;
use crate::scenario::Scenario;
use crate::simulate;
use crate::trace::Trace;
use std::path::PathBuf;

pub const DEFAULT_SCENARIO: &str = "active-client-fw-drops.ron";

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../scenarios/", $name)))),*]
    };
}

/// The shipped scenarios, compiled in.
pub const SHIPPED: &[(&str, &str)] = shipped!(
    "active-client-fw-admin-prohibited.ron",
    "active-client-fw-drops-pyftpdlib.ron",
    "active-client-fw-drops.ron",
    "active-client-fw-ftp-helper.ron",
    "active-client-fw-rejects-icmp.ron",
    "active-client-fw-rejects.ron",
    "active-eprt-ftp-helper.ron",
    "active-high-data-port.ron",
    "active-open.ron",
    "active-server-fw-blocks-port-20.ron",
    "nat-client-active-alg.ron",
    "nat-client-active-no-alg.ron",
    "nat-client-passive.ron",
    "nat-server-epsv.ron",
    "nat-server-passive-address.ron",
    "nat-server-passive-alg.ron",
    "nat-server-passive-filezilla.ron",
    "nat-server-passive-not-forwarded.ron",
    "nat-server-passive-private.ron",
    "nat-two-clients-active-alg.ron",
    "passive-open.ron",
    "passive-pyftpdlib-blocked-range.ron",
    "passive-range-mismatch.ron",
    "passive-range-opened.ron",
    "passive-range-used-up.ron",
    "passive-server-fw-blocks-range.ron",
    "passive-stateful-client-fw.ron",
);

/// A scenario the picker can open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    File(PathBuf),
    Builtin(&'static str),
}

impl Entry {
    pub fn name(&self) -> String {
        match self {
            Entry::File(p) => p
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
            Entry::Builtin(n) => n.trim_end_matches(".ron").to_owned(),
        }
    }

    pub fn load(&self) -> Result<Document, String> {
        match self {
            Entry::File(p) => super::opening::load_document(p),
            Entry::Builtin(n) => builtin_document(n).ok_or_else(|| format!("no built-in {n}")),
        }
    }
}

fn builtin_document(name: &str) -> Option<Document> {
    let (n, text) = SHIPPED.iter().find(|(n, _)| *n == name)?;
    let scenario = Scenario::parse(text, n).ok()?;
    Some(Document::new(
        None,
        n.trim_end_matches(".ron").to_owned(),
        scenario,
    ))
}

/// The default lesson, from the built-in copy.
pub fn default_document() -> Document {
    builtin_document(DEFAULT_SCENARIO).unwrap_or_else(|| {
        // The shipped file is checked by the tests; this is only reached if it stops parsing.
        let scenario = Scenario {
            title: "(no scenario)".to_owned(),
            description: String::new(),
            seed: 0,
            time_limit_s: 1,
            nodes: Vec::new(),
            links: Vec::new(),
            expect: crate::Expectation {
                result: crate::Expected::Success,
                failed_action: None,
                reply: None,
                blocked_by: None,
                diagnosis: Vec::new(),
                clients: Default::default(),
            },
            questions: Vec::new(),
            exercise: None,
        };
        Document::new(None, "empty".to_owned(), scenario)
    })
}

/// A trace to show when nothing valid has run yet.
pub fn default_trace() -> Trace {
    simulate(default_document().scenario()).unwrap_or_else(|_| Trace::empty())
}
