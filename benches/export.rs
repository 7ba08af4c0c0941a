#![allow(clippy::unwrap_used)]
//! `ftp-lab export` on a long run: a 900 KB file downloaded four times in passive mode
//! (about 21,000 events). Side by side in one run: the simulation itself, the window's
//! derived model (`Run::new`), the SVG picture, the PNG drawn from it and the HTML handout;
//! medians of 21 runs, and the sizes. `cargo bench --bench export`.

use ftp_lab::export::files::{self, Opened};
use ftp_lab::export::picture::{self, View};
use ftp_lab::gui::Run;
use std::time::Instant;

fn median(mut f: impl FnMut()) -> f64 {
    let mut ms: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let text = std::fs::read_to_string(dir.join("passive-open.ron")).unwrap();
    let body = "FTP Lab bulk data. ".repeat(900_000 / 19);
    let get = "Get(\"big.bin\"), ".repeat(4);
    let text = text
        .replace(
            "files: {\"readme.txt\"",
            &format!("files: {{\"big.bin\": \"{body}\", \"readme.txt\""),
        )
        .replace("Ls, Quit]", &format!("{get}Quit]"));
    let s = ftp_lab::Scenario::parse(&text, "big.ron").unwrap();
    let t = ftp_lab::simulate(&s).unwrap();
    let run = Run::new(t.clone(), &s.questions);
    let end = run.trace.events.len() - 1;
    let o = Opened::Lesson(Box::new(s.clone()));
    let svg = files::svg(&run, View::Both, end, false);
    let png = picture::png(&svg, 2.0).unwrap();
    let html = files::html(&o, &run, "big.ron");
    println!(
        "{} events, {} packets; SVG {} B, PNG {} B, HTML {} B",
        run.trace.events.len(),
        run.journeys.list.len(),
        svg.len(),
        png.len(),
        html.len()
    );
    let rows = [
        (
            "simulate",
            median(|| drop(std::hint::black_box(ftp_lab::simulate(&s).unwrap()))),
        ),
        (
            "Run::new (the window's model)",
            median(|| drop(std::hint::black_box(Run::new(t.clone(), &s.questions)))),
        ),
        (
            "SVG (ladder and network)",
            median(|| {
                drop(std::hint::black_box(files::svg(
                    &run,
                    View::Both,
                    end,
                    false,
                )))
            }),
        ),
        (
            "PNG (the SVG rendered, 2x)",
            median(|| drop(std::hint::black_box(picture::png(&svg, 2.0).unwrap()))),
        ),
        (
            "HTML handout",
            median(|| drop(std::hint::black_box(files::html(&o, &run, "big.ron")))),
        ),
    ];
    println!("{:<34} {:>10} {:>12}", "step", "median ms", "vs simulate");
    for (name, ms) in rows {
        println!("{name:<34} {ms:>10.2} {:>11.2}x", ms / rows[0].1);
    }
}
