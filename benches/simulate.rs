//! How long one whole re-simulation of each shipped scenario takes (what the GUI pays on every
//! edit). Prints the median and the spread over repeated runs; `cargo bench --bench simulate`.

use ftp_lab::{Scenario, simulate};
use std::time::Instant;

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    println!(
        "{:<40} {:>8} {:>8} {:>12} {:>12} {:>12}",
        "scenario", "packets", "events", "median µs", "p10 µs", "p90 µs"
    );
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "ron"))
    {
        let s = Scenario::load(f).expect("valid scenario");
        let t = simulate(&s).expect("runs");
        let runs = 200;
        let mut us: Vec<f64> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let t = simulate(&s).expect("runs");
                std::hint::black_box(&t);
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        us.sort_by(f64::total_cmp);
        let name = f.file_stem().unwrap_or_default().to_string_lossy();
        println!(
            "{:<40} {:>8} {:>8} {:>12.1} {:>12.1} {:>12.1}",
            name,
            t.packets.len(),
            t.events.len(),
            us[runs / 2],
            us[runs / 10],
            us[runs * 9 / 10]
        );
    }
}
