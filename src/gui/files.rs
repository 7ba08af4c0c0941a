//! The teacher's files: the lessons the picker offers (shipped, recent, the teacher's own
//! folder, each with its title and the first line of its description), and where file dialogs
//! start (the last folder used, else the user's documents; never inside the program's own
//! install or its shipped `scenarios/`).

use super::builtin::{Entry, SHIPPED};
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

/// Most recent files remembered.
pub const RECENT: usize = 8;
/// Most files listed from the teacher's folder.
const FOLDER_FILES: usize = 200;

/// One lesson in the picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub entry: Entry,
    pub title: String,
    /// The first sentence of its description.
    pub line: String,
}

/// A group of lessons: "Shipped lessons", "Recent", "Your folder".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub items: Vec<Item>,
}

fn first_sentence(s: &str) -> String {
    let end = s.find(". ").map_or(s.len(), |i| i + 1);
    let t = &s[..end];
    if t.chars().count() > 140 {
        t.chars().take(139).collect::<String>() + "…"
    } else {
        t.to_owned()
    }
}

fn item(entry: Entry, text: &str, file: &str) -> Option<Item> {
    let s = Scenario::parse(text, file).ok()?;
    Some(Item {
        entry,
        title: s.title,
        line: first_sentence(&s.description),
    })
}

fn file_item(p: &Path) -> Option<Item> {
    let text = crate::scenario::read_bounded(p, crate::scenario::limits::FILE_BYTES).ok()?;
    item(
        Entry::File(p.to_path_buf()),
        &text,
        &p.display().to_string(),
    )
}

/// The `.ron` files of a folder, sorted, at most 200 (none when it cannot be read).
fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron") && p.is_file())
        .take(FOLDER_FILES)
        .collect();
    paths.sort();
    paths
}

/// An exercise file: its title and the first sentence of its task.
fn exercise_item(p: &Path) -> Option<Item> {
    let ex = crate::exercise::Exercise::load(p).ok()?;
    Some(Item {
        entry: Entry::File(p.to_path_buf()),
        title: ex.title,
        line: first_sentence(&ex.task),
    })
}

/// The exercises of a folder.
fn exercise_items(dir: &Path) -> Vec<Item> {
    ron_files(dir)
        .iter()
        .filter_map(|p| exercise_item(p))
        .collect()
}

/// The group a shipped lesson goes in, by what it teaches (its file name says it).
fn shipped_group(name: &str) -> &'static str {
    if name.contains("reject") || name.contains("prohibited") {
        "Reject and ICMP"
    } else if name.starts_with("nat-") {
        "NAT"
    } else if name.starts_with("passive-") {
        "Passive mode"
    } else {
        "Active mode"
    }
}

const SHIPPED_GROUPS: [&str; 4] = ["Active mode", "Passive mode", "NAT", "Reject and ICMP"];

/// The shipped lesson after `name` (a file stem) in the picker's order, and its title; `None`
/// after the last, or for a lesson that is not a shipped one.
pub fn next_shipped(name: &str) -> Option<(&'static str, String)> {
    let mut order: Vec<&'static str> = Vec::new();
    for g in SHIPPED_GROUPS {
        order.extend(
            SHIPPED
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| shipped_group(n) == g),
        );
    }
    let file = format!("{name}.ron");
    let at = order.iter().position(|n| *n == file)?;
    let next = *order.get(at + 1)?;
    let (_, text) = SHIPPED.iter().find(|(n, _)| *n == next)?;
    let title = Scenario::parse(text, next).ok()?.title;
    Some((next, title))
}

/// A folder shipped beside the program (`exercises`, `scenarios`): next to the executable or
/// up to three folders above it (`target/release/ftp-lab` in the repository), else in the
/// current folder. Found from the program's own location, so a teacher who starts it from
/// anywhere (a desktop icon, another folder) still sees the exercises.
pub fn shipped_dir(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok();
    let above = exe
        .iter()
        .flat_map(|e| e.ancestors().skip(1).take(4))
        .map(Path::to_path_buf);
    above
        .chain(std::iter::once(PathBuf::from(".")))
        .map(|d| d.join(name))
        .find(|d| d.is_dir())
}

/// The picker's groups: the shipped lessons by what they teach, the exercises, recent files,
/// the teacher's folder. `recent`: paths opened or saved, newest first; `folder`: the
/// teacher's last folder (its `.ron` files are listed, up to 200).
pub fn library(recent: &[PathBuf], folder: Option<&Path>) -> Vec<Group> {
    let mut groups: Vec<Group> = SHIPPED_GROUPS
        .iter()
        .map(|g| Group {
            name: (*g).to_owned(),
            items: SHIPPED
                .iter()
                .filter(|(n, _)| shipped_group(n) == *g)
                .filter_map(|(n, text)| item(Entry::Builtin(n), text, n))
                .collect(),
        })
        .collect();
    let exercises = shipped_dir("exercises").map_or_else(Vec::new, |d| exercise_items(&d));
    let recent: Vec<Item> = recent.iter().filter_map(|p| file_item(p)).collect();
    let own = folder
        .filter(|d| !is_install(d))
        .map_or_else(Vec::new, folder_items);
    groups.push(Group {
        name: "Exercises (for students)".to_owned(),
        items: exercises,
    });
    groups.push(Group {
        name: "Recent".to_owned(),
        items: recent,
    });
    groups.push(Group {
        name: format!(
            "Your folder ({})",
            folder.map_or(String::new(), |f| f.display().to_string())
        ),
        items: own,
    });
    groups.retain(|g| !g.items.is_empty());
    groups
}

/// The `.ron` lessons (and exercises) of the teacher's folder, up to 200.
fn folder_items(dir: &Path) -> Vec<Item> {
    ron_files(dir)
        .iter()
        .filter_map(|p| file_item(p).or_else(|| exercise_item(p)))
        .collect()
}

/// The items of `groups` whose title or first line has every word of `query` (any case).
pub fn search(groups: &[Group], query: &str) -> Vec<Group> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    groups
        .iter()
        .map(|g| Group {
            name: g.name.clone(),
            items: g
                .items
                .iter()
                .filter(|i| {
                    let hay = format!("{} {} {}", i.title, i.line, i.entry.name()).to_lowercase();
                    words.iter().all(|w| hay.contains(w.as_str()))
                })
                .cloned()
                .collect(),
        })
        .filter(|g| !g.items.is_empty())
        .collect()
}

/// True for a folder inside the program's install (beside its executable) or its shipped
/// `scenarios/`: the teacher's files do not go there.
pub fn is_install(dir: &Path) -> bool {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .and_then(|d| std::fs::canonicalize(d).ok());
    let shipped = std::fs::canonicalize("scenarios").ok();
    let manifest =
        std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).ok();
    [exe_dir, shipped, manifest]
        .into_iter()
        .flatten()
        .any(|d| dir.starts_with(d))
}

/// The user's documents folder: `$XDG_DOCUMENTS_DIR`, `~/Documents`, or home.
pub fn documents() -> PathBuf {
    if let Ok(d) = std::env::var("XDG_DOCUMENTS_DIR")
        && Path::new(&d).is_dir()
    {
        return PathBuf::from(d);
    }
    let home = std::env::var("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("."));
    let docs = home.join("Documents");
    if docs.is_dir() { docs } else { home }
}

/// Where a file dialog starts: the last folder used, unless it is gone or inside the install.
pub fn start_dir(last: Option<&Path>) -> PathBuf {
    match last {
        Some(d) if d.is_dir() && !is_install(d) => d.to_path_buf(),
        _ => documents(),
    }
}

/// Puts `p` first in the recent list (no duplicates, at most `RECENT`).
pub fn remember(recent: &mut Vec<PathBuf>, p: &Path) {
    let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    recent.retain(|x| *x != p);
    recent.insert(0, p);
    recent.truncate(RECENT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_is_built_in_with_its_title() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let files = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "ron")
            })
            .count();
        let groups = library(&[], None);
        let shipped: Vec<&Item> = groups
            .iter()
            .filter(|g| SHIPPED_GROUPS.contains(&g.name.as_str()))
            .flat_map(|g| &g.items)
            .collect();
        assert_eq!(
            shipped.len(),
            files,
            "SHIPPED must list every file in scenarios/"
        );
        assert!(
            shipped
                .iter()
                .all(|i| !i.title.is_empty() && !i.line.is_empty())
        );
        // The exercises are found from the program's location (the test binary's, here).
        let ex = groups
            .iter()
            .find(|g| g.name.starts_with("Exercises"))
            .unwrap();
        assert_eq!(ex.items.len(), 8);
    }

    #[test]
    fn next_lesson_follows_the_pickers_order_to_the_last() {
        let groups = library(&[], None);
        let order: Vec<String> = groups
            .iter()
            .filter(|g| SHIPPED_GROUPS.contains(&g.name.as_str()))
            .flat_map(|g| g.items.iter().map(|i| i.entry.name()))
            .collect();
        for w in order.windows(2) {
            let (next, _) = next_shipped(&w[0]).unwrap();
            assert_eq!(next.trim_end_matches(".ron"), w[1]);
        }
        assert_eq!(next_shipped(order.last().unwrap()), None);
        assert_eq!(next_shipped("not-a-shipped-lesson"), None);
    }

    #[test]
    fn search_keeps_the_items_with_every_word() {
        let groups = library(&[], None);
        let found = search(&groups, "PASSIVE range");
        assert!(found.iter().all(|g| !g.items.is_empty()));
        let all: Vec<&Item> = found.iter().flat_map(|g| &g.items).collect();
        assert!(!all.is_empty());
        assert!(all.iter().all(|i| {
            let h = format!("{} {} {}", i.title, i.line, i.entry.name()).to_lowercase();
            h.contains("passive") && h.contains("range")
        }));
        assert!(search(&groups, "no-such-lesson-xyz").is_empty());
    }

    #[test]
    fn dialogs_never_start_in_the_shipped_scenarios() {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        assert!(is_install(&shipped));
        assert_ne!(start_dir(Some(&shipped)), shipped);
        let tmp = std::env::temp_dir();
        assert_eq!(start_dir(Some(&tmp)), tmp);
    }

    #[test]
    fn recent_files_are_unique_newest_first_and_bounded() {
        let mut r = Vec::new();
        for k in 0..12 {
            remember(&mut r, Path::new(&format!("/tmp/x{k}.ron")));
        }
        remember(&mut r, Path::new("/tmp/x5.ron"));
        assert_eq!(r.len(), RECENT);
        assert_eq!(r[0], PathBuf::from("/tmp/x5.ron"));
        assert_eq!(
            r.iter()
                .filter(|p| p.as_path() == Path::new("/tmp/x5.ron"))
                .count(),
            1
        );
    }
}
