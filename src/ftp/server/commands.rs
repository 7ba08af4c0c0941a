//! What the server does with each command (the replies are vsftpd's texts; where RFC 2428
//! and vsftpd differ, the RFC's code is used and the difference is said).

use super::profile::ConnectsAt;
use super::{
    DataSetup, Login, MAX_PASV_TRIES, PasvRetry, Refusal, ServerAction, ServerNote, ServerSession,
    Work,
};
use crate::ftp::announce::Kind;
use crate::ftp::command::{Command, CommandError};
use crate::ftp::reply::Reply;
use crate::ftp::store::{FileStore, format_list, format_nlst, resolve};
use crate::time::Time;
use std::net::SocketAddrV4;

impl ServerSession {
    pub(super) fn command(&mut self, text: &str, now: Time, store: &mut dyn FileStore) {
        let cmd = match Command::parse(text) {
            Ok(c) => c,
            Err(e) => return self.refuse_unparsed(e),
        };
        let logged_in = matches!(self.login, Login::In { .. });
        match cmd {
            Command::User(u) => self.user(u),
            Command::Pass(p) => self.pass(p, now),
            Command::Quit => {
                self.reply(221, "Goodbye.");
                if self.data != DataSetup::None {
                    self.out.push_back(ServerAction::AbortData);
                    self.data = DataSetup::None;
                }
                self.out.push_back(ServerAction::CloseControl);
                self.closed = true;
            }
            Command::Noop => self.reply(200, "NOOP ok."),
            Command::Other { verb, .. } => self.unknown(&verb),
            _ if !logged_in => self.reply(530, "Please login with USER and PASS."),
            cmd => self.logged_in_command(cmd, now, store),
        }
    }

    fn refuse_unparsed(&mut self, e: CommandError) {
        let (code, text) = (self.behaves().texts.unparsed)(&e);
        self.reply(code, text);
    }

    fn unknown(&mut self, verb: &str) {
        match verb {
            "ABOR" => self.reply(225, "No transfer to ABOR."),
            "FEAT" | "SIZE" | "MDTM" | "REST" | "DELE" | "MKD" | "RMD" | "STAT" | "HELP"
            | "MODE" | "STRU" | "APPE" | "RNFR" | "RNTO" | "SITE" | "AUTH" | "OPTS" => {
                self.reply(502, "Command not implemented.")
            }
            _ => self.reply(500, "Unknown command."),
        }
    }

    fn user(&mut self, u: String) {
        if matches!(self.login, Login::In { .. }) {
            return self.reply(530, "Can't change to another user.");
        }
        self.login = Login::User(u);
        let text = self.behaves().texts.user_ok;
        self.reply(331, text);
    }

    fn pass(&mut self, p: String, now: Time) {
        let Login::User(u) = &self.login else {
            return if matches!(self.login, Login::In { .. }) {
                self.reply(230, "Already logged in.")
            } else {
                self.reply(503, "Login with USER first.")
            };
        };
        let anon = self.cfg.anonymous && (u == "anonymous" || u == "ftp");
        let known = self.cfg.users.iter().any(|(n, pw)| n == u && *pw == p);
        if anon || known {
            self.login = Login::In { anonymous: anon };
            return self.reply(230, "Login successful.");
        }
        self.login = Login::None;
        self.login_fails += 1;
        let r = Reply::new(530, "Login incorrect.");
        if self.cfg.delay_failed_login.is_zero() {
            self.held = Some((now, r));
            self.release_held();
        } else {
            // vsftpd `delay_failed_login`: nothing more is read until the reply goes out.
            self.held = Some((now + self.cfg.delay_failed_login, r));
        }
    }

    fn logged_in_command(&mut self, cmd: Command, now: Time, store: &mut dyn FileStore) {
        match cmd {
            Command::Syst => self.reply(215, "UNIX Type: L8"),
            Command::Pwd => {
                let cwd = self.cwd.clone();
                // RFC 959 appendix II: a quote in the name is doubled (as vsftpd does).
                let quoted = cwd.replace('"', "\"\"");
                self.reply(257, format!("\"{quoted}\" is the current directory"))
            }
            Command::Cwd(dir) => {
                let path = resolve(&self.cwd, &dir);
                if path == "/" || store.is_dir(&path) {
                    self.cwd = path;
                    self.reply(250, "Directory successfully changed.");
                } else {
                    self.reply(550, "Failed to change directory.");
                }
            }
            Command::Type(t) => match t.to_ascii_uppercase().as_str() {
                "I" | "L 8" => self.reply(200, "Switching to Binary mode."),
                "A" | "A N" => self.reply(200, "Switching to ASCII mode."),
                _ => self.reply(504, "Bad TYPE command."),
            },
            Command::Port(addr) => self.port(addr, false, now),
            Command::Eprt(addr) => self.port(addr, true, now),
            Command::Pasv => self.pasv(false, now),
            Command::Epsv(arg) => self.epsv(arg.as_deref(), now),
            Command::Allo(n) => self.allo(&n),
            Command::List(arg) => self.list(arg, false, now, store),
            Command::Nlst(arg) => self.list(arg, true, now, store),
            Command::Retr(name) => self.retr(&name, now, store),
            Command::Stor(name) => self.stor(&name, now, store),
            // Handled before login is checked.
            Command::User(_) | Command::Pass(_) | Command::Quit | Command::Noop => {}
            Command::Other { .. } => {}
        }
    }

    fn list(&mut self, arg: Option<String>, nlst: bool, now: Time, store: &mut dyn FileStore) {
        // `ls -l`-style flags (`LIST -la`) are accepted and ignored, as vsftpd does.
        let arg = arg.filter(|a| !a.starts_with('-'));
        let path = resolve(&self.cwd, arg.as_deref().unwrap_or("."));
        let listing = match store.list(&path) {
            Ok(entries) if nlst => format_nlst(&entries),
            Ok(entries) => format_list(&entries),
            Err(_) => String::new(), // vsftpd sends an empty listing for a missing path
        };
        self.begin(
            Work::Send {
                source: Box::new(std::io::Cursor::new(listing.into_bytes())),
                start: Reply::new(150, "Here comes the directory listing."),
                done: Reply::new(226, self.behaves().texts.listing_done),
            },
            now,
        );
    }

    fn retr(&mut self, name: &str, now: Time, store: &mut dyn FileStore) {
        let path = resolve(&self.cwd, name);
        match store.open_read(&path) {
            Ok((n, source)) => {
                let start = format!("Opening BINARY mode data connection for {name} ({n} bytes).");
                self.begin(
                    Work::Send {
                        source,
                        start: Reply::new(150, start),
                        done: Reply::new(226, "Transfer complete."),
                    },
                    now,
                );
            }
            Err(_) => self.reply(550, "Failed to open file."),
        }
    }

    fn stor(&mut self, name: &str, now: Time, store: &mut dyn FileStore) {
        let anonymous = matches!(self.login, Login::In { anonymous: true });
        if self.cfg.read_only || (anonymous && !self.cfg.anon_upload) {
            self.allo = None;
            return self.reply(550, "Permission denied.");
        }
        let path = resolve(&self.cwd, name);
        match store.open_write(&path) {
            Ok(upload) => {
                let expected = self.allo.take();
                self.begin(Work::Receive { upload, expected }, now);
            }
            Err(_) => self.reply(553, "Could not create file."),
        }
    }

    fn allo(&mut self, n: &str) {
        match n
            .split_whitespace()
            .next()
            .and_then(|x| x.parse::<u64>().ok())
        {
            Some(size) => {
                self.allo = Some(size);
                self.reply(
                    200,
                    format!("ALLO noted: the next upload must be {size} bytes."),
                );
            }
            None => self.reply(501, "Syntax error: ALLO needs a size in bytes."),
        }
    }

    fn port(&mut self, addr: SocketAddrV4, extended: bool, now: Time) {
        let verb = if extended { "EPRT" } else { "PORT" };
        let b = self.behaves();
        if self.cfg.refuse_port_bounce {
            let why = if addr.ip() != self.peer.ip() {
                Some(Refusal::ForeignAddress {
                    control: *self.peer.ip(),
                })
            } else if addr.port() < 1024 {
                Some(Refusal::PrivilegedPort)
            } else {
                None
            };
            if let Some(why) = why {
                self.note(ServerNote::RefusedAnnouncement {
                    verb: if extended { Kind::Eprt } else { Kind::Port },
                    addr,
                    why,
                });
                let foreign = matches!(why, Refusal::ForeignAddress { .. });
                let (code, text) = (b.texts.refuse_port)(verb, addr, foreign);
                return self.reply(code, text);
            }
        }
        self.drop_data_setup();
        if b.connects_at == ConnectsAt::Port {
            // pyftpdlib connects now, from an ephemeral port, and answers once it knows.
            self.data = DataSetup::ActiveConnecting {
                to: addr,
                deadline: now + self.cfg.connect_timeout,
            };
            self.out.push_back(ServerAction::ConnectData {
                from_port: self.cfg.active_data_port,
                to: addr,
            });
            return;
        }
        self.data = DataSetup::Active(addr);
        self.reply(
            200,
            if extended {
                b.texts.eprt_ok
            } else {
                b.texts.port_ok
            },
        );
    }

    /// A new PORT, EPRT, PASV or EPSV replaces the data connection set up before (a listener,
    /// a connect in progress, or an open one).
    fn drop_data_setup(&mut self) {
        if matches!(
            self.data,
            DataSetup::Passive { .. }
                | DataSetup::ActiveConnecting { .. }
                | DataSetup::ActiveOpen(_)
        ) {
            self.out.push_back(ServerAction::AbortData);
        }
    }

    fn epsv(&mut self, arg: Option<&str>, now: Time) {
        match arg.map(str::to_ascii_uppercase).as_deref() {
            None | Some("1") => self.pasv(true, now),
            Some("ALL") => self.reply(200, "EPSV ALL ok."),
            Some(_) => self.reply(522, "Network protocol not supported, use (1)."),
        }
    }

    fn pasv(&mut self, extended: bool, now: Time) {
        self.drop_data_setup();
        let (lo, hi) = self.cfg.passive_range;
        let port = self.rng.range_u16(lo, hi);
        let deadline = self
            .behaves()
            .accept_from_pasv
            .then(|| now + self.cfg.accept_timeout);
        self.data = DataSetup::Passive {
            port,
            first: port,
            tries: 1,
            extended,
            ready: false,
            peer: None,
            deadline,
        };
        self.out.push_back(ServerAction::ListenData { port });
    }

    /// The port just tried is in use (or could not be bound): try another, as the retry
    /// policy says, or give up.
    pub(super) fn next_passive_port(&mut self, port: u16, why: String) {
        let (lo, hi) = self.cfg.passive_range;
        let size = u32::from(hi.saturating_sub(lo)) + 1;
        let DataSetup::Passive { first, tries, .. } = &mut self.data else {
            return;
        };
        let retry = self
            .cfg
            .pasv_retry_of
            .unwrap_or(self.cfg.profile)
            .behaviour();
        let next = match retry.pasv_retry {
            PasvRetry::EveryPort if *tries < size.min(MAX_PASV_TRIES) => {
                // The ports after the first one, wrapping at the top of the range.
                let offset = (u32::from(*first - lo) + *tries) % size;
                Some(lo + offset as u16)
            }
            PasvRetry::RandomThenQuit { picks } if *tries < picks => {
                Some(self.rng.range_u16(lo, hi))
            }
            _ => None,
        };
        let tried = *tries;
        match next {
            Some(p) => {
                if let DataSetup::Passive { port, tries, .. } = &mut self.data {
                    *port = p;
                    *tries += 1;
                }
                self.out.push_back(ServerAction::ListenData { port: p });
            }
            None => {
                // vsftpd ends the session (`500 OOPS`); pyftpdlib answers and goes on.
                let e = &self
                    .cfg
                    .pasv_retry_of
                    .unwrap_or(self.cfg.profile)
                    .behaviour()
                    .exhausted;
                self.note(ServerNote::PassiveRangeExhausted {
                    range: (lo, hi),
                    tried,
                    last: port,
                    why,
                    session_ends: e.ends_session,
                });
                self.data = DataSetup::None;
                if e.ends_session {
                    self.close_session(e.code, e.text);
                } else {
                    self.reply(e.code, e.text);
                }
            }
        }
    }
}
