//! Class ▾ → "Let the class answer": the window's side of a class session. It starts the
//! server (`crate::class::server`) on the teacher's LAN, shows the join address and its QR
//! code, sends each predict question as the window asks it, shows how many have answered
//! (never the split) until the answer is shown, then puts the class's counts beside each
//! choice (the "hands" the teacher would otherwise count). It only locks the session for a
//! moment each frame; the network never waits on the window nor the window on it.

use super::predict::PredictState;
use super::questions::Question;
use crate::class::server::ClassServer;
use eframe::egui::{self, RichText};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The port tried first (then any free one).
pub const PORT: u16 = 8080;

pub struct ClassUi {
    server: ClassServer,
    pub url: String,
    /// The window's question sent, and the session's id for it.
    asked: Option<(usize, u64)>,
    revealed: Option<usize>,
    pub show_qr: bool,
}

/// The address other machines on the LAN reach this one at: the source address of the
/// route to the outside (no packet is sent), or loopback when there is none.
pub fn lan_address() -> IpAddr {
    let guess = std::net::UdpSocket::bind("0.0.0.0:0").and_then(|s| {
        s.connect("192.0.2.1:9")?;
        s.local_addr()
    });
    match guess {
        Ok(a) if !a.ip().is_unspecified() => a.ip(),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    }
}

impl ClassUi {
    /// Starts a session on every interface at `port` (0: any free port; `PORT` busy: any).
    pub fn start(port: u16) -> Result<ClassUi, String> {
        let any = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), p);
        let server = ClassServer::start(any(port))
            .or_else(|_| ClassServer::start(any(0)))
            .map_err(|e| format!("the class session could not start: {e}"))?;
        let url = server.url(lan_address());
        Ok(ClassUi {
            server,
            url,
            asked: None,
            revealed: None,
            show_qr: false,
        })
    }

    pub fn server(&self) -> &ClassServer {
        &self.server
    }

    /// Joined, and answered to the question asked.
    pub fn counts(&self) -> (usize, usize) {
        self.server.read(crate::class::Session::answered)
    }

    /// Each frame: the question the window asks goes to the class; once its answer is shown
    /// in the window, the class sees it too, and its counts stand beside the choices.
    pub fn sync(&mut self, asking: Option<usize>, qs: &[Question], predict: &mut PredictState) {
        let Some(k) = asking else {
            return;
        };
        let Some(q) = qs.get(k) else {
            return;
        };
        if self.asked.map(|(a, _)| a) != Some(k) {
            let id = self.server.with(|s| s.ask(&q.text, &q.choices));
            self.asked = Some((k, id));
            self.revealed = None;
        }
        if predict.revealed_question() == Some(k) && self.revealed != Some(k) {
            self.server.with(|s| s.reveal(q.answer, &q.explain));
            self.revealed = Some(k);
        }
        if self.revealed == Some(k)
            && let Some(t) = self
                .server
                .read(|s| s.histogram().map(|t| t.counts.clone()))
        {
            predict.set_hands(&t);
        }
    }

    /// The lesson's tally, as CSV.
    pub fn csv(&self) -> String {
        self.server.read(crate::class::Session::csv)
    }

    /// Ends the session: the students' pages say so, every connection is closed.
    pub fn stop(self) {
        self.server.stop();
    }

    /// The join address and its QR code, large, for the room.
    pub fn qr_window(&mut self, ctx: &egui::Context) {
        if !self.show_qr {
            return;
        }
        let mut open = true;
        egui::Window::new("Join the class")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(RichText::new("Scan, or type the address:").size(18.0));
                ui.label(RichText::new(&self.url).monospace().size(18.0));
                qr(ui, &self.url);
                ui.label("Phones and laptops on the same network as this machine.");
            });
        self.show_qr = open;
    }
}

/// A QR code of `text`, drawn square by square.
fn qr(ui: &mut egui::Ui, text: &str) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        ui.label("(too long for a QR code)");
        return;
    };
    let n = code.width();
    let quiet = 4;
    let side = 360.0_f32.min(ui.ctx().content_rect().height() * 0.6);
    let cell = side / (n + 2 * quiet) as f32;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 0.0, egui::Color32::WHITE);
    let colors = code.to_colors();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = ((i % n + quiet) as f32, (i / n + quiet) as f32);
            let r = egui::Rect::from_min_size(
                rect.min + egui::vec2(x * cell, y * cell),
                egui::vec2(cell.ceil(), cell.ceil()),
            );
            p.rect_filled(r, 0.0, egui::Color32::BLACK);
        }
    }
}
