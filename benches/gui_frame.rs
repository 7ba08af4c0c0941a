//! How long one frame of the window takes to build (layout and tessellation, no GPU), on the
//! default lesson and on a long run (a 3 MB download: over 10,000 events), with the ladder and
//! the event list in view. The ladder and the table draw only their visible rows, so a long
//! trace should cost about as much per frame as a short one. `cargo bench --bench gui_frame`.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ftp_lab::Scenario;
use ftp_lab::gui::FtpLabApp;
use ftp_lab::scenario::{ActionSpec, NodeSpec};
use std::path::Path;
use std::time::Instant;

fn median_frame_ms(h: &mut Harness<'_, FtpLabApp>, frames: usize) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..frames)
        .map(|_| {
            // A moved pointer forces a real frame each time, as a hovering mouse would.
            h.hover_at(eframe::egui::pos2(640.0, 500.0));
            let t = Instant::now();
            h.step();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[frames / 2], ms[frames * 9 / 10])
}

fn harness(path: &Path) -> Harness<'static, FtpLabApp> {
    let app = FtpLabApp::new(Some(path));
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_max_steps(100)
        .build_ui_state(|ui, app: &mut FtpLabApp| app.show(ui), app);
    h.run_steps(5);
    h
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let default = root.join("scenarios/active-client-fw-drops.ron");

    // A long run: the open active scenario downloading a 2 MB file.
    let mut s = Scenario::load(&root.join("scenarios/active-open.ron")).expect("loads");
    for n in &mut s.nodes {
        match n {
            NodeSpec::Server(sv) => {
                sv.files.insert("big.bin".to_owned(), "x".repeat(3_000_000));
            }
            NodeSpec::Client(c) => {
                c.actions = vec![
                    ActionSpec::Connect,
                    ActionSpec::Login {
                        user: "anonymous".to_owned(),
                        pass: "a@b".to_owned(),
                    },
                    ActionSpec::Get("big.bin".to_owned()),
                    ActionSpec::Quit,
                ];
            }
            _ => {}
        }
    }
    let long = std::env::temp_dir().join(format!("ftp-lab-bench-{}.ron", std::process::id()));
    std::fs::write(&long, s.to_ron()).expect("writes");

    println!(
        "{:<34} {:>8} {:>14} {:>10}",
        "view", "events", "median ms", "p90 ms"
    );
    for (name, path) in [
        ("default lesson", default.as_path()),
        ("3 MB download", long.as_path()),
    ] {
        let mut h = harness(path);
        let events = h.state().trace().events.len();
        // The cursor in the middle of the run.
        let mid = events / 2;
        h.state_mut()
            .apply(ftp_lab::gui::model::Command::SeekEvent(mid));
        h.run_steps(5);
        let (m, p) = median_frame_ms(&mut h, 60);
        println!(
            "{:<34} {:>8} {:>14.2} {:>10.2}",
            format!("{name}: ladder"),
            events,
            m,
            p
        );
        h.get_by_label("Event list").click();
        h.run_steps(5);
        let (m, p) = median_frame_ms(&mut h, 60);
        println!(
            "{:<34} {:>8} {:>14.2} {:>10.2}",
            format!("{name}: event list"),
            events,
            m,
            p
        );
        h.get_by_label("Packet inspector").click();
        h.run_steps(5);
        let (m, p) = median_frame_ms(&mut h, 60);
        println!(
            "{:<34} {:>8} {:>14.2} {:>10.2}",
            format!("{name}: list + inspector"),
            events,
            m,
            p
        );
    }
    let _ = std::fs::remove_file(&long);
}
