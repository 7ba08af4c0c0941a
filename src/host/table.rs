//! A host's TCP sockets, each in a socket set of its own, and how to find one fast: by
//! 4-tuple, by listening port, by the role the application gave it, and by when smoltcp next
//! wants it polled. A packet is handed to its own socket and only that socket is polled, so a
//! server with a thousand sessions pays for one socket per packet, not a thousand.

use super::device::SimDevice;
use crate::time::Time;
use smoltcp::iface::{Interface, SocketHandle, SocketSet};
use smoltcp::socket::tcp::{self, State};
use smoltcp::wire::{IpAddress, IpEndpoint};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddrV4;

/// Buffer sizes: a control connection carries lines, a data connection files.
const CONTROL_BUF: usize = 4 * 1024;
const DATA_BUF: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The server's listener on its control port.
    ControlListen,
    Control,
    DataListen,
    Data,
}

impl Role {
    fn is_data(self) -> bool {
        matches!(self, Role::Data | Role::DataListen)
    }
}

/// What the host knows about one socket, besides smoltcp's own state.
#[derive(Debug)]
pub struct Sock {
    pub role: Role,
    /// The server session it belongs to (0 for the client).
    pub owner: usize,
    pub last: State,
    /// The connection was established at some point.
    pub opened: bool,
    /// We were asked to close once the send buffer is flushed.
    pub close_when_flushed: bool,
    /// `close()` was called.
    pub closing: bool,
    pub eof_reported: bool,
    pub closed_reported: bool,
    pub pending: Vec<u8>,
    pub local: Option<SocketAddrV4>,
    pub remote: Option<SocketAddrV4>,
    /// Removed from smoltcp (a connect given up, a listener no longer wanted).
    pub gone: bool,
    /// A control listener that left LISTEN has been replaced by a new one.
    pub relistened: bool,
}

/// One socket in its own set, with its own packet queues.
pub struct Conn {
    pub set: SocketSet<'static>,
    pub handle: SocketHandle,
    pub dev: SimDevice,
    pub meta: Sock,
    timer: Option<Time>,
    key: Option<Key>,
}

impl Conn {
    pub fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.set.get_mut::<tcp::Socket>(self.handle)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Listen(u16),
    Tuple(u16, SocketAddrV4),
}

fn v4(ep: IpEndpoint) -> Option<SocketAddrV4> {
    match ep.addr {
        IpAddress::Ipv4(a) => Some(SocketAddrV4::new(a, ep.port)),
    }
}

/// The sockets of one host.
#[derive(Default)]
pub struct Table {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    tuples: BTreeMap<(u16, SocketAddrV4), usize>,
    listeners: BTreeMap<u16, usize>,
    /// The socket an application addresses by (role, owner): the newest one not closing.
    by_role: BTreeMap<(Role, usize), usize>,
    /// The newest socket of a (role, owner), closing or not (to name a connection).
    latest: BTreeMap<(Role, usize), usize>,
    /// Each owner's data sockets (to abort them all).
    data_of: BTreeMap<usize, BTreeSet<usize>>,
    /// Local ports in use, and by how many sockets.
    ports: BTreeMap<u16, usize>,
    timers: BTreeSet<(Time, usize)>,
    /// Sockets to poll now.
    pub dirty: BTreeSet<usize>,
    /// Sockets with bytes to hand to smoltcp, or a close to do.
    pub to_flush: BTreeSet<usize>,
    /// The system whose TCP the host behaves like.
    pub tcp: super::profile::TcpProfile,
}

impl Table {
    pub fn get(&mut self, slot: usize) -> Option<&mut Conn> {
        self.slots.get_mut(slot)?.as_mut()
    }

    pub fn get_ref(&self, slot: usize) -> Option<&Conn> {
        self.slots.get(slot)?.as_ref()
    }

    fn add(&mut self, socket: tcp::Socket<'static>, role: Role, owner: usize) -> usize {
        let mut set = SocketSet::new(Vec::with_capacity(1));
        let handle = set.add(socket);
        let last = set.get::<tcp::Socket>(handle).state();
        let conn = Conn {
            set,
            handle,
            dev: SimDevice::default(),
            meta: Sock {
                role,
                owner,
                last,
                opened: false,
                close_when_flushed: false,
                closing: false,
                eof_reported: false,
                closed_reported: false,
                pending: Vec::new(),
                local: None,
                remote: None,
                gone: false,
                relistened: false,
            },
            timer: None,
            key: None,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some(conn);
                s
            }
            None => {
                self.slots.push(Some(conn));
                self.slots.len() - 1
            }
        };
        self.by_role.insert((role, owner), slot);
        self.latest.insert((role, owner), slot);
        if role.is_data() {
            self.data_of.entry(owner).or_default().insert(slot);
        }
        slot
    }

    fn new_socket(role: Role) -> tcp::Socket<'static> {
        let n = if role.is_data() {
            DATA_BUF
        } else {
            CONTROL_BUF
        };
        tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; n]),
            tcp::SocketBuffer::new(vec![0; n]),
        )
    }

    fn set_key(&mut self, slot: usize, key: Key) {
        let Some(c) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        let old = c.key.replace(key);
        match old {
            Some(Key::Listen(p)) => {
                self.listeners.remove(&p);
            }
            Some(Key::Tuple(p, r)) => {
                self.tuples.remove(&(p, r));
                self.release_port(p);
            }
            None => {}
        }
        match key {
            Key::Listen(p) => {
                self.listeners.insert(p, slot);
            }
            Key::Tuple(p, r) => {
                self.tuples.insert((p, r), slot);
                *self.ports.entry(p).or_insert(0) += 1;
            }
        }
    }

    fn release_port(&mut self, p: u16) {
        if let Some(n) = self.ports.get_mut(&p) {
            *n -= 1;
            if *n == 0 {
                self.ports.remove(&p);
            }
        }
    }

    pub fn port_in_use(&self, p: u16) -> bool {
        self.ports.contains_key(&p) || self.listeners.contains_key(&p)
    }

    pub fn listen(&mut self, role: Role, owner: usize, port: u16) -> Result<usize, String> {
        if self.listeners.contains_key(&port) {
            return Err(format!("port {port} is already in use"));
        }
        let mut s = Table::new_socket(role);
        s.listen(port).map_err(|e| e.to_string())?;
        let slot = self.add(s, role, owner);
        self.set_key(slot, Key::Listen(port));
        Ok(slot)
    }

    pub fn connect(
        &mut self,
        iface: &mut Interface,
        role: Role,
        owner: usize,
        to: SocketAddrV4,
        port: u16,
    ) -> Result<usize, String> {
        let mut s = Table::new_socket(role);
        s.set_syn_linear_timeouts(self.tcp.behaviour().syn_linear_timeouts);
        s.connect(iface.context(), to, port)
            .map_err(|e| e.to_string())?;
        let slot = self.add(s, role, owner);
        self.set_key(slot, Key::Tuple(port, to));
        self.dirty.insert(slot);
        Ok(slot)
    }

    /// The socket for an arriving packet from `src` to local port `port`.
    pub fn demux(&self, port: u16, src: SocketAddrV4, syn: bool) -> Option<usize> {
        self.tuples
            .get(&(port, src))
            .or_else(|| syn.then(|| self.listeners.get(&port)).flatten())
            .copied()
    }

    /// A listener took a SYN from `remote`: it is that connection now.
    pub fn listener_taken(&mut self, slot: usize, local: SocketAddrV4, remote: SocketAddrV4) {
        self.set_key(slot, Key::Tuple(local.port(), remote));
    }

    /// Gives a socket a new role (a listener that became its connection).
    pub fn set_role(&mut self, slot: usize, role: Role, owner: usize) {
        let Some(c) = self.get(slot) else { return };
        let old = (c.meta.role, c.meta.owner);
        c.meta.role = role;
        c.meta.owner = owner;
        if self.by_role.get(&old) == Some(&slot) {
            self.by_role.remove(&old);
        }
        if self.latest.get(&old) == Some(&slot) {
            self.latest.remove(&old);
        }
        self.by_role.insert((role, owner), slot);
        self.latest.insert((role, owner), slot);
    }

    /// The socket the application means by (role, owner): the newest one not closing.
    pub fn find(&self, role: Role, owner: usize) -> Option<usize> {
        let slot = *self.by_role.get(&(role, owner))?;
        let c = self.get_ref(slot)?;
        (!c.meta.closing && !c.meta.gone).then_some(slot)
    }

    /// The (local, remote) endpoints of the newest socket of (role, owner).
    pub fn endpoints(&self, role: Role, owner: usize) -> Option<(SocketAddrV4, SocketAddrV4)> {
        let c = self.get_ref(*self.latest.get(&(role, owner))?)?;
        Some((c.meta.local?, c.meta.remote?))
    }

    pub fn data_sockets(&self, owner: usize) -> Vec<usize> {
        self.data_of
            .get(&owner)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Marks a socket as closing; the application no longer finds it.
    pub fn closing(&mut self, slot: usize) {
        let Some(c) = self.get(slot) else { return };
        c.meta.closing = true;
        let k = (c.meta.role, c.meta.owner);
        if self.by_role.get(&k) == Some(&slot) {
            self.by_role.remove(&k);
        }
    }

    /// Deletes a socket that has no synchronised peer (LISTEN or SYN-SENT): nothing is sent,
    /// as when a real stack deletes the TCB (RFC 793, CLOSE in SYN-SENT). smoltcp would
    /// otherwise send an RST from CLOSED.
    pub fn discard(&mut self, slot: usize) {
        self.closing(slot);
        if let Some(c) = self.get(slot) {
            c.meta.gone = true;
        }
        self.remove(slot);
    }

    fn remove(&mut self, slot: usize) {
        let Some(c) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        match c.key {
            Some(Key::Listen(p)) if self.listeners.get(&p) == Some(&slot) => {
                self.listeners.remove(&p);
            }
            Some(Key::Listen(_)) => {}
            Some(Key::Tuple(p, r)) => {
                if self.tuples.get(&(p, r)) == Some(&slot) {
                    self.tuples.remove(&(p, r));
                }
                self.release_port(p);
            }
            None => {}
        }
        let k = (c.meta.role, c.meta.owner);
        for map in [&mut self.by_role, &mut self.latest] {
            if map.get(&k) == Some(&slot) {
                map.remove(&k);
            }
        }
        if let Some(s) = self.data_of.get_mut(&c.meta.owner) {
            s.remove(&slot);
        }
        if let Some(t) = c.timer {
            self.timers.remove(&(t, slot));
        }
        self.dirty.remove(&slot);
        self.to_flush.remove(&slot);
        self.free.push(slot);
    }

    /// Forgets a socket that is closed for good (true when it did).
    pub fn reap(&mut self, slot: usize) -> bool {
        let Some(c) = self.get(slot) else {
            return false;
        };
        let state = c.socket().state();
        let m = &c.meta;
        let done = state == State::Closed
            && m.last == State::Closed
            && (m.closing || m.opened || m.role != Role::ControlListen);
        if done {
            self.remove(slot);
        }
        done
    }

    /// Records when smoltcp next wants `slot` polled.
    pub fn set_timer(&mut self, slot: usize, at: Option<Time>) {
        let Some(c) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if c.timer == at {
            return;
        }
        if let Some(t) = c.timer.take() {
            self.timers.remove(&(t, slot));
        }
        if let Some(t) = at {
            c.timer = Some(t);
            self.timers.insert((t, slot));
        }
    }

    /// The earliest socket timer.
    pub fn next_timer(&self) -> Option<Time> {
        self.timers.first().map(|(t, _)| *t)
    }

    /// Moves every socket whose timer is due into `dirty`.
    pub fn due(&mut self, now: Time) {
        while let Some(&(t, slot)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.pop_first();
            if let Some(c) = self.get(slot) {
                c.timer = None;
            }
            self.dirty.insert(slot);
        }
    }

    /// The socket's endpoints and state as smoltcp has them now.
    pub fn endpoints_now(c: &mut Conn) -> (State, Option<SocketAddrV4>, Option<SocketAddrV4>) {
        let s = c.socket();
        (
            s.state(),
            s.local_endpoint().and_then(v4),
            s.remote_endpoint().and_then(v4),
        )
    }
}
