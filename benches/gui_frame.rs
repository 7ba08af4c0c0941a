//! How long one frame of the window takes to build (layout and tessellation, no GPU), on the
//! default lesson and on a long run (a 3 MB download: over 10,000 events), with the ladder and
//! the event list in view. The ladder and the table draw only their visible rows, so a long
//! trace should cost about as much per frame as a short one. Measured on a 1024×768 projector
//! and a 1920×1080 monitor, in normal and presentation mode. `cargo bench --bench gui_frame`.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ftp_lab::Scenario;
use ftp_lab::gui::{Document, FtpLabApp};
use ftp_lab::scenario::{ActionSpec, NodeSpec};
use std::path::Path;
use std::time::Instant;

fn median_frame_ms(h: &mut Harness<'_, FtpLabApp>, frames: usize) -> (f64, f64) {
    let mut ms: Vec<f64> = (0..frames)
        .map(|k| {
            // A moved pointer forces a real frame each time, as a hovering mouse would.
            h.hover_at(eframe::egui::pos2(500.0 + (k % 2) as f32, 500.0));
            let t = Instant::now();
            h.step();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[frames / 2], ms[frames * 9 / 10])
}

fn harness(doc: &Document, size: (f32, f32)) -> Harness<'static, FtpLabApp> {
    let mut app = FtpLabApp::new(None);
    app.open_document(doc.clone());
    let mut h = Harness::builder()
        .with_size([size.0, size.1])
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
    // Built in memory: as a file it would be over the loader's 1 MiB limit.
    let doc = |name: &str, s: Scenario| Document::new(None, name.to_owned(), s);
    let default = doc("default", Scenario::load(&default).expect("loads"));
    let long = doc("long", s);

    println!(
        "{:<52} {:>8} {:>10} {:>8}",
        "view", "events", "median ms", "p90 ms"
    );
    let row = |what: String, events: usize, (m, p): (f64, f64)| {
        println!("{what:<52} {events:>8} {m:>10.2} {p:>8.2}");
    };
    for size in [(1024.0, 768.0), (1920.0, 1080.0)] {
        for presentation in [false, true] {
            for (name, path) in [("default lesson", &default), ("3 MB download", &long)] {
                let mut h = harness(path, size);
                assert!(h.state().problems.is_empty(), "{:?}", h.state().problems);
                if presentation {
                    h.state_mut().toggle_presentation();
                    h.run_steps(5);
                }
                let look = if presentation {
                    "presentation"
                } else {
                    "normal"
                };
                let what = |view: &str| format!("{}×{} {look} {name}: {view}", size.0, size.1);
                let events = h.state().trace().events.len();
                // The cursor in the middle of the run.
                let mid = events / 2;
                h.state_mut()
                    .apply(ftp_lab::gui::model::Command::SeekEvent(mid));
                h.run_steps(5);
                row(what("ladder"), events, median_frame_ms(&mut h, 60));
                h.get_by_label("Event list").click();
                h.run_steps(5);
                row(what("event list"), events, median_frame_ms(&mut h, 60));
                h.get_by_label("Packet inspector").click();
                h.run_steps(5);
                row(
                    what("list + inspector"),
                    events,
                    median_frame_ms(&mut h, 60),
                );
            }
        }
    }
}
