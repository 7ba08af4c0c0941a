//! Colours, sizes and the two looks: the normal light theme, and presentation mode for
//! projectors (bigger everything, pure black on white, thicker lines). Every colour a panel
//! writes text in is listed in `Palette::text_pairs`, with the background it is written on, so
//! a test can hold each pair to WCAG AA (a contrast ratio of 4.5:1).

use eframe::egui::{self, Color32, FontId, Stroke, TextStyle};

/// Colours and sizes the panels share, so control and data look the same everywhere.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub control: Color32,
    pub data: Color32,
    pub bad: Color32,
    pub ok: Color32,
    pub text: Color32,
    /// Secondary text (times, captions, rows still in the future).
    pub faint: Color32,
    /// Lines that only guide the eye (lifelines, grid).
    pub guide: Color32,
    pub node_fill: Color32,
    pub firewall_fill: Color32,
    pub nat_fill: Color32,
    pub background: Color32,
    pub highlight: Color32,
    pub label_bg: Color32,
    pub line: f32,
    /// Font size (points) of the labels painted on the canvases.
    pub font: f32,
    /// The smallest font size (points) any text may have.
    pub small: f32,
    pub presentation: bool,
}

impl Palette {
    pub fn new(presentation: bool) -> Palette {
        Palette {
            control: Color32::from_rgb(20, 85, 190),
            data: Color32::from_rgb(170, 70, 0),
            bad: Color32::from_rgb(190, 20, 30),
            ok: Color32::from_rgb(15, 115, 45),
            text: if presentation {
                Color32::BLACK
            } else {
                Color32::from_gray(20)
            },
            faint: Color32::from_gray(if presentation { 80 } else { 100 }),
            guide: Color32::from_gray(185),
            node_fill: Color32::from_rgb(238, 242, 247),
            firewall_fill: Color32::from_rgb(250, 228, 215),
            nat_fill: Color32::from_rgb(226, 240, 226),
            background: Color32::WHITE,
            highlight: Color32::from_rgb(255, 236, 160),
            label_bg: Color32::WHITE,
            line: if presentation { 3.0 } else { 2.0 },
            font: if presentation { 15.0 } else { 13.0 },
            small: if presentation { 14.0 } else { 11.0 },
            presentation,
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

    /// Every (text colour, background, where) pair the panels use.
    pub fn text_pairs(&self) -> Vec<(Color32, Color32, &'static str)> {
        let mut v = Vec::new();
        for bg in [
            self.background,
            self.node_fill,
            self.firewall_fill,
            self.nat_fill,
            self.highlight,
            self.label_bg,
        ] {
            v.push((self.text, bg, "text"));
            v.push((self.faint, bg, "secondary text and future rows"));
            v.push((self.control, bg, "control connection"));
            v.push((self.data, bg, "data connection"));
            v.push((self.bad, bg, "failure, drop"));
            v.push((self.ok, bg, "success"));
        }
        v
    }
}

/// The relative luminance of an sRGB colour (WCAG 2.1).
pub fn luminance(c: Color32) -> f64 {
    let f = |v: u8| {
        let s = f64::from(v) / 255.0;
        if s <= 0.04045 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * f(c.r()) + 0.7152 * f(c.g()) + 0.0722 * f(c.b())
}

/// The WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: Color32, b: Color32) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    (hi + 0.05) / (lo + 0.05)
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

/// The text sizes (points) of each text style in each look.
pub fn text_sizes(presentation: bool) -> [(TextStyle, f32); 5] {
    if presentation {
        [
            (TextStyle::Body, 15.0),
            (TextStyle::Button, 15.0),
            (TextStyle::Monospace, 14.0),
            (TextStyle::Heading, 20.0),
            (TextStyle::Small, 14.0),
        ]
    } else {
        [
            (TextStyle::Body, 14.0),
            (TextStyle::Button, 14.0),
            (TextStyle::Monospace, 13.0),
            (TextStyle::Heading, 19.0),
            (TextStyle::Small, 11.0),
        ]
    }
}

/// The zoom of a look for a window `size` pixels large (before the teacher's own zoom):
/// presentation mode magnifies with the screen, so that it always shows at least 950 × 570
/// points (what a 1280 × 800 projector shows at 1.35): 1.35 there and on 1366 × 768, 1.75 on
/// 1920 × 1080 (its smallest text 24 px), less on a smaller screen so the window still fits.
pub fn base_zoom(presentation: bool, size: egui::Vec2) -> f32 {
    if presentation {
        (size.x / 950.0).min(size.y / 570.0).clamp(1.0, 1.75)
    } else {
        1.0
    }
}

/// Apply the look (colours, text sizes, zoom).
pub fn apply(ctx: &egui::Context, presentation: bool, zoom: f32) {
    ctx.set_theme(egui::Theme::Light);
    let pal = Palette::new(presentation);
    let mut v = egui::Visuals::light();
    v.override_text_color = Some(pal.text);
    v.weak_text_color = Some(pal.faint);
    // egui's link blue reads at about 2.9:1 on white; this one at 7:1.
    v.hyperlink_color = Color32::from_rgb(0, 80, 170);
    if presentation {
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
        for (style, size) in text_sizes(presentation) {
            let font = if style == TextStyle::Monospace {
                FontId::monospace(size)
            } else {
                FontId::proportional(size)
            };
            s.text_styles.insert(style, font);
        }
    });
    ctx.set_zoom_factor(zoom);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_computed_as_wcag_does() {
        assert!((contrast(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(Color32::from_gray(130), Color32::WHITE) - 3.9).abs() < 0.1);
        assert!((contrast(Color32::from_gray(118), Color32::WHITE) - 4.54).abs() < 0.05);
    }

    #[test]
    fn every_text_colour_meets_wcag_aa_in_both_looks() {
        for presentation in [false, true] {
            let pal = Palette::new(presentation);
            for (fg, bg, what) in pal.text_pairs() {
                let c = contrast(fg, bg);
                assert!(
                    c >= 4.5,
                    "{what}: {fg:?} on {bg:?} is {c:.2}:1 (presentation {presentation})"
                );
            }
        }
    }
}
