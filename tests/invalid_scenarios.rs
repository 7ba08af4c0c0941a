#![allow(clippy::unwrap_used)]
//! Bad scenario files get every problem reported with file, line, column and field; never a
//! panic.

use ftp_lab::Scenario;

const GOOD: &str = include_str!("../scenarios/passive-range-opened.ron");

fn errors(text: &str) -> Vec<ftp_lab::ScenarioError> {
    match Scenario::parse(text, "lesson.ron") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.0,
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in text"))
}

#[test]
fn the_good_file_is_accepted() {
    Scenario::parse(GOOD, "good.ron").unwrap();
}

#[test]
fn unparsable_ron_names_line_and_column() {
    let text = GOOD.replacen("seed: 7,", "seed: 7,,", 1);
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line, line_of(&text, "seed: 7,,"));
    assert!(e[0].column > 1);
    assert!(
        e[0].to_string()
            .starts_with(&format!("lesson.ron:{}:", e[0].line))
    );
}

#[test]
fn an_unknown_field_is_named() {
    let text = GOOD.replacen("control_port: 21,", "contrl_port: 21,", 1);
    let e = errors(&text);
    assert_eq!(e[0].line, line_of(&text, "contrl_port"));
    assert!(e[0].message.contains("contrl_port"), "{}", e[0]);
}

#[test]
fn port_zero_and_above_65535_are_rejected_with_place() {
    let text = GOOD
        .replacen("control_port: 21,", "control_port: 0,", 1)
        .replacen("Range(10001, 10005)", "Range(10001, 70000)", 1);
    let e = errors(&text);
    let cp = e
        .iter()
        .find(|x| x.field.ends_with("control_port"))
        .expect("control_port error");
    assert_eq!(cp.line, line_of(&text, "control_port: 0"));
    assert!(cp.message.contains("port 0 is out of range"));
    let r = e
        .iter()
        .find(|x| x.message.contains("70000"))
        .expect("70000 error");
    assert_eq!(r.line, line_of(&text, "70000"));
    assert_eq!(r.field, "nodes[3].rules[2].dst_port.1");
}

#[test]
fn a_reversed_range_is_rejected() {
    let text = GOOD.replacen(
        "passive_range: (10001, 10005)",
        "passive_range: (10005, 10001)",
        1,
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "nodes[4].passive_range");
    assert_eq!(
        (e[0].line, e[0].column),
        (line_of(&text, "passive_range"), 28)
    );
    assert!(e[0].message.contains("reversed"));
}

#[test]
fn unknown_host_references_and_bad_cidrs_and_empty_actions_all_reported_at_once() {
    let text = GOOD
        .replacen("server: \"server\"", "server: \"srv\"", 1)
        .replacen("(a: \"internet\", b: \"server-fw\"", "(a: \"internet\", b: \"server-firewall\"", 1)
        .replacen("(action: Accept, state: [Established, Related], comment: \"allow replies\"),", "(action: Accept, src: \"10.0.0.0/33\", comment: \"bad\"),", 1)
        .replacen("actions: [Connect, Login(user: \"anonymous\", pass: \"student@example.org\"), Ls, Quit]", "actions: []", 1);
    let e = errors(&text);
    let find = |f: &str| {
        e.iter()
            .find(|x| x.field == f)
            .unwrap_or_else(|| panic!("no error for {f}: {e:#?}"))
    };
    assert!(find("nodes[0].server").message.contains("'srv'"));
    assert_eq!(
        find("nodes[0].server").line,
        line_of(&text, "server: \"srv\"")
    );
    assert!(find("links[2].b").message.contains("'server-firewall'"));
    assert!(find("nodes[3].rules[0].src").message.contains("/33"));
    assert_eq!(
        find("nodes[3].rules[0].src").line,
        line_of(&text, "10.0.0.0/33")
    );
    assert!(find("nodes[0].actions").message.contains("empty"));
    assert!(e.len() >= 4);
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "(",
        "()",
        "[1,2]",
        "(title: 1)",
        "\u{0}\u{1}",
        "(title: \"x\", nodes: [Client()], links: [], expect: (result: Success))",
    ] {
        assert!(Scenario::parse(text, "x.ron").is_err(), "{text:?}");
    }
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let e = Scenario::load(std::path::Path::new("no/such/file.ron")).unwrap_err();
    assert!(e.to_string().contains("cannot read"));
}
