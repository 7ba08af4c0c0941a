//! Colours and the two looks: the normal light theme, and presentation mode for projectors
//! (bigger everything, pure black on white, thicker lines).

use eframe::egui::{self, Color32, FontId, Stroke, TextStyle};

/// Colours the panels share, so control and data look the same everywhere.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub control: Color32,
    pub data: Color32,
    pub bad: Color32,
    pub ok: Color32,
    pub text: Color32,
    pub faint: Color32,
    pub node_fill: Color32,
    pub firewall_fill: Color32,
    pub highlight: Color32,
    pub label_bg: Color32,
    pub line: f32,
    /// Font size of the labels painted on the canvases.
    pub font: f32,
}

impl Palette {
    pub fn new(presentation: bool, dark: bool) -> Palette {
        let (text, faint, node_fill, highlight, label_bg) = if dark {
            (
                Color32::from_gray(235),
                Color32::from_gray(110),
                Color32::from_gray(45),
                Color32::from_rgba_unmultiplied(255, 220, 80, 40),
                Color32::from_rgba_unmultiplied(20, 20, 20, 235),
            )
        } else {
            (
                if presentation {
                    Color32::BLACK
                } else {
                    Color32::from_gray(20)
                },
                Color32::from_gray(if presentation { 130 } else { 165 }),
                Color32::from_rgb(238, 242, 247),
                Color32::from_rgba_unmultiplied(255, 200, 0, 60),
                Color32::from_rgba_unmultiplied(255, 255, 255, 240),
            )
        };
        Palette {
            control: Color32::from_rgb(25, 100, 210),
            data: Color32::from_rgb(205, 95, 0),
            bad: Color32::from_rgb(205, 20, 30),
            ok: Color32::from_rgb(20, 135, 55),
            text,
            faint,
            node_fill,
            firewall_fill: Color32::from_rgb(250, 228, 215),
            highlight,
            label_bg,
            line: if presentation { 3.0 } else { 2.0 },
            font: 13.0,
        }
    }

    pub fn channel(&self, c: Option<crate::trace::Channel>) -> Color32 {
        match c {
            Some(crate::trace::Channel::Data) => self.data,
            _ => self.control,
        }
    }

    pub fn font(&self) -> FontId {
        FontId::proportional(self.font)
    }
}

/// Fonts: egui's defaults with its emoji fonts, and Hack as a last fallback for the
/// proportional text too (it has the arrows → ← ↔ and ● that packet labels use).
pub fn install_fonts(ctx: &egui::Context) {
    let mut defs = egui::FontDefinitions::default();
    if let Some(p) = defs.families.get_mut(&egui::FontFamily::Proportional) {
        p.push("Hack".to_owned());
    }
    ctx.set_fonts(defs);
}

/// Apply the look. Presentation mode zooms everything by 1.35 and raises contrast.
pub fn apply(ctx: &egui::Context, presentation: bool) {
    ctx.set_theme(egui::Theme::Light);
    let mut v = egui::Visuals::light();
    if presentation {
        v.override_text_color = Some(Color32::BLACK);
        v.panel_fill = Color32::WHITE;
        v.window_fill = Color32::WHITE;
        v.extreme_bg_color = Color32::WHITE;
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.5, Color32::from_gray(60));
        v.widgets.inactive.bg_stroke = Stroke::new(1.5, Color32::from_gray(40));
        v.widgets.inactive.fg_stroke = Stroke::new(1.5, Color32::BLACK);
        v.selection.bg_fill = Color32::from_rgb(255, 215, 0);
        v.selection.stroke = Stroke::new(2.0, Color32::BLACK);
    }
    ctx.set_visuals_of(egui::Theme::Light, v);
    ctx.all_styles_mut(|s| {
        s.text_styles
            .insert(TextStyle::Body, FontId::proportional(14.0));
        s.text_styles
            .insert(TextStyle::Button, FontId::proportional(14.0));
        s.text_styles
            .insert(TextStyle::Monospace, FontId::monospace(13.0));
        s.text_styles
            .insert(TextStyle::Heading, FontId::proportional(19.0));
        s.text_styles
            .insert(TextStyle::Small, FontId::proportional(11.0));
    });
    ctx.set_zoom_factor(if presentation { 1.35 } else { 1.0 });
}
