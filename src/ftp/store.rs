//! Where the server's files live: a small trait, with an in-memory tree for the simulator.
//!
//! Paths given to a store are absolute and already normalised by `resolve` (no `.` or `..`
//! parts), so a store never sees a path that climbs out of its root. The directory-backed
//! store for `serve` adds its own check for symlinks.

use std::collections::BTreeMap;

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

/// The server's view of its files.
pub trait FileStore {
    fn is_dir(&self, path: &str) -> bool;
    fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError>;
    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError>;
    fn write(&mut self, path: &str, data: &[u8]) -> Result<(), StoreError>;
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

/// Files in memory: path → contents. Directories exist implicitly as parents of files.
#[derive(Clone, Debug, Default)]
pub struct MemStore {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemStore {
    pub fn new() -> MemStore {
        MemStore::default()
    }

    pub fn insert(&mut self, path: &str, data: impl Into<Vec<u8>>) {
        self.files.insert(resolve("/", path), data.into());
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(&resolve("/", path)).map(Vec::as_slice)
    }
}

impl FileStore for MemStore {
    fn is_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        self.files.keys().any(|k| k.starts_with(&prefix))
    }

    fn list(&self, path: &str) -> Result<Vec<Entry>, StoreError> {
        if let Some(data) = self.files.get(path) {
            let name = path.rsplit('/').next().unwrap_or(path).to_owned();
            return Ok(vec![Entry {
                name,
                is_dir: false,
                size: data.len() as u64,
            }]);
        }
        if !self.is_dir(path) && path != "/" {
            return Err(StoreError::NotFound);
        }
        let prefix = if path == "/" {
            "/".to_owned()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeMap<String, Entry> = BTreeMap::new();
        for (k, v) in self.files.range(prefix.clone()..) {
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

    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        self.files.get(path).cloned().ok_or(StoreError::NotFound)
    }

    fn write(&mut self, path: &str, data: &[u8]) -> Result<(), StoreError> {
        if self.is_dir(path) {
            return Err(StoreError::Denied);
        }
        self.files.insert(path.to_owned(), data.to_vec());
        Ok(())
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
}
