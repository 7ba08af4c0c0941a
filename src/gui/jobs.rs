//! Work that can take a while (simulating a large lesson, explaining a large capture) runs
//! away from the screen, so the window never freezes: the last good run stays on screen, a
//! bar says what is being done and offers Cancel. Work that ends within `WAIT` (every shipped
//! lesson, in well under a millisecond) is finished before the frame ends, as if it had been
//! done in place.

use super::{CaptureView, Run};
use crate::scenario::QuestionSpec;
use crate::{Scenario, Trace};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long a frame waits for work before showing it as going on.
const WAIT: Duration = Duration::from_millis(150);

/// What finished work hands back.
pub enum Done {
    /// A lesson's run, or its problems.
    Simulated(Result<Run, Vec<(String, String)>>),
    /// A capture explained, or why not.
    Explained(Result<(Run, CaptureView), String>, PathBuf),
    /// Cancelled: nothing to show.
    Stopped,
}

/// What Cancel puts back.
pub enum Undo {
    /// The edit that asked for the run is undone.
    Edit,
    /// The document that was open before comes back.
    Open(Box<super::Document>),
    /// Nothing changed before the work started (a capture being read).
    Nothing,
}

/// Work going on.
pub struct Job {
    /// "Simulating the edited lesson", "Reading capture.pcapng".
    pub what: String,
    pub since: Instant,
    pub undo: Undo,
    /// Frames read so far (a capture), for the bar.
    pub progress: Arc<AtomicU64>,
    /// Whether the result replaces the playback (a new lesson) or carries it over (an edit).
    pub fresh: bool,
    stop: Arc<AtomicBool>,
    rx: Receiver<Done>,
}

impl Job {
    /// Starts `work` on a thread of its own; returns the job, and its result if it came within
    /// `WAIT`.
    fn start(
        what: String,
        undo: Undo,
        fresh: bool,
        work: impl FnOnce(&AtomicBool, &AtomicU64) -> Done + Send + 'static,
    ) -> (Job, Option<Done>) {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), progress.clone());
        std::thread::spawn(move || {
            let _ = tx.send(work(&s, &p));
        });
        let done = match rx.recv_timeout(WAIT) {
            Ok(d) => Some(d),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Done::Stopped),
        };
        let job = Job {
            what,
            since: Instant::now(),
            undo,
            progress,
            fresh,
            stop,
            rx,
        };
        (job, done)
    }

    /// A lesson simulated (an edit: `fresh` false, its expectation dropped when the edit made
    /// it stale).
    pub fn simulate(s: &Scenario, undo: Undo, fresh: bool) -> (Job, Option<Done>) {
        let s = s.clone();
        let what = if fresh {
            format!("Simulating “{}”", crate::text::printable(&s.title))
        } else {
            "Simulating the edited lesson".to_owned()
        };
        Job::start(what, undo, fresh, move |stop, _| simulated(&s, stop))
    }

    /// A capture explained.
    pub fn explain(path: &Path) -> (Job, Option<Done>) {
        let p = path.to_path_buf();
        let name = p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let what = format!("Reading {}", crate::text::printable(&name));
        Job::start(what, Undo::Nothing, true, move |stop, progress| {
            explained(&p, name, stop, progress)
        })
    }

    /// Its result, if it has come.
    pub fn poll(&self) -> Option<Done> {
        match self.rx.try_recv() {
            Ok(d) => Some(d),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(Done::Stopped),
        }
    }

    /// Asks the work to stop (it ends soon after; its result is not shown).
    pub fn cancel(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn simulated(s: &Scenario, stop: &AtomicBool) -> Done {
    let run = |s: &Scenario| -> Result<Option<Trace>, Vec<(String, String)>> {
        s.resolve().map(|net| crate::sim::run_until(&net, stop))
    };
    let result = match run(s) {
        // An edit can leave the expectation naming a rule that is gone: the network still
        // runs, so then it runs without it.
        Err(p) if Scenario::only_expectation(&p) => run(&s.without_expectation()),
        r => r,
    };
    match result {
        Ok(Some(t)) => Done::Simulated(Ok(Run::new(t, &s.questions))),
        Ok(None) => Done::Stopped,
        Err(p) => Done::Simulated(Err(p)),
    }
}

fn explained(p: &Path, name: String, stop: &AtomicBool, progress: &AtomicU64) -> Done {
    let result = explain_stoppable(p, stop, progress).map(|x| {
        let view = CaptureView {
            name,
            stats: x.stats,
            vantage: x.vantage,
        };
        (Run::new(x.trace, &[] as &[QuestionSpec]), view)
    });
    if stop.load(Ordering::Relaxed) {
        return Done::Stopped;
    }
    Done::Explained(result, p.to_path_buf())
}

/// `explain_file`, reading through a reader that ends the file when `stop` is set.
fn explain_stoppable(
    p: &Path,
    stop: &AtomicBool,
    progress: &AtomicU64,
) -> Result<crate::capture::Explained, String> {
    // The same checks as explain_file (a regular file, not too large), then our reader.
    let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
    if !meta.is_file() || meta.len() > crate::capture::MAX_FILE {
        return crate::capture::explain_file(p, |_| {});
    }
    let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let name = p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let r = Stoppable { inner: f, stop };
    crate::capture::explain_reader(std::io::BufReader::with_capacity(1 << 20, r), &name, |n| {
        progress.store(n, Ordering::Relaxed)
    })
    .map_err(|e| format!("{}: {e}", p.display()))
}

/// A reader that ends (an error) once `stop` is set.
struct Stoppable<'a, R> {
    inner: R,
    stop: &'a AtomicBool,
}

impl<R: Read> Read for Stoppable<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("cancelled"));
        }
        self.inner.read(buf)
    }
}
