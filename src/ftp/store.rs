//! Where the server's files live: a small trait, with an in-memory tree for the simulator.
//!
//! Paths given to a store are absolute and already normalised by `resolve` (no `.` or `..`
//! parts), so a store never sees a path that climbs out of its root. The directory-backed
//! store for `serve` adds its own check for symlinks.
//!
//! Files stream both ways: a download is a reader the server pulls from as the data
//! connection takes bytes, an upload is an `Upload` that only replaces the file when it is
//! committed (a transfer that ends early is dropped, and the old file stays).

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// One directory entry, enough for `LIST` and `NLST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
}

/// Why a store refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("no such file or directory")]
    NotFound,
    #[error("permission denied")]
    Denied,
    #[error("{0}")]
    Io(String),
}

/// What a download reads from.
pub trait SourceRead: Read + Send {
    /// The open file behind it, if there is one: a socket driver can then move the bytes
    /// with the kernel's zero-copy path (`std::io::copy` uses sendfile for file → socket).
    fn file(&mut self) -> Option<&mut std::fs::File> {
        None
    }
}

impl SourceRead for std::io::Cursor<Vec<u8>> {}

impl SourceRead for std::fs::File {
    fn file(&mut self) -> Option<&mut std::fs::File> {
        Some(self)
    }
}

/// A file (or a listing) being read for a download.
pub type Source = Box<dyn SourceRead>;

/// The server's view of its files.
pub trait FileStore {
    fn is_dir(&self, path: &str) -> bool;
    fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError>;
    /// A file's size and a reader over its bytes.
    fn open_read(&self, path: &str) -> Result<(u64, Source), StoreError>;
    /// Starts an upload to `path`. Nothing is replaced until the upload is committed.
    fn open_write(&mut self, path: &str) -> Result<Box<dyn Upload>, StoreError>;
}

/// An upload in progress. Dropping it without `commit` throws the bytes away.
pub trait Upload: Send {
    fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError>;
    /// Makes the uploaded bytes the file's contents.
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Joins `arg` to `cwd` and normalises it; `..` above the root stays at the root.
pub fn resolve(cwd: &str, arg: &str) -> String {
    let joined = if arg.starts_with('/') {
        arg.to_owned()
    } else {
        format!("{cwd}/{arg}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

type Files = BTreeMap<String, Vec<u8>>;

/// Files in memory: path → contents. Directories exist implicitly as parents of files.
/// (Shared with its uploads, which write back when committed.)
#[derive(Clone, Debug, Default)]
pub struct MemStore {
    files: Arc<Mutex<Files>>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }

    fn files(&self) -> std::sync::MutexGuard<'_, Files> {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn insert(&mut self, path: &str, data: impl Into<Vec<u8>>) {
        self.files().insert(resolve("/", path), data.into());
    }

    pub fn get(&self, path: &str) -> Option<Vec<u8>> {
        self.files().get(&resolve("/", path)).cloned()
    }
}

fn mem_is_dir(files: &Files, path: &str) -> bool {
    let prefix = if path == "/" {
        "/".to_owned()
    } else {
        format!("{path}/")
    };
    files.keys().any(|k| k.starts_with(&prefix))
}

struct MemUpload {
    files: Arc<Mutex<Files>>,
    path: String,
    buf: Vec<u8>,
}

impl Upload for MemUpload {
    fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let mut files = self
            .files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if mem_is_dir(&files, &self.path) {
            return Err(StoreError::Denied);
        }
        files.insert(self.path, self.buf);
        Ok(())
    }
}

impl FileStore for MemStore {
    fn is_dir(&self, path: &str) -> bool {
        mem_is_dir(&self.files(), path)
    }

    fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        let files = self.files();
        if let Some(data) = files.get(path) {
            let name = path.rsplit('/').next().unwrap_or(path).to_owned();
            return Ok(vec![Entry {
                name,
                is_dir: false,
                size: data.len() as u64,
            }]);
        }
        if !mem_is_dir(&files, path) && path != "/" {
            return Err(StoreError::NotFound);
        }
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeMap<String, Entry> = BTreeMap::new();
        for (k, v) in files.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    out.entry(dir.to_owned()).or_insert(Entry {
                        name: dir.to_owned(),
                        is_dir: true,
                        size: 0,
                    });
                }
                None => {
                    out.insert(
                        rest.to_owned(),
                        Entry {
                            name: rest.to_owned(),
                            is_dir: false,
                            size: v.len() as u64,
                        },
                    );
                }
            }
        }
        Ok(out.into_values().collect())
    }

    fn open_read(&self, path: &str) -> Result<(u64, Source), StoreError> {
        let data = self
            .files()
            .get(path)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        Ok((data.len() as u64, Box::new(std::io::Cursor::new(data))))
    }

    fn open_write(&mut self, path: &str) -> Result<Box<dyn Upload>, StoreError> {
        if self.is_dir(path) {
            return Err(StoreError::Denied);
        }
        Ok(Box::new(MemUpload {
            files: Arc::clone(&self.files),
            path: path.to_owned(),
            buf: Vec::new(),
        }))
    }
}

/// `LIST` output in the style of vsftpd (`ls -l`), CRLF line ends.
pub fn format_list(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| {
            let (mode, links) = if e.is_dir {
                ("drwxr-xr-x", 2)
            } else {
                ("-rw-r--r--", 1)
            };
            format!(
                "{mode} {links:>4} ftp      ftp      {:>10} Jan 01 00:00 {}\r\n",
                e.size, e.name
            )
        })
        .collect()
}

/// `NLST` output: names only.
pub fn format_nlst(entries: &[Entry]) -> String {
    entries.iter().map(|e| format!("{}\r\n", e.name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_never_climbs_out() {
        assert_eq!(resolve("/", "../../etc/passwd"), "/etc/passwd");
        assert_eq!(resolve("/pub", "a/./b/../c"), "/pub/a/c");
        assert_eq!(resolve("/pub", "/x"), "/x");
        assert_eq!(resolve("/", ".."), "/");
    }

    #[test]
    fn mem_store_lists_files_and_dirs() {
        let mut s = MemStore::new();
        s.insert("/readme.txt", "hi");
        s.insert("/pub/data.bin", vec![0u8; 10]);
        let names: Vec<_> = s
            .list("/")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.is_dir))
            .collect();
        assert_eq!(
            names,
            [("pub".to_owned(), true), ("readme.txt".to_owned(), false)]
        );
        assert!(s.is_dir("/pub"));
        assert_eq!(s.list("/nope"), Err(StoreError::NotFound));
        assert!(format_list(&s.list("/pub").unwrap()).contains("        10 Jan 01 00:00 data.bin"));
    }

    #[test]
    fn an_upload_replaces_the_file_only_when_committed() {
        let mut s = MemStore::new();
        s.insert("/a.txt", "old");
        let mut u = s.open_write("/a.txt").unwrap();
        u.write(b"new bytes").unwrap();
        drop(u);
        assert_eq!(s.get("/a.txt").unwrap(), b"old");
        let mut u = s.open_write("/a.txt").unwrap();
        u.write(b"new").unwrap();
        u.commit().unwrap();
        assert_eq!(s.get("/a.txt").unwrap(), b"new");
        let (n, mut r) = s.open_read("/a.txt").unwrap();
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        assert_eq!((n, v), (3, b"new".to_vec()));
    }
}
