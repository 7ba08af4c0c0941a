//! Settings that survive a restart (eframe persistence). Presentation and predict mode do
//! not: a window that opened without its controls (an exercise, whose task and checklist are
//! there) or asking questions nobody asked for confused a teacher who had used them the day
//! before; F and P bring them back with one key.

use super::{FtpLabApp, files, model};
use std::path::PathBuf;

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub(super) struct Prefs {
    pub last_scenario: Option<PathBuf>,
    speed: Option<usize>,
    granularity: model::Granularity,
    zoom: Option<f32>,
    recent: Vec<PathBuf>,
    last_folder: Option<PathBuf>,
}

impl FtpLabApp {
    pub(super) fn prefs(&self) -> Prefs {
        Prefs {
            last_scenario: self.doc.path.clone(),
            speed: Some(self.playback.speed),
            granularity: self.playback.granularity,
            zoom: Some(self.looks.zoom),
            recent: self.recent.clone(),
            last_folder: self.last_folder.clone(),
        }
    }

    pub(super) fn load_prefs(&mut self, p: Prefs) {
        if let Some(s) = p.speed {
            self.playback.speed = s.min(model::SPEEDS.len() - 1);
        }
        self.playback.granularity = p.granularity;
        if let Some(z) = p.zoom.filter(|z| z.is_finite()) {
            self.set_zoom(z);
        }
        self.recent = p
            .recent
            .into_iter()
            .filter(|p| p.is_file())
            .take(files::RECENT)
            .collect();
        self.last_folder = p.last_folder.filter(|d| d.is_dir());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seen in a teacher's trial: presentation mode kept from the day before opened an
    /// exercise without its panel (no task, no checklist, no rule editor).
    #[test]
    fn presentation_and_predict_mode_start_off_whatever_was_saved() {
        let old = r#"(presentation: true, predict: true, speed: Some(3))"#;
        let p: Prefs = ron::from_str(old).unwrap();
        let mut app = FtpLabApp::new(None);
        app.load_prefs(p);
        assert!(!app.presentation() && app.show_controls && !app.playback.predict);
        assert_eq!(app.playback.speed, 3);
    }
}
