//! "Let the class answer": the predict questions go to the students' phones and their
//! answers come back as a tally. This module is the session itself, with no network: who has
//! joined, the question being asked, each device's answer, the reveal, and the lesson's
//! tally as CSV. `server` serves it over HTTP on the teacher's LAN.
//!
//! Bounds: at most `MAX_DEVICES` devices; a device answers one question at a time and may
//! change its answer until the reveal, at most `MAX_CHANGES` times; names and device tokens
//! are checked and bounded. Nothing a student sends is ever executed: names are kept as text
//! and escaped wherever they are shown (CSV included).

pub mod server;

use std::collections::BTreeMap;

/// Devices in one session.
pub const MAX_DEVICES: usize = 300;
/// Answers one device may send to one question (changes included).
pub const MAX_CHANGES: u32 = 30;
/// Characters of a student's name.
pub const MAX_NAME: usize = 40;

/// A question as the students see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Asked {
    /// Counts up with every question of the session (a late answer to an old one is refused).
    pub id: u64,
    pub text: String,
    pub choices: Vec<String>,
}

/// Where the session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No question yet (or between questions).
    Waiting,
    Asking(Asked),
    Revealed {
        asked: Asked,
        answer: usize,
        explain: String,
    },
    Ended,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The session has its `MAX_DEVICES`.
    Full,
    /// Not the question being asked (an old one, or none).
    NotAsked,
    /// A choice the question does not have.
    NoSuchChoice,
    /// Too many answers from one device to one question.
    TooMany,
    /// A device token that is not 32 hex digits.
    BadDevice,
    Ended,
}

impl Refused {
    pub fn words(self) -> &'static str {
        match self {
            Refused::Full => "the class is full",
            Refused::NotAsked => "that question is not being asked now",
            Refused::NoSuchChoice => "no such choice",
            Refused::TooMany => "too many answers to this question",
            Refused::BadDevice => "not a device of this session",
            Refused::Ended => "the session has ended",
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Device {
    name: Option<String>,
    /// Its answer to each question, by question id.
    answers: BTreeMap<u64, usize>,
    /// Answers sent to the question being asked.
    sent: u32,
}

/// One question's result, for the tally and the CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tallied {
    pub asked: Asked,
    pub answer: usize,
    pub counts: Vec<usize>,
}

/// A class session.
#[derive(Debug)]
pub struct Session {
    devices: BTreeMap<String, Device>,
    phase: Phase,
    next_id: u64,
    done: Vec<Tallied>,
}

/// A device token as the page makes it: 32 lowercase hex digits.
pub fn valid_device(d: &str) -> bool {
    d.len() == 32
        && d.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A name as kept: printable, one line, at most `MAX_NAME` characters, trimmed.
pub fn clean_name(n: &str) -> Option<String> {
    let n: String = n
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let n = crate::text::printable(n.trim()).into_owned();
    (!n.is_empty()).then_some(n)
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        Session {
            devices: BTreeMap::new(),
            phase: Phase::Waiting,
            next_id: 1,
            done: Vec::new(),
        }
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// A device joins (again: nothing changes but its name).
    pub fn join(&mut self, device: &str, name: Option<&str>) -> Result<(), Refused> {
        if !valid_device(device) {
            return Err(Refused::BadDevice);
        }
        if self.phase == Phase::Ended {
            return Err(Refused::Ended);
        }
        if !self.devices.contains_key(device) && self.devices.len() >= MAX_DEVICES {
            return Err(Refused::Full);
        }
        let d = self.devices.entry(device.to_owned()).or_default();
        if let Some(n) = name.and_then(clean_name) {
            d.name = Some(n);
        }
        Ok(())
    }

    /// The teacher's window asks a question; the one before, if revealed, is tallied.
    pub fn ask(&mut self, text: &str, choices: &[String]) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        for d in self.devices.values_mut() {
            d.sent = 0;
        }
        self.phase = Phase::Asking(Asked {
            id,
            text: text.to_owned(),
            choices: choices.to_vec(),
        });
        id
    }

    /// A device answers the question being asked (or changes its answer).
    pub fn answer(&mut self, device: &str, id: u64, choice: usize) -> Result<(), Refused> {
        let Phase::Asking(a) = &self.phase else {
            return Err(if self.phase == Phase::Ended {
                Refused::Ended
            } else {
                Refused::NotAsked
            });
        };
        if a.id != id {
            return Err(Refused::NotAsked);
        }
        if choice >= a.choices.len() {
            return Err(Refused::NoSuchChoice);
        }
        self.join(device, None)?;
        let d = self.devices.get_mut(device).ok_or(Refused::BadDevice)?;
        if d.sent >= MAX_CHANGES {
            return Err(Refused::TooMany);
        }
        d.sent += 1;
        d.answers.insert(id, choice);
        Ok(())
    }

    /// The teacher reveals: the question is closed, its tally kept.
    pub fn reveal(&mut self, answer: usize, explain: &str) {
        let Phase::Asking(a) = &self.phase else {
            return;
        };
        let a = a.clone();
        self.done.push(Tallied {
            counts: self.counts_of(&a),
            asked: a.clone(),
            answer,
        });
        self.phase = Phase::Revealed {
            asked: a,
            answer,
            explain: explain.to_owned(),
        };
    }

    pub fn end(&mut self) {
        self.phase = Phase::Ended;
    }

    fn counts_of(&self, a: &Asked) -> Vec<usize> {
        let mut c = vec![0; a.choices.len()];
        for d in self.devices.values() {
            if let Some(&k) = d.answers.get(&a.id)
                && k < c.len()
            {
                c[k] += 1;
            }
        }
        c
    }

    /// Devices joined, and of them how many answered the question being asked (or last
    /// revealed): what the teacher's window shows before the reveal (never the split).
    pub fn answered(&self) -> (usize, usize) {
        let n = match &self.phase {
            Phase::Asking(a) | Phase::Revealed { asked: a, .. } => self.counts_of(a).iter().sum(),
            _ => 0,
        };
        (self.devices.len(), n)
    }

    /// The split of the question revealed last: counts per choice.
    pub fn histogram(&self) -> Option<&Tallied> {
        match &self.phase {
            Phase::Revealed { .. } => self.done.last(),
            _ => None,
        }
    }

    /// A device's own answer to a question, for its page.
    pub fn answer_of(&self, device: &str, id: u64) -> Option<usize> {
        self.devices.get(device)?.answers.get(&id).copied()
    }

    /// The lesson's tally: per question, the counts per choice and the share right.
    pub fn csv(&self) -> String {
        let mut s = String::from("question,choice,answers,right\n");
        for t in &self.done {
            let total: usize = t.counts.iter().sum();
            for (k, c) in t.asked.choices.iter().enumerate() {
                s.push_str(&format!(
                    "{},{},{},{}\n",
                    crate::exercise::csv_cell(&t.asked.text),
                    crate::exercise::csv_cell(c),
                    t.counts.get(k).copied().unwrap_or(0),
                    if k == t.answer { "yes" } else { "" }
                ));
            }
            let right = t.counts.get(t.answer).copied().unwrap_or(0);
            let share = (right * 100).checked_div(total).unwrap_or(0);
            s.push_str(&format!(
                "{},(all),{total},{share}% right\n",
                crate::exercise::csv_cell(&t.asked.text)
            ));
        }
        s
    }

    /// The names students gave, for the teacher (escaped when shown).
    pub fn names(&self) -> Vec<&str> {
        self.devices
            .values()
            .filter_map(|d| d.name.as_deref())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(k: usize) -> String {
        format!("{k:032x}")
    }

    #[test]
    fn a_question_is_answered_changed_until_the_reveal_and_tallied() {
        let mut s = Session::new();
        let q = s.ask("Which port?", &["20".into(), "36317".into()]);
        for k in 0..10 {
            s.answer(&dev(k), q, k % 2).unwrap();
        }
        // A change of mind counts once.
        s.answer(&dev(0), q, 1).unwrap();
        assert_eq!(s.answered(), (10, 10));
        assert!(s.histogram().is_none(), "no split before the reveal");
        s.reveal(1, "141·256 + 221");
        assert_eq!(s.histogram().unwrap().counts, vec![4, 6]);
        assert_eq!(s.answer(&dev(3), q, 0), Err(Refused::NotAsked));
        assert!(
            s.csv().contains("\"Which port?\",\"36317\",6,yes\n"),
            "{}",
            s.csv()
        );
        assert!(s.csv().contains("\"Which port?\",(all),10,60% right\n"));
    }

    #[test]
    fn bounds_hold() {
        let mut s = Session::new();
        for k in 0..MAX_DEVICES {
            s.join(&dev(k), None).unwrap();
        }
        assert_eq!(s.join(&dev(MAX_DEVICES), None), Err(Refused::Full));
        // One already in may come back.
        s.join(&dev(0), Some("Ann")).unwrap();
        assert_eq!(s.join("not-hex", None), Err(Refused::BadDevice));
        let q = s.ask("?", &["a".into(), "b".into()]);
        assert_eq!(s.answer(&dev(1), q, 2), Err(Refused::NoSuchChoice));
        assert_eq!(s.answer(&dev(1), q + 1, 0), Err(Refused::NotAsked));
        for _ in 0..MAX_CHANGES {
            s.answer(&dev(1), q, 0).unwrap();
        }
        assert_eq!(s.answer(&dev(1), q, 1), Err(Refused::TooMany));
        s.end();
        assert_eq!(s.join(&dev(5), None), Err(Refused::Ended));
    }

    #[test]
    fn names_are_text_and_csv_cells_cannot_run() {
        let mut s = Session::new();
        s.join(&dev(1), Some("  =HYPERLINK(\"x\")\u{1b}[2J\u{202e}  "))
            .unwrap();
        let n = s.names()[0].to_owned();
        assert!(!n.contains('\u{1b}') && !n.contains('\u{202e}'), "{n}");
        let q = s.ask("=1+1", &["+a".into(), "@b".into()]);
        s.answer(&dev(1), q, 0).unwrap();
        s.reveal(0, "");
        let csv = s.csv();
        for line in csv.lines().skip(1) {
            for cell in line.split(',') {
                let cell = cell.trim_matches('"');
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell} in {csv}");
            }
        }
    }
}
