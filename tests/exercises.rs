#![allow(clippy::unwrap_used)]
//! The shipped exercises: each starting scenario fails, each reference solution passes, and
//! wrong answers written here (one that opens everything, one that fixes the wrong side) fail
//! with the check they break named. Exercises with several good answers accept each. `grade`
//! on the command line: tables, JSON, CSV, a folder, refused answers, exit codes.

mod common;

use common::peers::Bounded;
use ftp_lab::exercise::{Exercise, Grade};
use ftp_lab::firewall::{Action, CtState, Direction, PortMatch, Rule};
use ftp_lab::ftp::Mode;
use ftp_lab::scenario::{ActivePort, DataCommands, NodeSpec, Scenario};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn exercise(name: &str) -> Exercise {
    Exercise::load(&root().join("exercises").join(format!("{name}.ron"))).unwrap()
}

fn solution(name: &str) -> Scenario {
    Scenario::load(
        &root()
            .join("exercises/solutions")
            .join(format!("{name}.ron")),
    )
    .unwrap()
}

fn all() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("exercises"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension().is_some_and(|x| x == "ron"))
                .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    v.sort();
    v
}

fn fw<'a>(s: &'a mut Scenario, name: &str) -> &'a mut ftp_lab::firewall::FirewallSpec {
    s.nodes
        .iter_mut()
        .find_map(|n| match n {
            NodeSpec::Firewall(f) if f.name == name => Some(f),
            _ => None,
        })
        .unwrap()
}

fn server(s: &mut Scenario) -> &mut ftp_lab::scenario::ServerSpec {
    s.nodes
        .iter_mut()
        .find_map(|n| match n {
            NodeSpec::Server(x) => Some(x),
            _ => None,
        })
        .unwrap()
}

fn client(s: &mut Scenario) -> &mut ftp_lab::scenario::ClientSpec {
    s.nodes
        .iter_mut()
        .find_map(|n| match n {
            NodeSpec::Client(x) => Some(x),
            _ => None,
        })
        .unwrap()
}

fn accept_all_inbound(f: &mut ftp_lab::firewall::FirewallSpec) {
    f.rules.push(Rule {
        action: Action::Accept,
        direction: Direction::Inbound,
        state: vec![CtState::New],
        comment: "let everything in".into(),
        ..Rule::default()
    });
    // First match wins: the new rule goes first.
    let r = f.rules.pop().unwrap();
    f.rules.insert(0, r);
}

/// Every port of the router forwarded to 10.0.0.5.
fn forward_everything(s: &mut Scenario) {
    for n in &mut s.nodes {
        if let NodeSpec::Nat(nat) = n {
            nat.forwards.push(ftp_lab::scenario::ForwardSpec {
                port: PortMatch::Range(1, 65535),
                to: "10.0.0.5".into(),
                to_port: None,
                comment: "everything".into(),
            });
        }
    }
}

/// The failed checks' texts.
fn failed(g: &Grade) -> Vec<String> {
    assert!(
        g.refused.is_none(),
        "{}: refused: {:?}",
        g.answer,
        g.refused
    );
    g.checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.text.clone())
        .collect()
}

fn must_fail_on(ex: &Exercise, answer: &Scenario, what: &str, check: &str) {
    let g = ex.grade(answer, what);
    let f = failed(&g);
    assert!(
        f.iter().any(|t| t.contains(check)),
        "{}: {what} should fail '{check}', failed {f:?}",
        ex.id
    );
}

#[test]
fn there_are_at_least_eight_exercises_each_with_its_solution() {
    let names = all();
    assert!(names.len() >= 8, "{names:?}");
    for n in &names {
        let ex = exercise(n);
        assert!(!ex.hints.is_empty(), "{n}: no hints");
        let start = ex.grade(&ex.starting_answer(), "start");
        assert!(!start.passed(), "{n}: the starting scenario already passes");
        let sol = ex.grade(&solution(n), "solution");
        assert!(sol.passed(), "{n}: the reference solution fails: {sol:?}");
    }
}

#[test]
fn wrong_answers_fail_with_the_check_they_break() {
    // 01: letting everything in; fixing the server's side.
    let ex = exercise("01-active-through-the-client-firewall");
    let mut open = ex.start.clone();
    fw(&mut open, "client-fw").rules[1].action = Action::Accept;
    must_fail_on(
        &ex,
        &open,
        "opens everything",
        "at most 30000 NEW inbound ports",
    );
    let mut wrong = ex.start.clone();
    accept_all_inbound(fw(&mut wrong, "server-fw"));
    must_fail_on(
        &ex,
        &wrong,
        "fixes the server's firewall",
        "the listing works in active mode",
    );

    // 02: opening the server's firewall; changing the client's side.
    let ex = exercise("02-the-server-cannot-use-port-20");
    let mut open = ex.start.clone();
    fw(&mut open, "server-fw").rules.pop();
    must_fail_on(
        &ex,
        &open,
        "deletes the blocking rule",
        "server-fw is left as it is",
    );
    let mut wrong = ex.start.clone();
    fw(&mut wrong, "client-fw").ftp_helper = true;
    must_fail_on(
        &ex,
        &wrong,
        "changes the client's firewall",
        "the listing works in active mode",
    );

    // 03: opening the whole range; fixing the client's side.
    let ex = exercise("03-a-passive-range-that-matches");
    let mut open = ex.start.clone();
    fw(&mut open, "server-fw").rules.push(Rule {
        action: Action::Accept,
        direction: Direction::Inbound,
        dst_port: PortMatch::Range(1024, 65535),
        state: vec![CtState::New],
        ..Rule::default()
    });
    must_fail_on(
        &ex,
        &open,
        "opens 1024-65535",
        "at most 6 NEW inbound ports",
    );
    let mut wrong = ex.start.clone();
    fw(&mut wrong, "client-fw").ftp_helper = true;
    must_fail_on(
        &ex,
        &wrong,
        "changes the client's firewall",
        "the listing works in passive mode",
    );

    // 04: opening the server's firewall to everything; fixing only the client's side.
    let ex = exercise("04-fewest-ports-for-both-modes");
    let mut open = ex.start.clone();
    fw(&mut open, "server-fw").default_policy = Action::Accept;
    fw(&mut open, "client-fw").ftp_helper = true;
    must_fail_on(
        &ex,
        &open,
        "accepts everything on server-fw",
        "default policy stays drop",
    );
    let mut wrong = ex.start.clone();
    fw(&mut wrong, "client-fw").ftp_helper = true;
    must_fail_on(
        &ex,
        &wrong,
        "fixes only the client's firewall",
        "the listing works in passive mode",
    );

    // 05: accepting instead of failing fast; switching the client to passive.
    let ex = exercise("05-make-it-fail-fast");
    let mut open = ex.start.clone();
    fw(&mut open, "client-fw").rules[1].action = Action::Accept;
    must_fail_on(
        &ex,
        &open,
        "accepts the connection",
        "no rule of client-fw accepts NEW inbound",
    );
    let mut wrong = ex.start.clone();
    client(&mut wrong).mode = Mode::Passive;
    must_fail_on(&ex, &wrong, "switches to passive", "fails within 2 s");

    // 06: opening the range again; the client's side.
    let ex = exercise("06-the-server-firewall-helper");
    let mut open = ex.start.clone();
    fw(&mut open, "server-fw").rules[2].action = Action::Accept;
    must_fail_on(&ex, &open, "opens the range", "at most 1 NEW inbound port");
    let mut wrong = ex.start.clone();
    fw(&mut wrong, "client-fw").ftp_helper = true;
    must_fail_on(
        &ex,
        &wrong,
        "changes the client's firewall",
        "the listing works in passive mode",
    );

    // 07: forwarding every port to the client; passive mode instead.
    let ex = exercise("07-client-behind-nat-active");
    let mut open = ex.start.clone();
    forward_everything(&mut open);
    must_fail_on(
        &ex,
        &open,
        "forwards everything",
        "the listing works in active mode",
    );
    let mut wrong = ex.start.clone();
    client(&mut wrong).mode = Mode::Passive;
    must_fail_on(
        &ex,
        &wrong,
        "switches to passive",
        "the listing works in active mode",
    );

    // 08: forwarding every port; active mode instead.
    let ex = exercise("08-server-behind-nat-passive");
    let mut open = ex.start.clone();
    forward_everything(&mut open);
    must_fail_on(
        &ex,
        &open,
        "forwards everything",
        "the listing works in passive mode",
    );
    let mut wrong = ex.start.clone();
    client(&mut wrong).mode = Mode::Active;
    must_fail_on(
        &ex,
        &wrong,
        "switches to active",
        "the listing works in passive mode",
    );
}

#[test]
fn exercises_with_several_good_answers_accept_each() {
    let ex = exercise("01-active-through-the-client-firewall");
    // The helper (the reference), a rule for the client's data ports, a narrow data range.
    let mut ports = ex.start.clone();
    fw(&mut ports, "client-fw").rules.insert(
        1,
        Rule {
            action: Action::Accept,
            direction: Direction::Inbound,
            src: "203.0.113.10".into(),
            dst_port: PortMatch::Range(32768, 60999),
            state: vec![CtState::New],
            comment: "the client's data ports, from the server".into(),
            ..Rule::default()
        },
    );
    let mut narrow = ex.start.clone();
    client(&mut narrow).data_ports = (50000, 50009);
    fw(&mut narrow, "client-fw").rules.insert(
        1,
        Rule {
            action: Action::Accept,
            direction: Direction::Inbound,
            dst_port: PortMatch::Range(50000, 50009),
            state: vec![CtState::New],
            ..Rule::default()
        },
    );
    for (what, s) in [("data ports", &ports), ("narrow range", &narrow)] {
        let g = ex.grade(s, what);
        assert!(g.passed(), "{what}: {g:?}");
    }
    let ex = exercise("08-server-behind-nat-passive");
    let mut epsv = ex.start.clone();
    client(&mut epsv).commands = Some(DataCommands::ExtendedFirst);
    let mut alg = ex.start.clone();
    for n in &mut alg.nodes {
        if let NodeSpec::Nat(nat) = n {
            nat.ftp_alg = true;
        }
    }
    for (what, s) in [("EPSV", &epsv), ("ALG", &alg)] {
        let g = ex.grade(s, what);
        assert!(g.passed(), "{what}: {g:?}");
    }
    // 02: an ephemeral port works as well as 2020.
    let ex = exercise("02-the-server-cannot-use-port-20");
    let mut eph = ex.start.clone();
    server(&mut eph).active_data_port = ActivePort::Ephemeral;
    assert!(ex.grade(&eph, "ephemeral").passed());
}

fn ftp_lab_cmd(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
        .args(args)
        .current_dir(root())
        .output_within(120)
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn grade_prints_tables_json_and_csv_and_exits_as_it_should() {
    let ex = "exercises/03-a-passive-range-that-matches.ron";
    let sol = "exercises/solutions/03-a-passive-range-that-matches.ron";
    let (code, out) = ftp_lab_cmd(&["grade", ex, sol]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASS 4/4"), "{out}");
    let (code, out) = ftp_lab_cmd(&["grade", ex, sol, "scenarios/passive-range-mismatch.ron"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL") && out.contains("✖"), "{out}");
    // A folder of answers, as a gradebook.
    let dir = std::env::temp_dir().join(format!("ftp-lab-answers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(root().join(sol), dir.join("alice.ron")).unwrap();
    std::fs::copy(
        root().join("scenarios/passive-range-mismatch.ron"),
        dir.join("bob.ron"),
    )
    .unwrap();
    // An answer that removed the server's firewall is refused, not graded.
    let mut cheat = Scenario::load(&root().join(sol)).unwrap();
    cheat.nodes.retain(|n| n.name() != "server-fw");
    cheat.links = vec![
        ftp_lab::scenario::LinkSpec {
            a: "client".into(),
            b: "client-fw".into(),
            delay_ms: 1.0,
        },
        ftp_lab::scenario::LinkSpec {
            a: "client-fw".into(),
            b: "internet".into(),
            delay_ms: 10.0,
        },
        ftp_lab::scenario::LinkSpec {
            a: "internet".into(),
            b: "server".into(),
            delay_ms: 10.0,
        },
    ];
    std::fs::write(dir.join("carol.ron"), cheat.to_ron().unwrap()).unwrap();
    let d = dir.to_str().unwrap();
    let (code, csv) = ftp_lab_cmd(&["grade", ex, "--dir", d, "--csv"]);
    assert_eq!(code, 1, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("answer,passed,score,total,"), "{csv}");
    assert!(
        lines[1].contains("alice.ron") && lines[1].contains(",1,4,4,"),
        "{csv}"
    );
    assert!(
        lines[2].contains("bob.ron") && lines[2].contains(",0,"),
        "{csv}"
    );
    assert!(
        lines[3].contains("carol.ron") && lines[3].contains("locks"),
        "{csv}"
    );
    let (_, json) = ftp_lab_cmd(&["grade", ex, "--dir", d, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert!(
        v[2]["refused"].as_str().unwrap().contains("server-fw"),
        "{json}"
    );
    // Unreadable files: exit 2.
    std::fs::write(dir.join("broken.ron"), "(not a scenario").unwrap();
    let (code, _) = ftp_lab_cmd(&["grade", ex, "--dir", d]);
    assert_eq!(code, 2);
    let (code, _) = ftp_lab_cmd(&["grade", "no-such-exercise.ron", sol]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(&dir).unwrap();
    let _ = Path::new(ex);
}

/// Seen in the second attack: a student's file named like a formula became a CSV cell a
/// spreadsheet runs, and a rule's comment forged a line of the text report and sent ESC and
/// BEL to the teacher's terminal.
#[test]
fn a_hostile_answer_cannot_run_a_formula_forge_a_line_or_drive_the_terminal() {
    let ex = "exercises/01-active-through-the-client-firewall.ron";
    let dir = std::env::temp_dir().join(format!("ftp-lab-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut answer = Scenario::load(
        &root().join("exercises/solutions/01-active-through-the-client-firewall.ron"),
    )
    .unwrap();
    for n in &mut answer.nodes {
        if let NodeSpec::Firewall(f) = n {
            for r in &mut f.rules {
                r.comment = "x\nfake.ron: PASS 3/3\u{1b}[2J\u{1b}]0;pwned\u{7}".into();
            }
        }
    }
    std::fs::write(dir.join("=cmd|' -C calc'!A0.ron"), answer.to_ron().unwrap()).unwrap();
    // Graded where the answers are, as a teacher does: the cell is the bare file name.
    let grade = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ftp-lab"))
            .args([
                "grade",
                root().join(ex).to_str().unwrap(),
                "=cmd|' -C calc'!A0.ron",
            ])
            .args(extra)
            .current_dir(&dir)
            .output_within(120)
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let csv = grade(&["--csv"]);
    let row = csv.lines().nth(1).unwrap();
    assert!(row.starts_with("\"'=cmd"), "{csv}");
    let text = grade(&[]);
    assert!(!text.lines().any(|l| l.starts_with("fake.ron")), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
