//! `ftp-lab`: the command line. `run` and `check` a scenario.

use anyhow::Result;
use clap::{Parser, Subcommand};
use ftp_lab::export::transcript;
use ftp_lab::{Scenario, expectation_mismatches, simulate};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ftp-lab",
    version,
    about = "Simulate FTP active and passive modes through firewalls"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario: print the transcript and the outcome. Exit 0 when the outcome is the
    /// one the scenario expects, 1 when not, 2 when the file is invalid.
    Run {
        file: PathBuf,
        /// Print the whole trace as JSON instead of the transcript.
        #[arg(long)]
        json: bool,
        /// Show every hop of every packet and the TCP state changes.
        #[arg(long, short)]
        verbose: bool,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Also write the packets seen at one capture point to this pcap file.
        #[arg(long, value_name = "OUT.pcap")]
        pcap: Option<PathBuf>,
        /// The capture point for --pcap: `client`, `server`, or a node's name (a firewall).
        #[arg(long, default_value = "client", requires = "pcap")]
        at: String,
    },
    /// Validate a scenario without running it. Exit 0 when valid, 2 when not.
    Check { file: PathBuf },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ftp-lab: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load(file: &std::path::Path) -> Result<Scenario, ExitCode> {
    Scenario::load(file).map_err(|errs| {
        eprintln!("{errs}");
        eprintln!(
            "{} problem{} found.",
            errs.0.len(),
            if errs.0.len() == 1 { "" } else { "s" }
        );
        ExitCode::from(2)
    })
}

fn real_main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        None => {
            println!("ftp-lab: use `ftp-lab run scenarios/<name>.ron` (see `ftp-lab --help`).");
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Check { file }) => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            println!("{}: valid — {}", file.display(), s.title);
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Run { file, json, verbose, seed, pcap, at }) => {
            let mut s = match load(&file) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            if let Some(seed) = seed {
                s.seed = seed;
            }
            let trace = match simulate(&s) {
                Ok(t) => t,
                Err(problems) => {
                    for (field, msg) in problems {
                        eprintln!("{}: {field}: {msg}", file.display());
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            if let Some(out) = &pcap {
                let node = ftp_lab::export::pcap::capture_point(&trace, &at)?;
                let tmp = out.with_extension("pcap.part");
                let n = ftp_lab::export::pcap::write(&trace, node, std::io::BufWriter::new(std::fs::File::create(&tmp)?))?;
                std::fs::rename(&tmp, out)?;
                eprintln!("wrote {n} packets seen at {} to {}", trace.node_name(node), out.display());
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&trace)?);
            } else {
                print!(
                    "{}",
                    transcript::render(&trace, transcript::Options { verbose })
                );
            }
            let mismatches = expectation_mismatches(&s.expect, &trace.outcome);
            if mismatches.is_empty() {
                if !json {
                    println!("As expected by the scenario.");
                }
                Ok(ExitCode::SUCCESS)
            } else {
                for m in &mismatches {
                    eprintln!("NOT as expected: {m}");
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}
