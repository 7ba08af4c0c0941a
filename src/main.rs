//! `ftp-lab`: with no arguments (or a scenario file) it opens the window; `run` and `check` a
//! scenario headless; `serve` and `probe` use the same FTP code over real sockets.

#![warn(clippy::too_many_lines)]

/// `println!`, with every control character of what it prints escaped (the text may come from
/// a file or the network).
macro_rules! say {
    ($($t:tt)*) => {
        println!("{}", ftp_lab::text::printable_lines(&format!($($t)*)))
    };
}

/// `eprintln!`, escaped the same way.
macro_rules! warn {
    ($($t:tt)*) => {
        eprintln!("{}", ftp_lab::text::printable_lines(&format!($($t)*)))
    };
}

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use ftp_lab::export::transcript;
use ftp_lab::{Scenario, expectation_mismatches, simulate};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "ftp-lab",
    version,
    about = "Simulate FTP active and passive modes through firewalls",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// A scenario to open in the window (default: the last one, or active mode through a
    /// client firewall that drops inbound connections).
    file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario: print the transcript and the outcome. Exit 0 when the outcome is the
    /// one the scenario expects, 1 when not, 2 when the file is invalid.
    Run(RunArgs),
    /// Validate a scenario without running it. Exit 0 when valid, 2 when not.
    Check { file: PathBuf },
    /// Grade students' answers to an exercise: each goal and constraint, why, a score. Exit 0
    /// when every answer passes, 1 when one fails, 2 when a file cannot be read.
    Grade(GradeArgs),
    /// Explain a real capture (pcap or pcapng): the transcript as `run` prints it, then what
    /// failed and where. Exit 0 when every transfer worked, 1 when one failed, 2 when the file
    /// cannot be read.
    Explain {
        file: PathBuf,
        /// Print the whole trace as JSON instead of the transcript.
        #[arg(long)]
        json: bool,
        /// Show every hop of every packet.
        #[arg(long, short)]
        verbose: bool,
        /// Also write the report as a handout any browser opens, for sending to a colleague.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
    },
    /// Export a lesson, an exercise or a capture: pictures for slides (SVG, PNG) or a
    /// handout any browser opens (HTML; an exercise becomes a worksheet). Exit 0 when
    /// written, 2 when a file cannot be read or written.
    Export(ExportArgs),
    /// Serve a directory with FTP Lab's FTP server over real sockets (for your own clients).
    Serve(ServeArgs),
    /// Try a real FTP server in active and/or passive mode, and say which works and why.
    /// Exit 0 when every mode tried works, 1 when one fails, 2 when the server is unreachable.
    Probe {
        /// ftp://[user[:pass]@]host[:port][/path]
        url: String,
        #[arg(long, default_value = "both", value_parser = ["active", "passive", "both"])]
        mode: String,
        /// Seconds to wait for each connection and reply (1 to 3600).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
        timeout: u64,
    },
}

#[derive(Args)]
struct RunArgs {
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
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("out").required(true).multiple(true).args(["svg", "png", "html"])))]
struct ExportArgs {
    /// A lesson (.ron), an exercise (.ron) or a capture (.pcap, .pcapng).
    file: PathBuf,
    /// Write the picture as SVG (text as text, for slides and documents).
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
    /// Write the same picture as PNG (drawn from the SVG, twice the size, for a projector).
    #[arg(long, value_name = "OUT.png")]
    png: Option<PathBuf>,
    /// Write the handout (an exercise: the worksheet) as one self-contained HTML file.
    #[arg(long, value_name = "OUT.html")]
    html: Option<PathBuf>,
    /// What the picture shows.
    #[arg(long, value_enum, default_value = "both")]
    view: ftp_lab::export::picture::View,
    /// The moment the picture shows: end, start, event:N or step:N (1 to 4).
    #[arg(long, default_value = "end")]
    at: String,
    /// The window's look: normal, or presentation (for the back row: larger text, the
    /// lesson's title on top, 14 ladder rows around the moment).
    #[arg(long, default_value = "normal", value_parser = ["normal", "presentation"])]
    look: String,
    /// At most N rows of the ladder, around the moment (0: every row). Default: every row,
    /// 14 in the presentation look. --at, --look and --rows shape the pictures only.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100000))]
    rows: Option<u32>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct GradeArgs {
    exercise: PathBuf,
    answers: Vec<PathBuf>,
    /// Grade every .ron file in this folder too.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Print the grades as JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the grades as CSV, one line per answer, for a gradebook.
    #[arg(long)]
    csv: bool,
}

#[derive(Args)]
struct ServeArgs {
    /// The directory to serve (nothing outside it is ever read or written).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Address and port to listen on (ports below 1024, such as 21, need root).
    #[arg(long, default_value = "127.0.0.1:2121")]
    listen: std::net::SocketAddrV4,
    /// Passive port range, e.g. 10001-10005.
    #[arg(long, default_value = "1024-65535")]
    pasv_range: ftp_lab::ports::PortRange,
    /// Active-mode source port: a number (20 needs root) or `any` for an ephemeral port.
    #[arg(long, default_value = "any")]
    active_port: String,
    /// A named account, NAME:PASS (repeatable). Anonymous login is always allowed.
    #[arg(long)]
    user: Vec<String>,
    /// Refuse all uploads.
    #[arg(long)]
    read_only: bool,
    /// Let anonymous users upload (vsftpd's anon_upload_enable; off by default).
    #[arg(long)]
    anon_upload: bool,
    /// Seconds to wait for a data connection (vsftpd's connect/accept timeout).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Seconds without a command before a session is closed (vsftpd's idle_session_timeout).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    idle_timeout: u64,
    /// Seconds a transfer may move no data before it is ended (data_connection_timeout).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86400))]
    data_timeout: u64,
    /// Sessions at once (vsftpd's max_clients).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=100000))]
    max_clients: u64,
    /// Sessions at once from one address (vsftpd's max_per_ip).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100000))]
    max_per_ip: u64,
    /// Seconds a wrong password waits for its 530 (vsftpd's delay_failed_login).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    delay_failed_login: u64,
    /// Failed logins after which a session is closed (vsftpd's max_login_fails; 0 = never).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=1000))]
    max_login_fails: u32,
}

/// Writes to standard output and flushes, so a full disk or a closed pipe is an error (exit 2
/// with a message), not a silent success.
/// Writes to standard output, every control character escaped but the line breaks: whatever
/// a file or a capture held cannot drive the terminal.
fn write_stdout(text: &str) -> Result<()> {
    let text = ftp_lab::text::printable_lines(text);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::anyhow!("writing to standard output: {e}"))
}

/// Writes the capture to a temporary file beside `out`, flushed and synced, then renames it:
/// a full disk leaves no half capture and reports the error.
fn write_pcap(
    trace: &ftp_lab::Trace,
    node: ftp_lab::ids::NodeId,
    out: &std::path::Path,
) -> Result<usize> {
    if out.metadata().is_ok_and(|m| !m.is_file()) {
        // A device or a pipe (`/dev/stdout`, a FIFO): write straight to it.
        let mut w = std::io::BufWriter::new(std::fs::OpenOptions::new().write(true).open(out)?);
        let n = ftp_lab::export::pcap::write(trace, node, &mut w)?;
        w.flush()?;
        return Ok(n);
    }
    let tmp = out.with_extension("pcap.part");
    let result = (|| -> Result<usize> {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        let n = ftp_lab::export::pcap::write(trace, node, &mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        Ok(n)
    })();
    match result {
        Ok(n) => {
            std::fs::rename(&tmp, out)?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `bytes` to a temporary file beside `out`, synced, then renames it (a full disk
/// leaves no half file); a device or a pipe is written straight.
fn write_file(out: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if out.metadata().is_ok_and(|m| !m.is_file()) {
        let mut f = std::fs::OpenOptions::new().write(true).open(out)?;
        f.write_all(bytes)?;
        return Ok(f.flush()?);
    }
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let result = (|| -> Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        Ok(())
    })();
    match result.and_then(|()| Ok(std::fs::rename(&tmp, out)?)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Whether two paths name one file (the same path, or the same file once resolved).
fn same_file(x: &std::path::Path, y: &std::path::Path) -> bool {
    x == y || matches!((x.canonicalize(), y.canonicalize()), (Ok(p), Ok(q)) if p == q)
}

/// Two outputs to one file, or an output over the file read: refused before anything is
/// written (`--html lesson.ron` would replace the lesson).
fn clashing_outputs(a: &ExportArgs) -> Option<String> {
    let outs: Vec<&PathBuf> = [&a.svg, &a.png, &a.html].into_iter().flatten().collect();
    for (i, o) in outs.iter().enumerate() {
        if same_file(o, &a.file) {
            return Some(format!(
                "{} is the file being exported: choose another name",
                o.display()
            ));
        }
        if outs[..i].iter().any(|p| same_file(p, o)) {
            return Some(format!(
                "{} is asked for twice: give each output its own file",
                o.display()
            ));
        }
    }
    None
}

/// `ftp-lab export`.
fn export(a: &ExportArgs) -> Result<ExitCode> {
    use ftp_lab::export::files;
    let fail = |e: String| {
        warn!("ftp-lab export: {e}");
        Ok(ExitCode::from(2))
    };
    let opened = match files::open(&a.file) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let run = match files::run_of(&opened, a.seed) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", a.file.display())),
    };
    let cursor = match files::cursor(&run, &a.at) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if let Some(e) = clashing_outputs(a) {
        return fail(e);
    }
    let presentation = a.look == "presentation";
    let rows = match a.rows {
        Some(0) => None,
        Some(n) => Some(n as usize),
        None => files::default_rows(presentation),
    };
    let svg = files::svg_rows(&run, a.view, cursor, presentation, rows);
    let mut outputs: Vec<(&PathBuf, Vec<u8>)> = Vec::new();
    if let Some(p) = &a.svg {
        outputs.push((p, svg.clone().into_bytes()));
    }
    if let Some(p) = &a.png {
        match ftp_lab::export::picture::png(&svg, 2.0) {
            Ok(b) => outputs.push((p, b)),
            Err(e) => return fail(e),
        }
    }
    if let Some(p) = &a.html {
        let name = a
            .file
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        outputs.push((p, files::html(&opened, &run, &name).into_bytes()));
    }
    for (p, bytes) in outputs {
        if let Err(e) = write_file(p, &bytes) {
            return fail(format!("writing {}: {e}", p.display()));
        }
        warn!("wrote {} ({} bytes)", p.display(), bytes.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `ftp-lab grade`.
fn grade(
    exercise: &std::path::Path,
    mut answers: Vec<PathBuf>,
    dir: Option<PathBuf>,
    json: bool,
    csv: bool,
) -> Result<ExitCode> {
    let ex = match ftp_lab::exercise::Exercise::load(exercise) {
        Ok(x) => x,
        Err(e) => {
            warn!("ftp-lab grade: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(d) = dir {
        let mut found: Vec<PathBuf> = match std::fs::read_dir(&d) {
            Ok(r) => r
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron") && p.is_file())
                .collect(),
            Err(e) => {
                warn!("ftp-lab grade: {}: {e}", d.display());
                return Ok(ExitCode::from(2));
            }
        };
        found.sort();
        answers.extend(found);
    }
    if answers.is_empty() {
        warn!("ftp-lab grade: no answers given (name files, or --dir FOLDER)");
        return Ok(ExitCode::from(2));
    }
    let mut grades = Vec::new();
    let mut unreadable = false;
    for a in &answers {
        let name = a.display().to_string();
        match Scenario::load(a) {
            Ok(s) => grades.push(ex.grade(&s, &name)),
            Err(e) => {
                warn!("{e}");
                unreadable = true;
                grades.push(ftp_lab::exercise::Grade {
                    exercise: ex.id.clone(),
                    answer: name,
                    refused: Some("the file cannot be read as a scenario".to_owned()),
                    checks: Vec::new(),
                });
            }
        }
    }
    let text = if json {
        serde_json::to_string_pretty(&grades)? + "\n"
    } else if csv {
        ftp_lab::exercise::csv(&ex, &grades)
    } else {
        ftp_lab::exercise::table(&ex, &grades)
    };
    write_stdout(&text)?;
    Ok(if unreadable {
        ExitCode::from(2)
    } else if grades.iter().all(ftp_lab::exercise::Grade::passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `ftp-lab explain`: a progress bar on stderr once reading takes more than a second.
fn explain(
    file: &std::path::Path,
    json: bool,
    verbose: bool,
    html: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::hidden();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} reading {pos} frames ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let progress = |frames: u64| {
        if bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_position(frames);
    };
    let explained = match ftp_lab::capture::explain_file(file, progress) {
        Ok(x) => x,
        Err(e) => {
            bar.finish_and_clear();
            warn!("ftp-lab explain: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    bar.finish_and_clear();
    if let Some(out) = html
        && same_file(out, file)
    {
        warn!(
            "ftp-lab explain: {} is the capture being explained: choose another name",
            out.display()
        );
        return Ok(ExitCode::from(2));
    }
    if let Some(out) = html {
        let name = file
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let opened = ftp_lab::export::files::Opened::Capture(Box::new(explained));
        let run = ftp_lab::export::files::run_of(&opened, None).map_err(anyhow::Error::msg)?;
        let page = ftp_lab::export::files::html(&opened, &run, &name);
        write_file(out, page.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
        warn!(
            "wrote the report of {} to {}",
            file.display(),
            out.display()
        );
        // The report is the page: standard output says only how it ended.
        let o = &run.trace.outcome;
        write_stdout(&format!(
            "{} {}\n",
            if o.success {
                "It worked."
            } else {
                "It failed."
            },
            o.diagnosis
        ))?;
        return Ok(explain_code(&run.trace));
    }
    explain_text(&explained, json, verbose)
}

/// `explain`'s transcript (or JSON) and its exit code.
fn explain_text(
    explained: &ftp_lab::capture::Explained,
    json: bool,
    verbose: bool,
) -> Result<ExitCode> {
    let t = &explained.trace;
    let text = if json {
        serde_json::to_string_pretty(t)? + "\n"
    } else {
        let st = &explained.stats;
        let mut s = transcript::render(t, transcript::Options { verbose });
        s.push_str(&format!(
            "\nCapture: {} frames, {} IPv4; taken {}. Not FTP: {} packets; cut short by the snap length: {}; bad checksums (often the sender's offloading): {}.\n",
            st.frames,
            st.ipv4,
            explained.vantage.words(),
            st.not_ftp,
            st.truncated,
            st.bad_checksums
        ));
        if let Some(why) = &st.ends_early {
            s.push_str(&format!("The file ends early: {why}.\n"));
        }
        for c in &t.clients {
            for a in &c.actions {
                let mark = if a.ok { "ok  " } else { "FAIL" };
                s.push_str(&format!("  {mark} {} {}: {}\n", c.name, a.action, a.detail));
            }
        }
        s
    };
    write_stdout(&text)?;
    Ok(explain_code(t))
}

/// `explain`'s exit code: 0 every transfer worked, 1 one failed, 2 nothing FTP to explain.
fn explain_code(t: &ftp_lab::Trace) -> ExitCode {
    match (t.outcome.success, &t.outcome.mechanism) {
        // Nothing to explain: the file is not what explain reads.
        (_, Some(ftp_lab::trace::Mechanism::NoFtp)) => ExitCode::from(2),
        (true, _) => ExitCode::SUCCESS,
        (false, _) => ExitCode::from(1),
    }
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            warn!("ftp-lab: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn load(file: &std::path::Path) -> Result<Scenario, ExitCode> {
    Scenario::load(file).map_err(|errs| {
        warn!("{errs}");
        warn!(
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
        None => window(cli.file),
        Some(Cmd::Serve(a)) => serve(a),
        Some(Cmd::Probe { url, mode, timeout }) => probe(&url, &mode, timeout),
        Some(Cmd::Explain {
            file,
            json,
            verbose,
            html,
        }) => explain(&file, json, verbose, html.as_deref()),
        Some(Cmd::Export(a)) => export(&a),
        Some(Cmd::Grade(g)) => grade(&g.exercise, g.answers, g.dir, g.json, g.csv),
        Some(Cmd::Check { file }) => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            write_stdout(&format!("{}: valid — {}\n", file.display(), s.title))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Cmd::Run(r)) => run(r),
    }
}

/// No subcommand: the window, on `file` if given. A bad file is said on stderr (for a
/// terminal) and the window opens anyway, on the default lesson with the error on screen (for
/// a person who double-clicked the file). Exit 2 when the file was bad, as `check` does.
fn window(file: Option<PathBuf>) -> Result<ExitCode> {
    let mut code = ExitCode::SUCCESS;
    if let Some(f) = &file {
        if ftp_lab::gui::is_capture(f) {
            if let Err(e) = ftp_lab::capture::explain_file(f, |_| {}) {
                warn!("ftp-lab: {e}");
                code = ExitCode::from(2);
            }
        } else if ftp_lab::exercise::Exercise::load(f).is_err()
            && let Err(c) = load(f)
        {
            code = c;
        }
    }
    ftp_lab::gui::run(file).map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))?;
    Ok(code)
}

/// `ftp-lab serve`.
fn serve(a: ServeArgs) -> Result<ExitCode> {
    let active_data_port = match a.active_port.as_str() {
        "any" => None,
        p => Some(
            p.parse::<ftp_lab::ports::Port>()
                .map_err(|e| anyhow::anyhow!("--active-port takes a port or 'any': {e}"))?
                .get(),
        ),
    };
    let mut users = Vec::new();
    for u in a.user {
        let (n, p) = u
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--user takes NAME:PASS, not '{u}'"))?;
        users.push((n.to_owned(), p.to_owned()));
    }
    let cfg = ftp_lab::ftp::ServerConfig {
        control_port: a.listen.port(),
        active_data_port,
        passive_range: a.pasv_range.bounds(),
        connect_timeout: Duration::from_secs(a.timeout),
        accept_timeout: Duration::from_secs(a.timeout),
        idle_timeout: Duration::from_secs(a.idle_timeout),
        data_timeout: Duration::from_secs(a.data_timeout),
        delay_failed_login: Duration::from_secs(a.delay_failed_login),
        max_login_fails: a.max_login_fails,
        users,
        read_only: a.read_only,
        anon_upload: a.anon_upload,
        pasv_retry_of: Some(ftp_lab::scenario::ServerProfile::Pyftpdlib),
        ..ftp_lab::ftp::ServerConfig::default()
    };
    ftp_lab::live::serve::serve(ftp_lab::live::serve::ServeOptions {
        root: a.root,
        listen: a.listen,
        cfg,
        max_clients: usize::try_from(a.max_clients).unwrap_or(usize::MAX),
        max_per_ip: usize::try_from(a.max_per_ip).unwrap_or(usize::MAX),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `ftp-lab probe`.
fn probe(url: &str, mode: &str, timeout: u64) -> Result<ExitCode> {
    use ftp_lab::ftp::Mode;
    let target = match ftp_lab::live::probe::parse_url(url) {
        Ok(t) => t,
        Err(e) => {
            warn!("ftp-lab probe: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let modes = match mode {
        "active" => vec![Mode::Active],
        "passive" => vec![Mode::Passive],
        _ => vec![Mode::Passive, Mode::Active],
    };
    let mut all_work = true;
    let mut verdicts = Vec::new();
    for m in modes {
        let r = ftp_lab::live::probe::probe(&target, m, Duration::from_secs(timeout));
        let name = if m == Mode::Active {
            "active"
        } else {
            "passive"
        };
        say!("--- {name} mode ---");
        for l in &r.transcript {
            say!("  {l}");
        }
        if !r.reached {
            warn!("{}", r.verdict);
            return Ok(ExitCode::from(2));
        }
        all_work &= r.works;
        verdicts.push(r.verdict);
    }
    say!("");
    for v in verdicts {
        say!("{v}");
    }
    Ok(if all_work {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `ftp-lab run`.
fn run(r: RunArgs) -> Result<ExitCode> {
    let mut s = match load(&r.file) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Some(seed) = r.seed {
        s.seed = seed;
    }
    let trace = match simulate(&s) {
        Ok(t) => t,
        Err(problems) => {
            for (field, msg) in problems {
                warn!("{}: {field}: {msg}", r.file.display());
            }
            return Ok(ExitCode::from(2));
        }
    };
    if let Some(out) = &r.pcap {
        let node = ftp_lab::export::pcap::capture_point(&trace, &r.at)?;
        let n = write_pcap(&trace, node, out)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
        warn!(
            "wrote {n} packets seen at {} to {}",
            trace.node_name(node),
            out.display()
        );
    }
    let mismatches = expectation_mismatches(&s.expect, &trace);
    let mut text = if r.json {
        serde_json::to_string_pretty(&trace)? + "\n"
    } else {
        transcript::render(&trace, transcript::Options { verbose: r.verbose })
    };
    if !r.json && mismatches.is_empty() {
        text.push_str("As expected by the scenario.\n");
    }
    write_stdout(&text)?;
    if mismatches.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for m in &mismatches {
        warn!("NOT as expected: {m}");
    }
    Ok(ExitCode::from(1))
}
