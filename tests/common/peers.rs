//! The programs our code is checked against: tshark reads our captures, curl and Python's
//! ftplib talk to our server, pyftpdlib to our client, dumpcap and network namespaces make real
//! captures. A test that needs one is registered with this harness (libtest-mimic) instead of
//! `#[test]`:
//!
//! - when a peer is missing, the test is listed as ignored, and its name says why
//!   (`curl_lists… [skipped: curl is not installed]`), so the skip is seen in the summary;
//! - under `CI=true` it is never skipped: it runs, and fails saying what is missing.

#![allow(dead_code)]

use std::process::{Command, ExitCode, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    Tshark,
    Curl,
    Python,
    Pyftpdlib,
    Dumpcap,
    /// Network namespaces and iptables (root).
    Netns,
    /// An X server without a screen, for the real window.
    Xvfb,
    /// xdotool, to read and drive the real window.
    Xdotool,
    /// Chromium and its WebDriver, driven by Python's selenium (tests/browser/).
    Browser,
}

impl Peer {
    fn what(self) -> &'static str {
        match self {
            Peer::Tshark => "tshark is not installed",
            Peer::Curl => "curl is not installed",
            Peer::Python => "python3 is not installed",
            Peer::Pyftpdlib => "Python's pyftpdlib is not installed",
            Peer::Dumpcap => "dumpcap cannot capture on lo",
            Peer::Netns => "network namespaces or iptables are refused here (not root?)",
            Peer::Xvfb => "Xvfb is not installed",
            Peer::Xdotool => "xdotool is not installed",
            Peer::Browser => "chromium, chromium-driver or Python's selenium is not installed",
        }
    }

    fn check(self) -> bool {
        let ok = |c: &mut Command| {
            bounded(c, Duration::from_secs(20)).is_some_and(|o| o.status.success())
        };
        match self {
            Peer::Tshark => ok(Command::new("tshark").arg("--version")),
            Peer::Curl => ok(Command::new("curl").arg("--version")),
            Peer::Python => ok(Command::new("python3").arg("--version")),
            Peer::Pyftpdlib => ok(Command::new("python3").args(["-c", "import pyftpdlib"])),
            Peer::Dumpcap => bounded(Command::new("dumpcap").arg("-D"), Duration::from_secs(20))
                .is_some_and(|o| {
                    o.status.success() && String::from_utf8_lossy(&o.stdout).contains("lo")
                }),
            Peer::Xvfb => ok(Command::new("sh").args(["-c", "command -v Xvfb"])),
            Peer::Xdotool => ok(Command::new("sh").args(["-c", "command -v xdotool"])),
            Peer::Browser => {
                ok(Command::new("chromedriver").arg("--version"))
                    && ok(Command::new("sh").args(["-c", "command -v chromium"]))
                    && ok(Command::new("python3").args(["-c", "import selenium"]))
            }
            Peer::Netns => {
                let ns = format!("ftplab-probe{}", std::process::id());
                let made = ok(Command::new("ip").args(["netns", "add", &ns]));
                let _ = bounded(
                    Command::new("ip").args(["netns", "del", &ns]),
                    Duration::from_secs(20),
                );
                made && ok(Command::new("iptables").arg("--version"))
            }
        }
    }

    /// Whether it is here (asked once per test binary).
    pub fn present(self) -> bool {
        static SEEN: OnceLock<std::sync::Mutex<Vec<(Peer, bool)>>> = OnceLock::new();
        let seen = SEEN.get_or_init(Default::default);
        let mut seen = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, ok)) = seen.iter().find(|(p, _)| *p == self) {
            return *ok;
        }
        let ok = self.check();
        seen.push((self, ok));
        ok
    }
}

/// Runs `cmd` to its end, at most `limit`: its output, or `None` when it could not start or
/// did not end in time (it is killed then). Its output is read as it comes (a child that
/// fills a pipe nobody reads would never end).
pub fn bounded(cmd: &mut Command, limit: Duration) -> Option<Output> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    collect(child, limit)
}

/// Runs a peer to its end, failing the test (with what it printed so far) when it takes more
/// than `secs`.
pub fn run(cmd: &mut Command, secs: u64) -> Output {
    let what = format!("{cmd:?}");
    bounded(cmd, Duration::from_secs(secs))
        .unwrap_or_else(|| panic!("{what} did not finish within {secs} s (or could not start)"))
}

/// `Command::output`, but bounded: a program that does not end within `secs` is killed and
/// fails the test, instead of hanging it.
pub trait Bounded {
    fn output_within(&mut self, secs: u64) -> std::io::Result<Output>;
    /// The same with the standard streams as the caller set them (only those piped are read).
    fn wait_within(&mut self, secs: u64) -> std::io::Result<Output>;
}

impl Bounded for Command {
    fn output_within(&mut self, secs: u64) -> std::io::Result<Output> {
        let what = format!("{self:?}");
        // Whether it starts at all is the caller's to judge (a missing program is an error).
        let probe = self.get_program().to_owned();
        match bounded(self, Duration::from_secs(secs)) {
            Some(o) => Ok(o),
            None if which(&probe) => panic!("{what} did not finish within {secs} s"),
            None => Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} cannot be started", probe.to_string_lossy()),
            )),
        }
    }

    fn wait_within(&mut self, secs: u64) -> std::io::Result<Output> {
        let what = format!("{self:?}");
        let child = self.spawn()?;
        Ok(collect(child, Duration::from_secs(secs))
            .unwrap_or_else(|| panic!("{what} did not finish within {secs} s")))
    }
}

/// Waits for a child started by the test, at most `secs`, failing the test when it takes
/// longer (it is killed then).
pub fn wait_child(child: std::process::Child, secs: u64) -> Output {
    collect(child, Duration::from_secs(secs))
        .unwrap_or_else(|| panic!("a child did not finish within {secs} s"))
}

/// Waits for `child` at most `limit`, reading whichever of its streams are piped.
fn collect(mut child: std::process::Child, limit: Duration) -> Option<Output> {
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            v
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn std::io::Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn std::io::Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    Some(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Whether `program` can be started (a path that exists, or a name on the PATH).
fn which(program: &std::ffi::OsStr) -> bool {
    let p = std::path::Path::new(program);
    if p.components().count() > 1 {
        return p.exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// A test and the peers it needs.
pub struct Test {
    pub name: &'static str,
    pub needs: &'static [Peer],
    pub run: fn(),
}

/// `tests![needs [Peer::Tshark] => a, b; needs [] => c]`: the tests of a file.
#[macro_export]
macro_rules! tests {
    ($(needs [$($p:expr),*] => $($f:ident),+);* $(;)?) => {{
        let mut all: Vec<$crate::common::peers::Test> = Vec::new();
        $(
            let needs: &'static [$crate::common::peers::Peer] = &[$($p),*];
            $(all.push($crate::common::peers::Test {
                name: stringify!($f),
                needs,
                run: $f,
            });)+
        )*
        all
    }};
}

/// Runs a test file's tests with libtest's arguments and output.
pub fn main(tests: Vec<Test>) -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let trials = tests
        .into_iter()
        .map(|t| {
            let missing: Vec<&str> = t
                .needs
                .iter()
                .filter(|p| !p.present())
                .map(|p| p.what())
                .collect();
            if missing.is_empty() {
                let f = t.run;
                return libtest_mimic::Trial::test(t.name, move || {
                    std::panic::catch_unwind(f).map_err(|e| panic_words(&e).into())
                });
            }
            let why = missing.join(", ");
            if ci {
                return libtest_mimic::Trial::test(t.name, move || {
                    Err(format!("{why}, and CI=true: .ci/run must provide it").into())
                });
            }
            // Run anyway (--include-ignored), it says why it cannot.
            let said = format!("skipped: {why}");
            libtest_mimic::Trial::test(format!("{} [skipped: {why}]", t.name), move || {
                Err(said.clone().into())
            })
            .with_ignored_flag(true)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

fn panic_words(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".to_owned())
}
