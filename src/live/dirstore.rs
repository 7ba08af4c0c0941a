//! A directory served by `ftp-lab serve`, confined to its root: paths are normalised (no `..`
//! above `/`), and any path whose real location (symlinks followed) lies outside the root is
//! refused as if it did not exist.

use crate::ftp::store::{Entry, FileStore, StoreError};
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

    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        let p = self.real(path)?;
        if !p.is_file() {
            return Err(StoreError::NotFound);
        }
        std::fs::read(p).map_err(|e| StoreError::Io(e.to_string()))
    }

    fn write(&mut self, path: &str, data: &[u8]) -> Result<(), StoreError> {
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
        let tmp = parent.join(format!(".{}.ftp-lab-upload", name.to_string_lossy()));
        std::fs::write(&tmp, data).map_err(|e| StoreError::Io(e.to_string()))?;
        std::fs::rename(&tmp, &target).map_err(|e| StoreError::Io(e.to_string()))
    }
}
