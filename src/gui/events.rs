//! The event list: one row per trace event (time, where, from → to, summary, channel, step,
//! verdict), with filters. The cursor's row is highlighted and kept in view; clicking a row
//! moves the cursor there. The table draws only the rows in view.

use super::inspect::{Filter, filter_events, row};
use super::model::{Command, Playback};
use super::style::Palette;
use crate::ids::ConnId;
use crate::trace::{Channel, Trace};
use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct EventsState {
    pub filter: Filter,
    followed: Option<usize>,
}

pub fn show(
    ui: &mut egui::Ui,
    st: &mut EventsState,
    trace: &Trace,
    pb: &Playback,
    pal: &Palette,
) -> Option<Command> {
    let f = &mut st.filter;
    ui.horizontal_wrapped(|ui| {
        ui.label("Show:");
        ui.selectable_value(&mut f.channel, None, "Both channels");
        ui.selectable_value(&mut f.channel, Some(Channel::Control), "Control");
        ui.selectable_value(&mut f.channel, Some(Channel::Data), "Data");
        ui.separator();
        ui.checkbox(&mut f.ftp_only, "FTP lines only");
        ui.checkbox(&mut f.packets_only, "Packets only");
        ui.checkbox(&mut f.stopped_only, "Dropped or rejected only");
        let conn_words = |c: Option<ConnId>| match c.and_then(|c| trace.conn(c)) {
            None => "any connection".to_owned(),
            Some(c) => format!(
                "#{} {} {} → {}",
                c.id,
                match c.channel {
                    Channel::Control => "control",
                    Channel::Data => "data",
                },
                c.initiator,
                c.responder
            ),
        };
        if trace.clients.len() > 1 {
            let name = |c: Option<crate::ids::NodeId>| {
                c.map_or("every client".to_owned(), |c| trace.node_name(c).to_owned())
            };
            egui::ComboBox::from_label("Client")
                .selected_text(name(f.client))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.client, None, name(None));
                    for c in &trace.clients {
                        ui.selectable_value(&mut f.client, Some(c.node), name(Some(c.node)));
                    }
                });
        }
        egui::ComboBox::from_label("Connection")
            .selected_text(conn_words(f.conn))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.conn, None, conn_words(None));
                for c in &trace.connections {
                    ui.selectable_value(&mut f.conn, Some(c.id), conn_words(Some(c.id)));
                }
            });
    });
    // Predict mode: the rows after the cursor are not there yet.
    st.filter.until = pb.predict.then_some(pb.cursor);
    let rows = filter_events(trace, &st.filter);
    let total = if pb.predict {
        format!(
            "{} of the events so far shown (predict mode hides the rest)",
            rows.len()
        )
    } else {
        format!("{} of {} events shown", rows.len(), trace.events.len())
    };
    ui.label(RichText::new(total).small());
    // The row of the cursor, or the last row before it.
    let here = rows.partition_point(|i| *i <= pb.cursor).checked_sub(1);
    let mut cmd = None;
    let row_h = pal.font + 8.0;
    // The columns are wider than the panel: the table scrolls sideways as a whole.
    egui::ScrollArea::horizontal()
        .id_salt("events_h")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            table(ui, st, trace, pb, pal, &rows, here, row_h, &mut cmd)
        });
    cmd
}

#[allow(clippy::too_many_arguments)]
fn table(
    ui: &mut egui::Ui,
    st: &mut EventsState,
    trace: &Trace,
    pb: &Playback,
    pal: &Palette,
    rows: &[usize],
    here: Option<usize>,
    row_h: f32,
    cmd: &mut Option<Command>,
) {
    let _ = pb;
    // Labels in the rows must not take the click (text selection) from the row.
    ui.style_mut().interaction.selectable_labels = false;
    let mut table = TableBuilder::new(ui)
        .id_salt("events")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .auto_shrink([false, false])
        .column(Column::exact(52.0))
        .column(Column::initial(64.0).clip(true))
        .column(Column::initial(330.0).clip(true))
        .column(Column::initial(96.0))
        .column(Column::initial(300.0).clip(true))
        .column(Column::initial(56.0))
        .column(Column::initial(230.0).clip(true));
    if here != st.followed {
        if let Some(h) = here {
            table = table.scroll_to_row(h, Some(egui::Align::Center));
        }
        st.followed = here;
    }
    let heads = [
        "time (s)",
        "at",
        "what",
        "step",
        "firewall verdict",
        "channel",
        "from → to",
    ];
    table
        .header(row_h + 2.0, |mut hr| {
            for h in heads {
                hr.col(|ui| {
                    ui.strong(h);
                });
            }
        })
        .body(|body| {
            body.rows(row_h, rows.len(), |mut r| {
                let i = rows[r.index()];
                r.set_selected(Some(r.index()) == here);
                table_row(&mut r, trace, i, pal);
                if r.response().clicked() {
                    *cmd = Some(Command::SeekEvent(i));
                }
            });
        });
}

/// Event `i`'s row: a stopped packet's words in red.
fn table_row(r: &mut egui_extras::TableRow, trace: &Trace, i: usize, pal: &Palette) {
    let x = row(trace, i);
    let stopped = super::inspect::is_stopped(&trace.events[i].kind);
    let col = |t: String| {
        let rt = RichText::new(t);
        if stopped { rt.color(pal.bad) } else { rt }
    };
    let channel = match x.channel {
        Some(Channel::Data) => pal.data,
        _ => pal.control,
    };
    let cells = [
        RichText::new(x.time).monospace(),
        RichText::new(x.at),
        col(x.summary),
        RichText::new(x.step),
        col(x.verdict),
        RichText::new(super::inspect::channel_word(x.channel)).color(channel),
        RichText::new(x.from_to),
    ];
    for c in cells {
        r.col(|ui| {
            ui.label(c);
        });
    }
}
