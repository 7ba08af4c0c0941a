//! The keyboard: one table of bindings that both the key handler and the help overlay read,
//! so the help cannot list a key that does nothing or miss one that does something.

use super::model::Command;
use eframe::egui::{self, Key, Modifiers, RichText};

/// What a key asks the window to do.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UiCommand {
    Timeline(Command),
    /// The next step granularity (every event → packet → FTP line → handshake step).
    NextGranularity,
    Presentation,
    Predict,
    Help,
    /// Esc: close the help, a menu, the pen.
    Close,
    ZoomIn,
    ZoomOut,
    ZoomReset,
    Pen,
    ClearInk,
    Undo,
    Redo,
    /// F11: the whole screen, or back.
    Fullscreen,
}

/// One line of the help and the keys that do it.
pub struct Binding {
    /// How the help writes the keys.
    pub shown: &'static str,
    pub what: &'static str,
    pub keys: &'static [(Modifiers, Key)],
    pub cmd: UiCommand,
}

const N: Modifiers = Modifiers::NONE;
const CMD: Modifiers = Modifiers::COMMAND;

pub const BINDINGS: &[Binding] = &[
    Binding {
        shown: "Space",
        what: "play / pause",
        keys: &[(N, Key::Space)],
        cmd: UiCommand::Timeline(Command::TogglePlay),
    },
    Binding {
        shown: "→",
        what: "one step forward (as far as \"Step by\" says)",
        keys: &[(N, Key::ArrowRight)],
        cmd: UiCommand::Timeline(Command::StepForward),
    },
    Binding {
        shown: "←",
        what: "one step back, exactly",
        keys: &[(N, Key::ArrowLeft)],
        cmd: UiCommand::Timeline(Command::StepBack),
    },
    Binding {
        shown: "G",
        what: "step by: every event → packet → FTP line → handshake step",
        keys: &[(N, Key::G)],
        cmd: UiCommand::NextGranularity,
    },
    Binding {
        shown: "1",
        what: "jump to step 1 of the handshake",
        keys: &[(N, Key::Num1)],
        cmd: UiCommand::Timeline(Command::JumpToStep(1)),
    },
    Binding {
        shown: "2",
        what: "jump to step 2",
        keys: &[(N, Key::Num2)],
        cmd: UiCommand::Timeline(Command::JumpToStep(2)),
    },
    Binding {
        shown: "3",
        what: "jump to step 3",
        keys: &[(N, Key::Num3)],
        cmd: UiCommand::Timeline(Command::JumpToStep(3)),
    },
    Binding {
        shown: "4",
        what: "jump to step 4",
        keys: &[(N, Key::Num4)],
        cmd: UiCommand::Timeline(Command::JumpToStep(4)),
    },
    Binding {
        shown: "Home / End",
        what: "start / end of the run",
        keys: &[(N, Key::Home), (N, Key::End)],
        cmd: UiCommand::Timeline(Command::Start),
    },
    Binding {
        shown: "+  /  −",
        what: "play faster / slower",
        keys: &[(N, Key::Plus), (N, Key::Equals), (N, Key::Minus)],
        cmd: UiCommand::Timeline(Command::Faster),
    },
    Binding {
        shown: "F",
        what: "presentation mode (large, high contrast, for a projector)",
        keys: &[(N, Key::F)],
        cmd: UiCommand::Presentation,
    },
    Binding {
        shown: "P",
        what: "predict mode: hide the future and ask the class first",
        keys: &[(N, Key::P)],
        cmd: UiCommand::Predict,
    },
    Binding {
        shown: "Ctrl+=  /  Ctrl+−",
        what: "zoom in / out (also the slider in the top bar)",
        keys: &[(CMD, Key::Equals), (CMD, Key::Plus), (CMD, Key::Minus)],
        cmd: UiCommand::ZoomIn,
    },
    Binding {
        shown: "Ctrl+0",
        what: "zoom back to 100 %",
        keys: &[(CMD, Key::Num0)],
        cmd: UiCommand::ZoomReset,
    },
    // Redo before undo: a key pattern without Shift also matches with Shift held.
    Binding {
        shown: "F11",
        what: "fullscreen (for the projector), or back",
        keys: &[(N, Key::F11)],
        cmd: UiCommand::Fullscreen,
    },
    Binding {
        shown: "Ctrl+Shift+Z  /  Ctrl+Y",
        what: "redo the edit undone",
        keys: &[(CMD.plus(Modifiers::SHIFT), Key::Z), (CMD, Key::Y)],
        cmd: UiCommand::Redo,
    },
    Binding {
        shown: "Ctrl+Z",
        what: "undo the last edit (rules, ports, modes…)",
        keys: &[(CMD, Key::Z)],
        cmd: UiCommand::Undo,
    },
    Binding {
        shown: "D",
        what: "the pen: draw over the window (or hold Shift and drag), presentation mode",
        keys: &[(N, Key::D)],
        cmd: UiCommand::Pen,
    },
    Binding {
        shown: "C",
        what: "clear the ink",
        keys: &[(N, Key::C)],
        cmd: UiCommand::ClearInk,
    },
    Binding {
        shown: "? or H or F1",
        what: "this help",
        keys: &[(N, Key::Questionmark), (N, Key::H), (N, Key::F1)],
        cmd: UiCommand::Help,
    },
    Binding {
        shown: "Esc",
        what: "close the help, stop the pen, cancel a long run",
        keys: &[(N, Key::Escape)],
        cmd: UiCommand::Close,
    },
];

/// The command a pressed key stands for. Keys that share a line of the help but do
/// opposite things (End, −, Ctrl+−) are told apart here.
fn command_for(b: &Binding, key: Key) -> UiCommand {
    match (b.cmd, key) {
        (UiCommand::Timeline(Command::Start), Key::End) => UiCommand::Timeline(Command::End),
        (UiCommand::Timeline(Command::Faster), Key::Minus) => UiCommand::Timeline(Command::Slower),
        (UiCommand::ZoomIn, Key::Minus) => UiCommand::ZoomOut,
        (c, _) => c,
    }
}

/// Takes the bound keys pressed this frame out of the input, in the order pressed.
pub fn pressed(ctx: &egui::Context) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ctx.input_mut(|i| {
        for b in BINDINGS {
            for (m, k) in b.keys {
                // `consume_key` ignores Shift when the pattern has none: `+` typed as Shift+=,
                // `?` as Shift+/ both count.
                for _ in 0..i.count_and_consume_key(*m, *k) {
                    out.push(command_for(b, *k));
                }
            }
        }
    });
    out
}

/// Returns where the window was drawn.
pub fn show(ctx: &egui::Context, open: &mut bool) -> Option<egui::Rect> {
    // Never wider than the screen: on a 1024-pixel projector in presentation mode the words
    // wrap inside the window instead of running off its edge.
    let screen = ctx.content_rect();
    let width = (screen.width() * 0.9).min(760.0);
    egui::Window::new("Help: keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .fixed_size([width, screen.height() * 0.75])
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            let font = egui::TextStyle::Monospace.resolve(ui.style());
            let keys_w = BINDINGS
                .iter()
                .map(|b| {
                    ui.painter()
                        .layout_no_wrap(b.shown.to_owned(), font.clone(), egui::Color32::BLACK)
                        .size()
                        .x
                })
                .fold(0.0, f32::max)
                .min(width * 0.4);
            egui::ScrollArea::vertical()
                .max_height(screen.height() * 0.7)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for b in BINDINGS {
                        ui.horizontal_top(|ui| {
                            ui.allocate_ui_with_layout(
                                egui::vec2(keys_w, 0.0),
                                egui::Layout::top_down(egui::Align::Min),
                                |ui| {
                                    ui.set_width(keys_w);
                                    ui.add(
                                        egui::Label::new(RichText::new(b.shown).monospace().strong())
                                            .wrap(),
                                    );
                                },
                            );
                            ui.add_space(16.0);
                            ui.add(egui::Label::new(b.what).wrap());
                        });
                        ui.add_space(4.0);
                    }
                    ui.separator();
                    for line in [
                        "Blue packets belong to the control connection (port 21), orange ones to the data connection.",
                        "A red ✖ marks a packet a firewall stopped; the rule that stopped it is named beside it.",
                        "Edit a firewall rule on the left: the run is simulated again at once.",
                    ] {
                        ui.add(egui::Label::new(line).wrap());
                    }
                });
        })
        .map(|r| r.response.rect)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_words(k: Key) -> &'static str {
        match k {
            Key::ArrowRight => "→",
            Key::ArrowLeft => "←",
            Key::Plus | Key::Equals => "+",
            Key::Minus => "−",
            Key::Questionmark => "?",
            Key::Escape => "Esc",
            _ => k.name(),
        }
    }

    #[test]
    fn the_help_names_every_bound_key() {
        for b in BINDINGS {
            assert!(!b.keys.is_empty(), "{}", b.shown);
            for (m, k) in b.keys {
                let w = key_words(*k);
                assert!(
                    b.shown.contains(w),
                    "help line '{}' does not show {w}",
                    b.shown
                );
                if *m == CMD {
                    assert!(b.shown.contains("Ctrl"), "{}", b.shown);
                }
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for b in BINDINGS {
            for (m, k) in b.keys {
                assert!(
                    seen.insert((m.command, m.shift, k.name())),
                    "{k:?} bound twice"
                );
            }
        }
    }

    #[test]
    fn the_readme_lists_the_same_keys() {
        let readme = include_str!("../../README.md");
        for b in BINDINGS {
            // The row's first cell shows the keys as the help does (1–4 share one row).
            let found = readme.lines().any(|l| {
                let cell = l
                    .trim_start_matches('|')
                    .split('|')
                    .next()
                    .unwrap_or("")
                    .trim();
                cell == b.shown || cell.split_whitespace().any(|k| k == b.shown)
            });
            assert!(found, "README's key table lacks {}", b.shown);
        }
    }
}
