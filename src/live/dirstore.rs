//! A directory served by `ftp-lab serve`, confined to its root: paths are normalised (no `..`
//! above `/`), and any path whose real location (symlinks followed) lies outside the root is
//! refused as if it did not exist.
//!
//! Downloads stream from the open file. An upload goes to a file with no name at all
//! (`O_TMPFILE` in the target's directory): nobody can list, read or write it while it is in
//! progress, and it vanishes if the server is killed. Only when the transfer ends well is it
//! given a random name (`linkat`) and renamed over the target at once; otherwise it is
//! dropped and the old file stays. On a file system without `O_TMPFILE` the upload goes to a
//! new file with a random name (create-new, so a planted symlink is never followed). Either
//! way such names (`.ftp-lab-upload.*`) are never listed, refused to every command, and
//! removed when the server starts.

use crate::ftp::store::{Entry, FileStore, Source, StoreError, Upload};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct DirStore {
    root: PathBuf,
    read_only: bool,
}

/// The start of a temporary upload's name.
const TEMP_PREFIX: &str = ".ftp-lab-upload.";

fn is_temp(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(TEMP_PREFIX.as_bytes())
}

/// Most directory entries looked at when cleaning up at start.
const CLEAN_LIMIT: usize = 200_000;

impl DirStore {
    /// One session's view of the root.
    pub fn new(root: &Path, read_only: bool) -> std::io::Result<DirStore> {
        Ok(DirStore {
            root: root.canonicalize()?,
            read_only,
        })
    }

    /// Once, when the server starts (never while sessions run: it would take another
    /// session's upload between its naming and its rename): removes the temporary uploads an
    /// earlier server left when it was killed mid-transfer.
    pub fn clean_up(&self) {
        if !self.read_only {
            remove_temps(&self.root);
        }
    }

    /// The real path for an FTP path, if it stays inside the root and names no temporary
    /// upload.
    fn real(&self, path: &str) -> Result<PathBuf, StoreError> {
        let rel = path.trim_start_matches('/');
        if Path::new(rel).components().any(|c| is_temp(c.as_os_str())) {
            return Err(StoreError::NotFound);
        }
        let p = self.root.join(rel);
        match p.canonicalize() {
            Ok(c) if c.starts_with(&self.root) => Ok(c),
            Ok(_) => Err(StoreError::Denied),
            Err(_) => Err(StoreError::NotFound),
        }
    }
}

impl FileStore for DirStore {
    fn is_dir(&self, path: &str) -> bool {
        self.real(path).is_ok_and(|p| p.is_dir())
    }

    fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        let p = self.real(path)?;
        if p.is_file() {
            let size = p.metadata().map(|m| m.len()).unwrap_or(0);
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok(vec![Entry {
                name,
                is_dir: false,
                size,
            }]);
        }
        let mut out = Vec::new();
        for e in std::fs::read_dir(&p)
            .map_err(|e| StoreError::Io(e.to_string()))?
            .flatten()
        {
            // Temporary uploads and entries that lead outside the root are not shown.
            if is_temp(&e.file_name()) {
                continue;
            }
            let Ok(real) = e.path().canonicalize() else {
                continue;
            };
            if !real.starts_with(&self.root) {
                continue;
            }
            let md = real.metadata().map_err(|e| StoreError::Io(e.to_string()))?;
            out.push(Entry {
                name: e.file_name().to_string_lossy().into_owned(),
                is_dir: md.is_dir(),
                size: md.len(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn open_read(&self, path: &str) -> Result<(u64, Source), StoreError> {
        let p = self.real(path)?;
        if !p.is_file() {
            return Err(StoreError::NotFound);
        }
        let f = File::open(p).map_err(|e| StoreError::Io(e.to_string()))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        Ok((len, Box::new(f)))
    }

    fn open_write(&mut self, path: &str) -> Result<Box<dyn Upload>, StoreError> {
        if self.read_only {
            return Err(StoreError::Denied);
        }
        let rel = path.trim_start_matches('/');
        let target = self.root.join(rel);
        let parent = target.parent().ok_or(StoreError::Denied)?;
        let parent = parent.canonicalize().map_err(|_| StoreError::NotFound)?;
        if !parent.starts_with(&self.root) {
            return Err(StoreError::Denied);
        }
        let name = target.file_name().ok_or(StoreError::Denied)?;
        if is_temp(name) {
            return Err(StoreError::Denied);
        }
        let target = parent.join(name);
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink() || m.is_dir())
        {
            return Err(StoreError::Denied);
        }
        if let Ok(fd) = rustix::fs::open(
            &parent,
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::TMPFILE | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::from_raw_mode(0o644),
        ) {
            return Ok(Box::new(DirUpload {
                file: Some(File::from(fd)),
                tmp: None,
                dir: parent,
                target,
            }));
        }
        let (tmp, file) = create_temp(&parent)?;
        Ok(Box::new(DirUpload {
            file: Some(file),
            tmp: Some(tmp),
            dir: parent,
            target,
        }))
    }
}

/// Removes every `.ftp-lab-upload.*` below `root` (symlinks are not followed; at most
/// `CLEAN_LIMIT` entries are looked at).
fn remove_temps(root: &Path) {
    let mut dirs = vec![root.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            seen += 1;
            if seen > CLEAN_LIMIT {
                return;
            }
            let Ok(t) = e.file_type() else { continue };
            if is_temp(&e.file_name()) && !t.is_dir() {
                let _ = std::fs::remove_file(e.path());
            } else if t.is_dir() {
                dirs.push(e.path());
            }
        }
    }
}

/// A name no file in `dir` has yet: `.ftp-lab-upload.<random>`.
fn temp_name(dir: &Path, attempt: u64) -> PathBuf {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(attempt);
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    dir.join(format!("{TEMP_PREFIX}{:016x}", h.finish()))
}

/// A new file in `dir` with a random name, created with create-new (O_CREAT|O_EXCL: fails on
/// any existing name, a symlink included, and never follows one).
fn create_temp(dir: &Path) -> Result<(PathBuf, File), StoreError> {
    for attempt in 0..16u64 {
        let tmp = temp_name(dir, attempt);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::Io(e.to_string())),
        }
    }
    Err(StoreError::Io("no free temporary file name".to_owned()))
}

/// Gives the unnamed file `f` a fresh temporary name in `dir` (linkat of /proc/self/fd/N).
fn link_unnamed(f: &File, dir: &Path) -> Result<PathBuf, StoreError> {
    use std::os::fd::AsRawFd;
    let from = format!("/proc/self/fd/{}", f.as_raw_fd());
    for attempt in 0..16u64 {
        let to = temp_name(dir, attempt);
        match rustix::fs::linkat(
            rustix::fs::CWD,
            from.as_str(),
            rustix::fs::CWD,
            &to,
            rustix::fs::AtFlags::SYMLINK_FOLLOW,
        ) {
            Ok(()) => return Ok(to),
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(StoreError::Io(e.to_string())),
        }
    }
    Err(StoreError::Io("no free temporary file name".to_owned()))
}

struct DirUpload {
    file: Option<File>,
    /// Its name while in progress (`None`: it has none, `O_TMPFILE`).
    tmp: Option<PathBuf>,
    dir: PathBuf,
    target: PathBuf,
}

impl Upload for DirUpload {
    fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let f = self.file.as_mut().ok_or(StoreError::Denied)?;
        f.write_all(bytes)
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let f = self.file.take().ok_or(StoreError::Denied)?;
        if self.tmp.is_none() {
            self.tmp = Some(link_unnamed(&f, &self.dir)?);
        }
        // Closed before the rename (no fsync, as vsftpd: the rename makes it appear whole).
        drop(f);
        let tmp = self.tmp.take().ok_or(StoreError::Denied)?;
        if let Err(e) = std::fs::rename(&tmp, &self.target) {
            let _ = std::fs::remove_file(&tmp);
            return Err(StoreError::Io(e.to_string()));
        }
        Ok(())
    }
}

impl Drop for DirUpload {
    fn drop(&mut self) {
        if let Some(tmp) = &self.tmp {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
