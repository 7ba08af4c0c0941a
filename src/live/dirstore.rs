//! A directory served by `ftp-lab serve`, confined to its root: paths are normalised (no `..`
//! above `/`), and any path whose real location (symlinks followed) lies outside the root is
//! refused as if it did not exist.
//!
//! Downloads stream from the open file. An upload goes to a new temporary file beside its
//! target, created with create-new semantics (so a planted symlink or file of that name is
//! never followed or reused) under a random name, and is renamed over the target only when the
//! transfer ends well; otherwise the temporary file is removed and the old file stays.

use crate::ftp::store::{Entry, FileStore, Source, StoreError, Upload};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct DirStore {
    root: PathBuf,
    read_only: bool,
}

impl DirStore {
    pub fn new(root: &Path, read_only: bool) -> std::io::Result<DirStore> {
        Ok(DirStore {
            root: root.canonicalize()?,
            read_only,
        })
    }

    /// The real path for an FTP path, if it stays inside the root.
    fn real(&self, path: &str) -> Result<PathBuf, StoreError> {
        let rel = path.trim_start_matches('/');
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
            // Entries that lead outside the root are not shown.
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
        let target = parent.join(name);
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink() || m.is_dir())
        {
            return Err(StoreError::Denied);
        }
        let (tmp, file) = create_temp(&parent)?;
        Ok(Box::new(DirUpload {
            file: Some(file),
            tmp,
            target,
        }))
    }
}

/// A new file in `dir` with a random name, created with create-new (O_CREAT|O_EXCL: fails on
/// any existing name, a symlink included, and never follows one).
fn create_temp(dir: &Path) -> Result<(PathBuf, File), StoreError> {
    use std::hash::{BuildHasher, Hasher};
    for attempt in 0..16u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(attempt);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let tmp = dir.join(format!(".ftp-lab-upload.{:016x}", h.finish()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StoreError::Io(e.to_string())),
        }
    }
    Err(StoreError::Io("no free temporary file name".to_owned()))
}

struct DirUpload {
    file: Option<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl Upload for DirUpload {
    fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        let f = self.file.as_mut().ok_or(StoreError::Denied)?;
        f.write_all(bytes)
            .map_err(|e| StoreError::Io(e.to_string()))
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        // Closed before the rename (no fsync, as vsftpd: the rename makes it appear whole).
        drop(self.file.take().ok_or(StoreError::Denied)?);
        std::fs::rename(&self.tmp, &self.target).map_err(|e| StoreError::Io(e.to_string()))?;
        self.tmp = PathBuf::new();
        Ok(())
    }
}

impl Drop for DirUpload {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
