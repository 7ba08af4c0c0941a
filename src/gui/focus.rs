//! Keyboard focus at start. A window manager gives a new window the focus (eframe asks it to
//! with `ViewportCommand::Focus`); on an X display without one — a classroom kiosk, a projector
//! PC started straight into X, Xvfb — nobody does, and every key press is lost until the window
//! is clicked. There the window takes the focus itself, once, and only when no other window
//! has it (focus "none" or "pointer root"): it never takes the focus from another program.

/// Tries to give the window of `frame` the keyboard focus. `Some(true)`: it has it; `Some(false)`:
/// another window has it, leave it; `None`: not possible yet (not mapped) or not X11.
#[cfg(target_os = "linux")]
pub fn take(frame: &eframe::Frame) -> Option<bool> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConnectionExt, InputFocus};
    let window = match frame.window_handle().ok()?.as_raw() {
        RawWindowHandle::Xlib(x) => u32::try_from(x.window).ok()?,
        RawWindowHandle::Xcb(x) => x.window.get(),
        _ => return Some(true),
    };
    let (conn, _) = x11rb::connect(None).ok()?;
    let focus = conn.get_input_focus().ok()?.reply().ok()?.focus;
    if focus == window {
        return Some(true);
    }
    // 0: no window has the focus; 1: the focus follows the pointer (PointerRoot).
    if focus > 1 {
        return Some(false);
    }
    conn.set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)
        .ok()?
        .check()
        .ok()?;
    conn.flush().ok()?;
    Some(true)
}

/// Whether an X window manager runs (one that follows the EWMH sets the root window's
/// `_NET_SUPPORTING_WM_CHECK`). `None`: not X11, or the display cannot be asked.
#[cfg(target_os = "linux")]
pub fn window_manager(frame: &eframe::Frame) -> Option<bool> {
    use raw_window_handle::{HasWindowHandle, RawWindowHandle};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{AtomEnum, ConnectionExt};
    if !matches!(
        frame.window_handle().ok()?.as_raw(),
        RawWindowHandle::Xlib(_) | RawWindowHandle::Xcb(_)
    ) {
        return None;
    }
    let (conn, screen) = x11rb::connect(None).ok()?;
    let root = conn.setup().roots.get(screen)?.root;
    let atom = conn
        .intern_atom(true, b"_NET_SUPPORTING_WM_CHECK")
        .ok()?
        .reply()
        .ok()?
        .atom;
    if atom == 0 {
        return Some(false);
    }
    let reply = conn
        .get_property(false, root, atom, AtomEnum::WINDOW, 0, 1)
        .ok()?
        .reply()
        .ok()?;
    Some(reply.value_len > 0)
}

#[cfg(not(target_os = "linux"))]
pub fn window_manager(_frame: &eframe::Frame) -> Option<bool> {
    None
}

#[cfg(not(target_os = "linux"))]
pub fn take(_frame: &eframe::Frame) -> Option<bool> {
    Some(true)
}
