//! The class session over HTTP, for the students' phones on the teacher's LAN: one page
//! (plain HTML, CSS and a little JavaScript, in the binary) and the question being asked,
//! pushed with server-sent events (the page falls back to polling). axum on a tokio runtime
//! of its own, on a thread of its own: the window only locks the session for a moment to
//! ask, reveal or read the count, and never waits for the network.
//!
//! Only `/c/<token>/…` is served, where the token is 128 random bits; anything else, a wrong
//! token included, is 404. Never a file, a scenario or a path. Bounds: `MAX_BODY` bytes a
//! request, `MAX_CONNECTIONS_PER_ADDRESS` connections from one address (more are closed at
//! once), `REQUESTS_PER_SECOND` requests from one address (more get 429), and the session's
//! own bounds (devices, answers).

use super::{Phase, Refused, Session};
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Bytes in one request's body.
pub const MAX_BODY: usize = 2048;
/// Connections open at once from one address (a phone needs two: the page and its events).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 6;
/// Requests a second from one address.
pub const REQUESTS_PER_SECOND: u32 = 20;

const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page, and the policy that lets only its own style and script run (named by their
/// SHA-256) and lets it talk only to this server.
fn page_and_policy() -> (String, String) {
    let page = PAGE.replace("{STYLE}", STYLE).replace("{SCRIPT}", SCRIPT);
    let policy = format!(
        "default-src 'none'; script-src {}; style-src {}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        crate::export::handout::csp_hash(SCRIPT),
        crate::export::handout::csp_hash(STYLE)
    );
    (page, policy)
}

/// What the handlers share.
struct Shared {
    session: Mutex<Session>,
    token: String,
    changed: tokio::sync::watch::Sender<u64>,
    rate: Mutex<HashMap<IpAddr, (Instant, u32)>>,
    refused: std::sync::atomic::AtomicU64,
    page: String,
    policy: HeaderValue,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running class server.
pub struct ClassServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// 128 random bits as 32 hex digits.
fn token() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

impl ClassServer {
    /// Listens on `bind` (port 0: any free port) and serves until `stop`.
    pub fn start(bind: SocketAddr) -> std::io::Result<ClassServer> {
        let std_listener = std::net::TcpListener::bind(bind)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (page, policy) = page_and_policy();
        let policy = HeaderValue::from_str(&policy).map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            page,
            policy,
            session: Mutex::new(Session::new()),
            token: token()?,
            changed: tokio::sync::watch::channel(0).0,
            rate: Mutex::new(HashMap::new()),
            refused: std::sync::atomic::AtomicU64::new(0),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(shared.clone());
        let thread = std::thread::Builder::new()
            .name("class-server".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(l) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let l = Bounded {
                        inner: l,
                        open: Arc::default(),
                    };
                    let serve = axum::serve(l, app.into_make_service_with_connect_info::<Peer>());
                    // Stop closes every connection at once (the events streams never end).
                    tokio::select! {
                        _ = serve => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(ClassServer {
            shared,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The students' address on `host` (the teacher's LAN address).
    pub fn url(&self, host: IpAddr) -> String {
        format!(
            "http://{}/c/{}/",
            SocketAddr::new(host, self.addr.port()),
            self.shared.token
        )
    }

    /// The session, for a moment, to read it (the count): the pages are not told.
    pub fn read<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&lock(&self.shared.session))
    }

    /// The session, for a moment, to change it (ask, reveal): every page is told.
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        let r = f(&mut lock(&self.shared.session));
        self.shared.changed.send_modify(|v| *v += 1);
        r
    }

    /// Requests refused so far (bounds, wrong tokens).
    pub fn refused(&self) -> u64 {
        self.shared
            .refused
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends the session: the pages are told, then every connection is closed.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.with(Session::end);
        // The pages hear "ended" before the connections close.
        std::thread::sleep(Duration::from_millis(150));
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ClassServer {
    fn drop(&mut self) {
        if self.stop.is_some() {
            self.shutdown();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/c/{token}/", get(page))
        .route("/c/{token}/state", get(state))
        .route("/c/{token}/events", get(events))
        .route("/c/{token}/answer", post(answer))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(shared.clone(), gate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// Every request: at most `REQUESTS_PER_SECOND` from one address, and the right token.
async fn gate(
    State(sh): State<Arc<Shared>>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let refuse = |code: StatusCode| {
        sh.refused
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        code.into_response()
    };
    {
        let mut rate = lock(&sh.rate);
        if rate.len() > 10_000 {
            rate.retain(|_, (t, _)| t.elapsed() < Duration::from_secs(1));
        }
        let e = rate.entry(peer.ip()).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= Duration::from_secs(1) {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
        if e.1 > REQUESTS_PER_SECOND {
            drop(rate);
            return refuse(StatusCode::TOO_MANY_REQUESTS);
        }
    }
    let path = req.uri().path();
    let ours = path
        .strip_prefix("/c/")
        .and_then(|p| p.split('/').next())
        .is_some_and(|t| t == sh.token);
    if !ours {
        return refuse(StatusCode::NOT_FOUND);
    }
    next.run(req).await
}

/// The page, with its policy.
async fn page(State(sh): State<Arc<Shared>>, Path(_): Path<String>) -> Response {
    let mut r = sh.page.clone().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONTENT_SECURITY_POLICY, sh.policy.clone());
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

#[derive(serde::Deserialize)]
struct Who {
    d: String,
}

/// What one device's page shows.
#[derive(serde::Serialize)]
struct View {
    phase: &'static str,
    question: Option<super::Asked>,
    yours: Option<usize>,
    answer: Option<usize>,
    explain: Option<String>,
}

fn view(s: &Session, device: &str) -> View {
    let (phase, q, answer, explain) = match s.phase() {
        Phase::Waiting => ("waiting", None, None, None),
        Phase::Asking(a) => ("asking", Some(a.clone()), None, None),
        Phase::Revealed {
            asked,
            answer,
            explain,
        } => (
            "revealed",
            Some(asked.clone()),
            Some(*answer),
            Some(explain.clone()),
        ),
        Phase::Ended => ("ended", None, None, None),
    };
    View {
        phase,
        yours: q.as_ref().and_then(|q| s.answer_of(device, q.id)),
        question: q,
        answer,
        explain,
    }
}

async fn state(State(sh): State<Arc<Shared>>, Query(w): Query<Who>) -> Response {
    if !super::valid_device(&w.d) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let v = view(&lock(&sh.session), &w.d);
    axum::Json(v).into_response()
}

/// The device's view now and after every change, as server-sent events.
async fn events(State(sh): State<Arc<Shared>>, Query(w): Query<Who>) -> Response {
    if !super::valid_device(&w.d) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let rx = sh.changed.subscribe();
    let device = w.d;
    let stream = tokio_stream::wrappers::WatchStream::new(rx);
    let sh2 = sh.clone();
    let stream = tokio_stream::StreamExt::map(stream, move |_| {
        let v = view(&lock(&sh2.session), &device);
        Ok::<_, std::convert::Infallible>(
            Event::default().data(serde_json::to_string(&v).unwrap_or_default()),
        )
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[derive(serde::Deserialize)]
struct Answer {
    d: String,
    q: u64,
    c: usize,
    #[serde(default)]
    name: Option<String>,
}

async fn answer(State(sh): State<Arc<Shared>>, axum::Json(a): axum::Json<Answer>) -> Response {
    let r = {
        let mut s = lock(&sh.session);
        s.join(&a.d, a.name.as_deref())
            .and_then(|()| s.answer(&a.d, a.q, a.c))
    };
    match r {
        Ok(()) => {
            sh.changed.send_modify(|v| *v += 1);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            let code = match e {
                Refused::Full | Refused::TooMany => StatusCode::TOO_MANY_REQUESTS,
                Refused::BadDevice | Refused::NoSuchChoice => StatusCode::BAD_REQUEST,
                Refused::NotAsked | Refused::Ended => StatusCode::CONFLICT,
            };
            (code, e.words()).into_response()
        }
    }
}

/// Who is asking: the connection's remote address.
#[derive(Clone, Copy, Debug)]
struct Peer(SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, Bounded>> for Peer {
    fn connect_info(s: axum::serve::IncomingStream<'_, Bounded>) -> Peer {
        Peer(*s.remote_addr())
    }
}

/// The listener: at most `MAX_CONNECTIONS_PER_ADDRESS` open connections per address; one
/// more is closed as soon as it is accepted.
struct Bounded {
    inner: tokio::net::TcpListener,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A connection, counted against its address while it is open.
struct Counted {
    stream: tokio::net::TcpStream,
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut o = lock(&self.open);
        if let Some(n) = o.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                o.remove(&self.ip);
            }
        }
    }
}

impl axum::serve::Listener for Bounded {
    type Io = Counted;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Counted, SocketAddr) {
        loop {
            let Ok((stream, peer)) = self.inner.accept().await else {
                // Out of descriptors, or a connection reset before it was accepted.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let mut o = lock(&self.open);
            let n = o.entry(peer.ip()).or_insert(0);
            if *n >= MAX_CONNECTIONS_PER_ADDRESS {
                continue;
            }
            *n += 1;
            drop(o);
            let c = Counted {
                stream,
                ip: peer.ip(),
                open: self.open.clone(),
            };
            return (c, peer);
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
