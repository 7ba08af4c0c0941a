//! The window on the screens a classroom has: 1024×768 projectors to 1920×1080 monitors, in
//! normal and presentation mode, with either right-hand tab. Measured from where the last
//! frame put things (`FtpLabApp::probe`) and from the shapes egui painted.

#![allow(clippy::unwrap_used)]

mod common;

use eframe::egui::{self, Color32, Rect};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use ftp_lab::gui::style::contrast;
use ftp_lab::gui::{FtpLabApp, RightTab};
use std::path::Path;

const SIZES: [(f32, f32); 4] = [
    (1024.0, 768.0),
    (1280.0, 800.0),
    (1366.0, 768.0),
    (1920.0, 1080.0),
];

fn scenario(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.ron"))
}

use common::ui::{
    first_drop, harness_at as harness, harness_with_file_dialog, step_to_question, type_path,
};

fn at_first_drop(h: &mut Harness<'_, FtpLabApp>) {
    let i = first_drop(h.state());
    h.state_mut()
        .apply(ftp_lab::gui::model::Command::SeekEvent(i));
    h.run();
}

fn inside(outer: Rect, r: Rect) -> bool {
    outer.expand(0.5).contains_rect(r)
}

fn no_overlaps(what: &str, rects: &[Rect], ctx: &str) {
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            assert!(
                !a.shrink(0.5).intersects(b.shrink(0.5)),
                "{ctx}: two {what} overlap: {a:?} and {b:?}"
            );
        }
    }
}

/// Everything in place on one screen, in one look, with one tab.
fn check_layout(h: &Harness<'_, FtpLabApp>, ctx: &str) {
    let p = &h.state().probe;
    let screen = p.screen;
    assert!(!p.node_boxes.is_empty(), "{ctx}: no topology drawn");
    no_overlaps("node boxes", &p.node_boxes, ctx);
    for b in &p.node_boxes {
        assert!(
            inside(screen, *b),
            "{ctx}: node box {b:?} outside {screen:?}"
        );
    }
    assert!(!p.bottom_widgets.is_empty(), "{ctx}");
    for w in &p.bottom_widgets {
        assert!(
            inside(screen, *w),
            "{ctx}: bottom-bar widget {w:?} outside {screen:?}"
        );
    }
    no_overlaps("ladder headers", &p.ladder_headers, ctx);
    assert!(inside(screen, p.top_bar), "{ctx}: top bar {:?}", p.top_bar);
    assert!(inside(screen, p.right), "{ctx}: right panel {:?}", p.right);
    // The tab names sit inside the right panel (not cut at its edge).
    for tab in ["Story", "Packet inspector"] {
        let r = h.get_by_label(tab).rect();
        assert!(
            inside(p.right, r),
            "{ctx}: tab '{tab}' at {r:?}, panel {:?}",
            p.right
        );
    }
    // A label and its combo box stay on one row when the bar wraps (seen at 1024×768: "Speed"
    // at the end of one row, its combo box at the start of the next).
    for label in ["Step by", "Speed"] {
        use egui_kittest::kittest::NodeT;
        let rows: Vec<Rect> = h
            .query_all(egui_kittest::kittest::by())
            .filter(|n| {
                let a = n.accesskit_node();
                a.label().as_deref() == Some(label) || a.value().as_deref() == Some(label)
            })
            .map(|n| n.rect())
            .collect();
        assert!(
            rows.len() >= 2,
            "{ctx}: '{label}' and its combo box: {rows:?}"
        );
        assert!(
            rows.iter()
                .all(|r| (r.center().y - rows[0].center().y).abs() < 8.0),
            "{ctx}: '{label}' split from its combo box: {rows:?}"
        );
    }
    check_painted(h, ctx);
    // The centre keeps a usable width.
    let left = p.left.map_or(screen.left(), |l| l.right());
    let centre = p.right.left() - left;
    assert!(
        centre >= 0.36 * screen.width(),
        "{ctx}: centre only {centre} of {}",
        screen.width()
    );
}

/// What egui painted, not what the app says it laid out: every text on the screen; the bars'
/// texts never on top of each other; a node box's texts whole inside it.
fn check_painted(h: &Harness<'_, FtpLabApp>, ctx: &str) {
    let p = &h.state().probe;
    let texts = painted_text(h);
    assert!(
        texts.len() > 20,
        "{ctx}: only {} texts painted",
        texts.len()
    );
    for t in &texts {
        // Cut sideways by its clip rectangle (a panel's edge): the reader loses the end.
        let cut = t.full.width() - t.shown.width();
        assert!(
            cut <= 2.0,
            "{ctx}: '{}' cut by {cut} px ({:?} shown of {:?})",
            t.text,
            t.shown,
            t.full
        );
    }
    for bar in [p.top_bar]
        .into_iter()
        .chain(p.bottom_widgets.iter().copied().reduce(Rect::union))
    {
        let in_bar: Vec<&Painted> = texts
            .iter()
            .filter(|t| bar.contains(t.shown.center()))
            .collect();
        for (i, a) in in_bar.iter().enumerate() {
            for b in &in_bar[i + 1..] {
                assert!(
                    !a.shown.shrink(1.0).intersects(b.shown.shrink(1.0)),
                    "{ctx}: '{}' painted over '{}' ({:?}, {:?})",
                    a.text,
                    b.text,
                    a.shown,
                    b.shown
                );
            }
        }
    }
    for b in &p.node_boxes {
        for t in texts.iter().filter(|t| b.contains(t.full.center())) {
            assert!(
                inside(*b, t.full),
                "{ctx}: '{}' ({:?}) cut by its box {b:?}",
                t.text,
                t.full
            );
        }
    }
}

#[test]
fn the_window_fits_every_classroom_screen() {
    for size in SIZES {
        for presentation in [false, true] {
            let mut h = harness(
                FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
                size,
            );
            if presentation {
                h.key_press(egui::Key::F);
                h.run();
            }
            at_first_drop(&mut h);
            // Predict mode's words in the top bar fit too (seen at 1024 in presentation: the
            // time and "predict mode" painted over the zoom slider).
            if size.0 < 1100.0 {
                h.key_press(egui::Key::P);
                h.run();
                check_painted(&h, &format!("{size:?} presentation={presentation} predict"));
                h.key_press(egui::Key::P);
                h.run();
            }
            let mut widths = Vec::new();
            for tab in [RightTab::Story, RightTab::Inspector, RightTab::Story] {
                h.state_mut().right = tab;
                h.run();
                let ctx = format!("{}×{} presentation={presentation} {tab:?}", size.0, size.1);
                check_layout(&h, &ctx);
                let p = &h.state().probe;
                widths.push((p.left.map(|l| l.width()), p.right.width()));
            }
            // Panels keep their width when the tab changes.
            assert!(
                widths.windows(2).all(|w| w[0] == w[1]),
                "{size:?} presentation={presentation}: widths changed {widths:?}"
            );
        }
    }
}

#[test]
fn graphs_with_a_nat_and_several_clients_fit_at_1024() {
    for name in [
        "nat-two-clients-active-alg",
        "passive-range-used-up",
        "nat-server-passive-alg",
    ] {
        for presentation in [false, true] {
            let mut h = harness(FtpLabApp::new(Some(&scenario(name))), (1024.0, 768.0));
            if presentation {
                h.key_press(egui::Key::F);
                h.run();
            }
            h.key_press(egui::Key::Num3);
            h.run();
            check_layout(&h, &format!("{name} presentation={presentation}"));
        }
    }
}

#[test]
fn widths_saved_on_a_big_screen_are_not_kept_on_a_small_one() {
    let mut h = harness(
        FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
        (1920.0, 1080.0),
    );
    // Drag the right panel wide, as on a big monitor.
    let r = h.state().probe.right;
    h.drag_at(egui::pos2(r.left() + 1.0, r.center().y));
    h.run();
    h.drop_at(egui::pos2(r.left() - 500.0, r.center().y));
    h.run();
    let wide = h.state().probe.right.width();
    h.set_size(egui::vec2(1024.0, 768.0));
    h.run();
    let p = &h.state().probe;
    assert!(
        p.right.width() <= 0.32 * p.screen.width() + 1.0,
        "right panel {} wide on a {} screen (was {wide})",
        p.right.width(),
        p.screen.width()
    );
    check_layout(&h, "after shrinking");
    // "Reset layout" gives the default widths back.
    h.get_by_label("View ▾").click();
    h.run();
    h.get_by_label("Reset layout").click();
    h.run();
    let p = &h.state().probe;
    assert!(
        (p.right.width() - 0.28 * p.screen.width()).abs() < 8.0,
        "{:?}",
        p.right
    );
}

/// Seen on a 1024×768 projector: in presentation mode the help's longest line ran under its
/// scroll bar. That was with the desktop's fonts; with egui's own (here) the old layout still
/// fitted, so this is a guard, and the fix was checked in the real window under Xvfb.
#[test]
fn the_help_fits_the_screen_in_presentation_mode() {
    // 800×600 is the smallest the window goes.
    for size in [(800.0, 600.0)].into_iter().chain(SIZES) {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            size,
        );
        h.key_press(egui::Key::F);
        h.run();
        h.state_mut().show_help = true;
        h.run();
        let screen = h.state().probe.screen;
        let window = h.state().probe.help.unwrap();
        assert!(
            inside(screen, window),
            "{size:?}: help {window:?}, screen {screen:?}"
        );
        for b in ftp_lab::gui::help::BINDINGS {
            let r = h.get_by_label(b.what).rect();
            assert!(
                r.left() >= window.left() && r.right() <= window.right() + 0.5,
                "{size:?}: help line '{}' at {r:?}, window {window:?}",
                b.what
            );
        }
    }
}

/// The top bar keeps its height for 60 frames after each file command (it used to grow until
/// it filled the window).
#[test]
fn the_top_bar_does_not_grow_after_save_as_or_export() {
    let dir = std::env::temp_dir().join(format!("ftp-lab-topbar-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for size in [(1920.0, 1080.0), (1280.0, 800.0), (1024.0, 768.0)] {
        let mut h = harness_with_file_dialog(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            size,
        );
        let height = h.state().probe.top_bar.height();
        let steady = |h: &mut Harness<'_, FtpLabApp>, what: &str| {
            for frame in 0..60 {
                h.step();
                let now = h.state().probe.top_bar.height();
                assert_eq!(now, height, "{size:?} {what}: frame {frame}");
            }
        };
        h.get_by_label("Passive").click();
        h.run();
        h.get_by_label("Save as…").click();
        h.run();
        let target = dir.join(format!("saved-{}.ron", size.0));
        type_path(&mut h, &target);
        assert!(target.is_file(), "{}", target.display());
        h.get_by_label_contains(&format!("Saved to {}", target.display()));
        steady(&mut h, "Save as");
        h.get_by_label("Export ▾").click();
        h.run();
        h.get_by_label("Export capture…").click();
        h.run();
        h.get_by_label("Choose the file…").click();
        h.run();
        let pcap = dir.join(format!("capture-{}.pcap", size.0));
        type_path(&mut h, &pcap);
        assert!(pcap.is_file());
        h.get_by_label_contains(&format!("to {}", pcap.display()));
        steady(&mut h, "Export");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One painted piece of text and what it was painted on.
struct Painted {
    text: String,
    px: f32,
    color: Color32,
    background: Color32,
    /// Where the galley is, and the part of it its clip rectangle lets show.
    full: Rect,
    shown: Rect,
}

fn flatten(s: &egui::Shape, out: &mut Vec<egui::Shape>) {
    match s {
        egui::Shape::Vec(v) => v.iter().for_each(|x| flatten(x, out)),
        x => out.push(x.clone()),
    }
}

/// Every piece of text egui painted, with the opaque fill painted last under its middle
/// (shapes come in paint order; the window's own fill when nothing else is under it).
fn painted_text(h: &Harness<'_, FtpLabApp>) -> Vec<Painted> {
    let ppp = h.ctx.pixels_per_point();
    let window = h.ctx.global_style().visuals.panel_fill;
    let mut fills: Vec<(Rect, Color32)> = Vec::new();
    let mut out = Vec::new();
    for cs in &h.output().shapes {
        let mut found = Vec::new();
        flatten(&cs.shape, &mut found);
        for s in found {
            match s {
                egui::Shape::Rect(r) if r.fill.a() == 255 => {
                    fills.push((r.rect.intersect(cs.clip_rect), r.fill));
                }
                egui::Shape::Circle(c) if c.fill.a() == 255 => {
                    let r = Rect::from_center_size(c.center, egui::Vec2::splat(2.0 * c.radius));
                    fills.push((r.intersect(cs.clip_rect), c.fill));
                }
                egui::Shape::Text(t) => {
                    let full = t.visual_bounding_rect();
                    let r = full.intersect(cs.clip_rect);
                    if !r.is_positive() {
                        continue;
                    }
                    let background = fills
                        .iter()
                        .rev()
                        .find(|(f, _)| f.contains(r.center()))
                        .map_or(window, |(_, c)| *c);
                    for sec in &t.galley.job.sections {
                        let text = t.galley.job.text[sec.byte_range.start.0..sec.byte_range.end.0]
                            .to_owned();
                        if text.trim().is_empty() {
                            continue;
                        }
                        let color = t.override_text_color.unwrap_or(
                            if sec.format.color == Color32::PLACEHOLDER {
                                t.fallback_color
                            } else {
                                sec.format.color
                            },
                        );
                        out.push(Painted {
                            text,
                            px: sec.format.font_id.size * ppp,
                            color,
                            background,
                            full,
                            shown: r,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// In presentation mode at 1280×800 every text on screen is at least 18 px, and every text
/// colour the panels use reads at 4.5:1 or better on its background.
#[test]
fn presentation_text_is_large_and_dark_enough_for_the_back_row() {
    // The NAT lesson stacks its two clients in one column: seen in the real window, its node
    // boxes shrank to 12 px text.
    for (name, tab, centre) in [
        ("active-client-fw-drops", RightTab::Story, "Ladder diagram"),
        ("active-client-fw-drops", RightTab::Inspector, "Event list"),
        (
            "nat-two-clients-active-alg",
            RightTab::Story,
            "Ladder diagram",
        ),
    ] {
        let mut h = harness(FtpLabApp::new(Some(&scenario(name))), (1280.0, 800.0));
        h.key_press(egui::Key::F);
        h.run();
        at_first_drop(&mut h);
        h.state_mut().right = tab;
        h.get_by_label(centre).click();
        h.run();
        h.run();
        let texts = painted_text(&h);
        assert!(texts.len() > 30, "{} texts", texts.len());
        let small: Vec<_> = texts
            .iter()
            .filter(|t| t.px < 18.0 - 0.01)
            .map(|t| (&t.text, t.px))
            .collect();
        assert!(
            small.is_empty(),
            "{name} {tab:?}: text under 18 px: {small:?}"
        );
        let faint: Vec<_> = texts
            .iter()
            .map(|t| (&t.text, contrast(t.color, t.background)))
            .filter(|(_, c)| *c < 4.5)
            .collect();
        assert!(
            faint.is_empty(),
            "{name} {tab:?}: text under 4.5:1: {faint:?}"
        );
    }
}

/// Seen in a teacher's trial (passive-range-mismatch, predict mode): "Which port will the
/// client connect to?" was asked under the network view's "SYN … → 203.0.113.10:46228".
#[test]
fn predict_mode_does_not_paint_the_answer_to_the_port_question() {
    let mut h = harness(
        FtpLabApp::new(Some(&scenario("passive-range-mismatch"))),
        (1280.0, 800.0),
    );
    h.key_press(egui::Key::P);
    h.run();
    assert!(step_to_question(
        &mut h,
        "Which port will the client connect to"
    ));
    let k = h.state().playback.asking.unwrap();
    let q = &h.state().run.lesson.questions[k];
    let answer = format!(":{}", q.choices[q.answer]);
    let shown: Vec<String> = painted_text(&h)
        .into_iter()
        .map(|t| t.text)
        .filter(|t| t.contains(&answer))
        .collect();
    assert!(
        shown.is_empty(),
        "the answer {answer} is on screen: {shown:?}"
    );
}

/// Predict mode at every port and firewall question of every shipped lesson, in every view
/// (ladder, event list, plot; story, inspector): nothing painted names the port that is the
/// answer (as an address's port, "port N" or "= N"), or the fate of a packet about to be
/// dropped or rejected.
#[test]
fn predict_mode_paints_no_port_answer_in_any_view_of_any_lesson() {
    use ftp_lab::gui::CentreTab;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    let mut asked = 0;
    for f in files {
        let mut h = harness(FtpLabApp::new(Some(&f)), (1280.0, 800.0));
        h.key_press(egui::Key::P);
        h.run();
        for _ in 0..400 {
            let Some(k) = h.state().playback.asking else {
                let at = h.state().playback.cursor;
                h.key_press(egui::Key::ArrowRight);
                h.run_steps(3);
                if h.state().playback.cursor == at && h.state().playback.asking.is_none() {
                    break;
                }
                continue;
            };
            let q = h.state().run.lesson.questions[k].clone();
            let a = q.choices[q.answer].clone();
            // What would tell the answer: the port, or the fate of the packet asked about.
            // A port an earlier data connection already used is the class's to see (the
            // server behind the ALG announces 10004 twice, as Linux keeps it).
            let cursor = h.state().playback.cursor;
            let seen_before = {
                let t = h.state().trace();
                t.events[..cursor].iter().any(|e| match &e.kind {
                    ftp_lab::trace::EventKind::Packet { packet, .. } => {
                        let p = &t.packets[*packet];
                        [p.src.port(), p.dst.port()]
                            .iter()
                            .any(|x| x.to_string() == a)
                    }
                    _ => false,
                })
            };
            let tells: Vec<String> = if q.text.starts_with("Which port") && seen_before {
                Vec::new()
            } else if q.text.starts_with("Which port") {
                vec![format!(":{a}"), format!("port {a}"), format!("= {a}")]
            } else if q.text.starts_with("What will") && (a == "drop" || a == "reject") {
                vec!["DROPPED".into(), "REJECTED".into(), "(stopped at".into()]
            } else {
                Vec::new()
            };
            if !tells.is_empty() {
                asked += 1;
                for centre in [CentreTab::Ladder, CentreTab::Events, CentreTab::Plot] {
                    for right in [RightTab::Story, RightTab::Inspector] {
                        h.state_mut().centre = centre;
                        h.state_mut().right = right;
                        h.run();
                        let shown: Vec<String> = painted_text(&h)
                            .into_iter()
                            .map(|t| t.text)
                            .filter(|t| tells.iter().any(|x| t.contains(x.as_str())))
                            .collect();
                        assert!(
                            shown.is_empty(),
                            "{f:?} {centre:?}/{right:?}: the answer {a} is on screen: {shown:?}"
                        );
                    }
                }
                h.state_mut().centre = CentreTab::Ladder;
                h.state_mut().right = RightTab::Story;
            }
            h.state_mut()
                .apply(ftp_lab::gui::model::Command::Answered(k));
            h.run_steps(3);
        }
    }
    assert!(asked >= 15, "only {asked} questions checked");
}

/// Seen in a teacher's trial at 1024×768: the NAT box read "public 198.51.10…", the one
/// address a NAT lesson is about.
#[test]
fn the_nat_public_address_is_never_cut() {
    for presentation in [false, true] {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("nat-client-active-no-alg"))),
            (1024.0, 768.0),
        );
        if presentation {
            h.key_press(egui::Key::F);
        }
        h.run();
        let texts: Vec<String> = painted_text(&h).into_iter().map(|t| t.text).collect();
        assert!(
            texts
                .iter()
                .any(|t| t.ends_with("198.51.100.2") && !t.contains('…')),
            "presentation={presentation}: {texts:?}"
        );
    }
}

/// A NAT rewrites what passes it: the ladder's arrow for the PORT an ALG rewrote shows the
/// command as the client sent it before the NAT and as the server got it after (a teacher's
/// trial: one label, the client's, on the whole arrow, so the ALG's work was invisible).
#[test]
fn the_ladder_shows_a_packet_before_and_after_the_nat() {
    for (w, hgt) in [(1024.0, 768.0), (1920.0, 1080.0)] {
        for presentation in [false, true] {
            let mut h = harness(
                FtpLabApp::new(Some(&scenario("nat-client-active-alg"))),
                (w, hgt),
            );
            if presentation {
                h.key_press(egui::Key::F);
            }
            // The cursor where the server reads the rewritten PORT.
            let port = h
                .state()
                .trace()
                .events
                .iter()
                .rposition(|e| match &e.kind {
                    ftp_lab::trace::EventKind::Packet { packet, .. } => h.state().trace().packets
                        [*packet]
                        .ftp_text
                        .as_deref()
                        .is_some_and(|t| t.starts_with("PORT")),
                    _ => false,
                })
                .unwrap();
            h.state_mut()
                .apply(ftp_lab::gui::model::Command::SeekEvent(port));
            h.run();
            h.run();
            // Only what the ladder painted: below its headers, between the side panels.
            let p = &h.state().probe;
            let top = p
                .ladder_headers
                .iter()
                .map(|r| r.bottom())
                .fold(0.0, f32::max);
            let left = p.left.map_or(0.0, |r| r.right());
            let (right, bottom) = (p.right.left(), p.bottom_bar.top());
            let texts: Vec<String> = painted_text(&h)
                .into_iter()
                .filter(|t| {
                    let c = t.shown.center();
                    c.y > top && c.y < bottom && c.x > left && c.x < right
                })
                .map(|t| t.text)
                .collect();
            let ctx = format!("{w}x{hgt} presentation={presentation}");
            assert!(
                texts.iter().any(|t| t.starts_with("PORT 10,0,0,")),
                "{ctx}: no PORT as sent: {texts:?}"
            );
            assert!(
                texts.iter().any(|t| t.starts_with("PORT 198,51,100,")),
                "{ctx}: no PORT as rewritten: {texts:?}"
            );
            // A data SYN's inside label keeps the inside address whole (found by a teacher's
            // fresh eyes at 1024: "SYN 203.0.113.10:20 → 10.0.0.5:36…", cut where it differs).
            let whole_port = |t: &str| {
                t.split("10.0.0.5:")
                    .skip(1)
                    .all(|rest| rest.chars().take_while(char::is_ascii_digit).count() == 5)
            };
            for t in texts.iter().filter(|t| t.contains("10.0.0.5:")) {
                assert!(whole_port(t), "{ctx}: the inside address is cut: {t}");
            }
        }
    }
}

/// Presentation mode keeps rule editing, in large print: "✏ Rules" puts the lesson's controls
/// where the story was, at every classroom size, with nothing cut or under 18 px, the node
/// boxes whole and the centre as wide as before (tried first with both panels: at 1024 the
/// node names were cut).
#[test]
fn presentation_mode_edits_rules_in_large_print_at_every_size() {
    for size in [(1024.0, 768.0), (1366.0, 768.0), (1920.0, 1080.0)] {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            size,
        );
        h.key_press(egui::Key::F);
        h.run();
        at_first_drop(&mut h);
        let before = h.state().probe.right.left();
        h.get_by_label("✏ Rules").click();
        h.run();
        h.run();
        let ctx = format!("{}×{} presentation with rules", size.0, size.1);
        let p = h.state().probe.clone();
        let left = p.left.expect("the rules are shown");
        assert!(inside(p.screen, left), "{ctx}: {left:?}");
        assert!(!p.node_boxes.is_empty(), "{ctx}: no topology");
        no_overlaps("node boxes", &p.node_boxes, &ctx);
        check_painted(&h, &ctx);
        let centre = p.screen.right() - left.right();
        assert!(
            centre >= 0.6 * p.screen.width() && centre >= before - left.width() - 1.0,
            "{ctx}: centre {centre}"
        );
        // The rules are there, large: as large as the rest of presentation mode on that
        // screen (the smallest text 15 px at 1024, 18 at 1366, 24 at 1920).
        let least = match size.0 as u32 {
            1024 => 15.0,
            1366 => 18.0,
            _ => 24.0,
        };
        let texts = painted_text(&h);
        assert!(
            texts.iter().any(|t| t.text.contains("drop")),
            "{ctx}: no rule painted"
        );
        let small: Vec<_> = texts
            .iter()
            .filter(|t| t.px < least - 0.01)
            .map(|t| (&t.text, t.px))
            .collect();
        assert!(small.is_empty(), "{ctx}: text under {least} px: {small:?}");
        h.get_by_label_contains("Firewall client-fw");
        // After an edit the top bar says so, without painting under its buttons (seen at
        // 1024: "● edited: client-fw rules changed" under "Next lesson ▸").
        h.get_by_label("Passive").click();
        h.run();
        h.get_all_by_label("Stateful").next().unwrap().click();
        h.run();
        h.run();
        assert!(h.state().doc.dirty());
        check_painted(&h, &format!("{ctx} after an edit"));
    }
}

/// Presentation mode's text grows with the screen: at 1920×1080 the smallest text painted is
/// 24 px (it was 18.9 px: the zoom stopped growing at 1280 px wide).
#[test]
fn presentation_text_is_at_least_24_px_on_a_1920_screen() {
    for tab in [RightTab::Story, RightTab::Inspector] {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            (1920.0, 1080.0),
        );
        h.key_press(egui::Key::F);
        h.run();
        at_first_drop(&mut h);
        h.state_mut().right = tab;
        h.run();
        h.run();
        let ctx = format!("1920×1080 presentation {tab:?}");
        check_layout(&h, &ctx);
        let small: Vec<_> = painted_text(&h)
            .into_iter()
            .filter(|t| t.px < 24.0 - 0.01)
            .map(|t| (t.text, t.px))
            .collect();
        assert!(small.is_empty(), "{ctx}: text under 24 px: {small:?}");
    }
}

/// Presentation mode shows the lesson's whole title, wrapped, above the picture (a teacher's
/// trial: "Active mode: the client's firewal…" in the top bar, the rest cut).
#[test]
fn presentation_mode_shows_the_whole_title() {
    let title = "Active mode: the client's firewall drops inbound connections";
    for size in [(1024.0, 768.0), (1366.0, 768.0), (1920.0, 1080.0)] {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            size,
        );
        h.key_press(egui::Key::F);
        h.run();
        h.run();
        let texts = painted_text(&h);
        let t = texts
            .iter()
            .find(|t| t.text == title)
            .unwrap_or_else(|| panic!("{size:?}: the title is not painted whole"));
        assert!(
            (t.full.width() - t.shown.width()).abs() < 1.0,
            "{size:?}: title cut"
        );
        check_layout(&h, &format!("{size:?} presentation with the title"));
    }
}

/// Nothing painted in the network picture covers anything else painted there: the clock, the
/// legend, the boxes' words, the links' delays, the packets' labels and the caption of a
/// stopped packet (a teacher's trial at 1366 in presentation: "✖ DROPPED at client-fw…" over
/// the links' "10 ms"; at 1280 a packet's label over the clock).
#[test]
fn nothing_in_the_network_picture_covers_anything_else() {
    for name in [
        "active-client-fw-drops",
        "active-client-fw-rejects-icmp",
        "nat-server-passive-alg",
        "nat-two-clients-active-alg",
    ] {
        for size in [
            (1024.0, 768.0),
            (1280.0, 800.0),
            (1366.0, 768.0),
            (1920.0, 1080.0),
        ] {
            for presentation in [false, true] {
                let mut h = harness(FtpLabApp::new(Some(&scenario(name))), size);
                if presentation {
                    h.key_press(egui::Key::F);
                    h.run();
                }
                let drop = first_drop(h.state());
                let stops = if drop > 0 {
                    vec![drop, drop + 1]
                } else {
                    vec![40, 90]
                };
                for at in stops {
                    h.state_mut()
                        .apply(ftp_lab::gui::model::Command::SeekEvent(at));
                    h.run();
                    h.run();
                    let ctx = format!("{name} {size:?} presentation={presentation} event {at}");
                    let tabs = h.get_by_label("Ladder diagram").rect().top();
                    let p = &h.state().probe;
                    let left = p.left.map_or(0.0, |r| r.right());
                    let right = if p.right.is_positive() {
                        p.right.left()
                    } else {
                        p.screen.right()
                    };
                    let texts: Vec<Painted> = painted_text(&h)
                        .into_iter()
                        .filter(|t| {
                            let c = t.shown.center();
                            c.y > p.top_bar.bottom() && c.y < tabs && c.x > left && c.x < right
                        })
                        .collect();
                    for (i, a) in texts.iter().enumerate() {
                        for b in &texts[i + 1..] {
                            assert!(
                                !a.shown.shrink(1.0).intersects(b.shown.shrink(1.0)),
                                "{ctx}: '{}' and '{}' painted over each other ({:?}, {:?})",
                                a.text,
                                b.text,
                                a.shown,
                                b.shown
                            );
                        }
                    }
                }
            }
        }
    }
}

/// The widgets added for the classroom, at 1024×768, 1366×768 and 1920×1080 in both looks,
/// judged from what egui painted: the lesson picker open, the draft rule editor open (in
/// presentation mode through "✏ Rules"), and two clients' terminals. Nothing cut, the bars'
/// words apart, the node boxes whole, every widget on the screen.
#[test]
fn the_picker_the_draft_rule_and_the_terminals_fit_every_size_in_both_looks() {
    for size in [(1024.0, 768.0), (1366.0, 768.0), (1920.0, 1080.0)] {
        for presentation in [false, true] {
            let ctx = format!("{size:?} presentation={presentation}");
            let start = |name: &str| {
                let mut h = harness(FtpLabApp::new(Some(&scenario(name))), size);
                if presentation {
                    h.key_press(egui::Key::F);
                    h.run();
                    h.get_by_label("✏ Rules").click();
                    h.run();
                }
                h
            };
            // The picker, open.
            let mut h = start("active-client-fw-drops");
            h.get_by_label("Choose a lesson ▾").click();
            h.run();
            h.run();
            let search = h.get_all_by_label("Search lessons:").last().unwrap().rect();
            assert!(inside(h.state().probe.screen, search), "{ctx}: {search:?}");
            check_painted(&h, &format!("{ctx} picker"));
            // The draft rule editor, open.
            let mut h = start("active-client-fw-drops");
            h.get_by_label_contains("2. [drop] drop inbound new")
                .scroll_to_me();
            h.run();
            h.get_by_label_contains("2. [drop] drop inbound new")
                .click();
            h.run();
            h.get_by_label("+ Add rule above rule 2").scroll_to_me();
            h.run();
            h.get_by_label("+ Add rule above rule 2").click();
            h.run();
            assert!(
                h.query_by_label("Add this rule").is_some(),
                "{ctx}: no draft"
            );
            h.get_by_label("Add this rule").scroll_to_me();
            h.run();
            h.run();
            let add = h.get_by_label("Add this rule").rect();
            let left = h.state().probe.left.unwrap();
            assert!(
                inside(left, add),
                "{ctx}: 'Add this rule' {add:?} outside {left:?}"
            );
            check_painted(&h, &format!("{ctx} draft rule"));
            // Two clients' terminals (the story is shown in presentation mode without rules).
            let mut h = harness(
                FtpLabApp::new(Some(&scenario("nat-two-clients-active-alg"))),
                size,
            );
            if presentation {
                h.key_press(egui::Key::F);
                h.run();
            }
            h.key_press(egui::Key::End);
            h.run();
            h.run();
            check_layout(&h, &format!("{ctx} terminals"));
        }
    }
}

/// Found by a teacher's fresh eyes: at the end of the run in presentation mode the story's
/// conclusion stopped mid-sentence ("…the server retried it 5 times (after 1, 3, 7, 15, 31 s)
/// and") above the terminal, and the terminal's newest line was half hidden. Both are whole.
#[test]
fn at_the_end_the_conclusion_and_the_last_terminal_line_are_whole() {
    for size in [(1366.0, 768.0), (1920.0, 1080.0), (1024.0, 768.0)] {
        let mut h = harness(
            FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
            size,
        );
        h.key_press(egui::Key::F);
        h.run();
        h.key_press(egui::Key::End);
        h.run();
        h.run();
        let texts = painted_text(&h);
        let whole = |what: &str| {
            let t = texts
                .iter()
                .find(|t| t.text.contains(what))
                .unwrap_or_else(|| panic!("{size:?}: '{what}' not painted"));
            assert!(
                (t.full.height() - t.shown.height()).abs() < 1.0,
                "{size:?}: '{}' cut ({:?} shown of {:?})",
                t.text,
                t.shown,
                t.full
            );
        };
        whole("the transfer failed 60.022 s after the first SYN");
        whole("221 Goodbye.");
    }
}

/// Found by a teacher's fresh eyes: in presentation mode the ladder's times ran into the
/// steps' badges ("15.242③"). Each time keeps clear of its row's badge, in both looks.
#[test]
fn the_ladder_times_keep_clear_of_the_step_badges() {
    for size in [(1024.0, 768.0), (1920.0, 1080.0)] {
        for presentation in [false, true] {
            let mut h = harness(
                FtpLabApp::new(Some(&scenario("active-client-fw-drops"))),
                size,
            );
            if presentation {
                h.key_press(egui::Key::F);
                h.run();
            }
            h.key_press(egui::Key::End);
            h.run();
            h.run();
            let texts = painted_text(&h);
            let is_time = |s: &str| {
                s.split_once('.').is_some_and(|(a, b)| {
                    b.len() == 3 && (a.to_owned() + b).chars().all(|c| c.is_ascii_digit())
                })
            };
            let mut pairs = 0;
            for t in texts.iter().filter(|t| is_time(&t.text)) {
                for b in texts.iter().filter(|b| {
                    ["1", "2", "3", "4"].contains(&b.text.as_str())
                        && (b.shown.center().y - t.shown.center().y).abs() < 4.0
                        && b.shown.left() > t.shown.left()
                }) {
                    pairs += 1;
                    let gap = b.shown.left() - t.shown.right();
                    assert!(
                        gap >= 8.0,
                        "{size:?} presentation={presentation}: '{}' and badge '{}' {gap} px apart",
                        t.text,
                        b.text
                    );
                }
            }
            assert!(
                pairs > 0,
                "{size:?} presentation={presentation}: no badge seen"
            );
        }
    }
}
