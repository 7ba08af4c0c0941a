#![allow(clippy::unwrap_used)]
//! The real window, under Xvfb (an X server without a screen): what a person who
//! double-clicks a file gets.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An X server on a free display, stopped when dropped.
struct Xvfb {
    child: std::process::Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let n = 90 + std::process::id() % 100;
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let socket = format!("/tmp/.X11-unix/X{n}");
        let start = Instant::now();
        while !std::path::Path::new(&socket).exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Xvfb { child, display }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seen in the second attack: a bad file given to the window made the program exit at once
/// with the message only on stderr. Now the window opens (on the default lesson, the error on
/// screen: tests/gui.rs checks what it shows) and stays until it is closed.
fn a_bad_file_given_to_the_window_opens_the_window() {
    let x = Xvfb::start();
    let dir = std::env::temp_dir().join(format!("ftp-lab-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("random.ron");
    std::fs::write(&bad, [0x8f, 0x00, 0xff, 0x13]).unwrap();
    let mut app = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .arg(&bad)
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let running = app.try_wait().unwrap().is_none();
    let _ = app.kill();
    let _ = app.wait();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(running, "the program ended instead of opening its window");
}

fn main() -> std::process::ExitCode {
    use common::peers::Peer;
    common::peers::main(tests![
        needs [Peer::Xvfb] => a_bad_file_given_to_the_window_opens_the_window;
    ])
}
