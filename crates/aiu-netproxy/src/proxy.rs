//! The proxy: accepts HTTP/1.1 connections (keep-alive), applies the network conditions to each
//! request, forwards the admitted ones to the upstream on a fresh connection, and counts
//! everything by API action.
//!
//! Per request, in this order: count it; take a token from the rate bucket (none left: IAM's
//! `Throttling` answer); otherwise draw a random throttle (`throttle_rate`), a dropped connection
//! (`drop_rate`), an injected 5xx (`error_rate`); wait the latency (+/- jitter); then answer,
//! drop, or forward. With `DropMode::After` a dropped request is forwarded first and only its
//! response is lost (the call took effect, the client does not know it).
//!
//! Control endpoints (not counted, no conditions): `GET /__stats` (JSON; also rewrites the stats
//! file), `POST /__reset` (zero the counts, refill the bucket).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::action::{action_key, header};
use crate::bucket::TokenBucket;
use crate::http::{read_request, read_response, write_request, write_response, Request, Response};

/// When a dropped connection is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DropMode {
    /// Before forwarding: the call never reaches the upstream.
    Before,
    /// After forwarding: the call took effect, its response is lost.
    After,
}

/// Network conditions and plumbing of one proxy.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyConfig {
    /// Upstream `host:port`.
    pub upstream: String,
    pub latency_ms: f64,
    pub jitter_ms: f64,
    /// Sustained requests per second admitted; 0 = unlimited.
    pub rate: f64,
    /// Bucket size (requests admitted at once after an idle period).
    pub burst: f64,
    /// Fraction of admitted requests answered 500 InternalFailure / 503 ServiceUnavailable.
    pub error_rate: f64,
    /// Fraction of admitted requests whose connection is closed without an answer.
    pub drop_rate: f64,
    pub drop_mode: DropMode,
    /// Fraction of admitted requests answered `Throttling` regardless of the bucket.
    pub throttle_rate: f64,
    #[serde(skip)]
    pub stats_file: Option<PathBuf>,
    pub seed: Option<u64>,
    #[serde(skip)]
    pub upstream_timeout: Duration,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            upstream: "127.0.0.1:80".to_owned(),
            latency_ms: 0.0,
            jitter_ms: 0.0,
            rate: 0.0,
            burst: 1.0,
            error_rate: 0.0,
            drop_rate: 0.0,
            drop_mode: DropMode::Before,
            throttle_rate: 0.0,
            stats_file: None,
            seed: None,
            upstream_timeout: Duration::from_secs(120),
        }
    }
}

/// `http://host:port[/]` -> `host:port` (port 80 by default). Only plain HTTP is supported.
pub fn parse_upstream(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("upstream {url:?} must start with http://"))?;
    let hostport = rest.split('/').next().unwrap_or("");
    if hostport.is_empty() {
        return Err(format!("upstream {url:?} has no host"));
    }
    if hostport
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        Ok(hostport.to_owned())
    } else {
        Ok(format!("{hostport}:80"))
    }
}

/// Counts of one action (or of all).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Requests received (every attempt, whatever happened to it).
    pub requests: u64,
    /// Forwarded to the upstream.
    pub forwarded: u64,
    /// Answered `Throttling` because the bucket was empty.
    pub throttled_rate: u64,
    /// Answered `Throttling` at random (`throttle_rate`).
    pub throttled_random: u64,
    /// Answered an injected 500/503.
    pub injected_5xx: u64,
    /// Connection dropped without an answer.
    pub dropped: u64,
    /// Upstream unreachable or unreadable (answered 502).
    pub upstream_errors: u64,
    /// Upstream answers by status class.
    pub upstream_2xx: u64,
    pub upstream_4xx: u64,
    pub upstream_5xx: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.forwarded += o.forwarded;
        self.throttled_rate += o.throttled_rate;
        self.throttled_random += o.throttled_random;
        self.injected_5xx += o.injected_5xx;
        self.dropped += o.dropped;
        self.upstream_errors += o.upstream_errors;
        self.upstream_2xx += o.upstream_2xx;
        self.upstream_4xx += o.upstream_4xx;
        self.upstream_5xx += o.upstream_5xx;
    }
}

#[derive(Debug, Default)]
struct StatsInner {
    by_action: BTreeMap<String, Counts>,
    first_request: Option<Instant>,
    last_response: Option<Instant>,
    since: Option<Instant>,
}

/// The JSON written to the stats file and returned by `GET /__stats`.
#[derive(Debug, Serialize)]
pub struct StatsReport {
    /// Requests by action (`iam:GetRole`), every attempt.
    pub calls: BTreeMap<String, u64>,
    /// Sum over actions.
    pub totals: Counts,
    /// Detail by action.
    pub actions: BTreeMap<String, Counts>,
    /// Seconds from the first request received to the last answer sent, since start/reset.
    pub busy_seconds: f64,
    /// Seconds since start or the last reset.
    pub seconds_since_reset: f64,
    pub connections: u64,
    pub config: ProxyConfig,
}

/// Shared state of a running proxy.
pub struct Proxy {
    cfg: ProxyConfig,
    bucket: Mutex<TokenBucket>,
    rng: Mutex<fastrand::Rng>,
    stats: Mutex<StatsInner>,
    connections: AtomicU64,
    request_ids: AtomicU64,
}

enum Fate {
    Throttle { random: bool },
    Error5xx(u16),
    Drop,
    Forward,
}

impl Proxy {
    pub fn new(cfg: ProxyConfig) -> Arc<Proxy> {
        let now = Instant::now();
        let rng = match cfg.seed {
            Some(s) => fastrand::Rng::with_seed(s),
            None => fastrand::Rng::new(),
        };
        Arc::new(Proxy {
            bucket: Mutex::new(TokenBucket::new(cfg.rate, cfg.burst, now)),
            rng: Mutex::new(rng),
            stats: Mutex::new(StatsInner {
                since: Some(now),
                ..Default::default()
            }),
            connections: AtomicU64::new(0),
            request_ids: AtomicU64::new(0),
            cfg,
        })
    }

    pub fn config(&self) -> &ProxyConfig {
        &self.cfg
    }

    fn count(&self, key: &str, f: impl FnOnce(&mut Counts)) {
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        f(s.by_action.entry(key.to_owned()).or_default());
    }

    fn mark_answered(&self) {
        let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.last_response = Some(Instant::now());
    }

    pub fn report(&self) -> StatsReport {
        let s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let mut totals = Counts::default();
        for c in s.by_action.values() {
            totals.add(c);
        }
        let busy = match (s.first_request, s.last_response) {
            (Some(a), Some(b)) => b.saturating_duration_since(a).as_secs_f64(),
            _ => 0.0,
        };
        StatsReport {
            calls: s
                .by_action
                .iter()
                .map(|(k, c)| (k.clone(), c.requests))
                .collect(),
            totals,
            actions: s.by_action.clone(),
            busy_seconds: busy,
            seconds_since_reset: s.since.map_or(0.0, |t| t.elapsed().as_secs_f64()),
            connections: self.connections.load(Ordering::Relaxed),
            config: self.cfg.clone(),
        }
    }

    pub fn report_json(&self) -> String {
        serde_json::to_string_pretty(&self.report()).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Writes the stats JSON to the stats file (temp file + rename), if one is configured.
    pub fn write_stats_file(&self) -> io::Result<()> {
        let Some(path) = &self.cfg.stats_file else {
            return Ok(());
        };
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, self.report_json() + "\n")?;
        std::fs::rename(&tmp, path)
    }

    pub fn reset(&self) {
        let now = Instant::now();
        *self.stats.lock().unwrap_or_else(|p| p.into_inner()) = StatsInner {
            since: Some(now),
            ..Default::default()
        };
        self.bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .reset(now);
        self.connections.store(0, Ordering::Relaxed);
    }

    fn decide(&self) -> Fate {
        let admitted = self
            .bucket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .try_take(Instant::now());
        if !admitted {
            return Fate::Throttle { random: false };
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if self.cfg.throttle_rate > 0.0 && rng.f64() < self.cfg.throttle_rate {
            return Fate::Throttle { random: true };
        }
        if self.cfg.drop_rate > 0.0 && rng.f64() < self.cfg.drop_rate {
            return Fate::Drop;
        }
        if self.cfg.error_rate > 0.0 && rng.f64() < self.cfg.error_rate {
            return Fate::Error5xx(if rng.bool() { 500 } else { 503 });
        }
        Fate::Forward
    }

    fn delay(&self) -> Duration {
        let mut ms = self.cfg.latency_ms;
        if self.cfg.jitter_ms > 0.0 {
            let u = self.rng.lock().unwrap_or_else(|p| p.into_inner()).f64();
            ms += (u * 2.0 - 1.0) * self.cfg.jitter_ms;
        }
        Duration::from_secs_f64(ms.max(0.0) / 1000.0)
    }

    fn request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed);
        format!("aiu-netproxy-{:08x}-{n:012x}", std::process::id())
    }

    /// Serves connections from `listener` forever.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            self.connections.fetch_add(1, Ordering::Relaxed);
            let me = self.clone();
            tokio::spawn(async move {
                let _ = me.connection(sock).await;
            });
        }
    }

    async fn connection(self: Arc<Self>, sock: TcpStream) -> io::Result<()> {
        let (r, mut w) = sock.into_split();
        let mut r = BufReader::new(r);
        loop {
            let Some(req) = read_request(&mut r, &mut w).await? else {
                return Ok(());
            };
            let keep_alive = req.keep_alive();
            let head_only = req.method.eq_ignore_ascii_case("HEAD");
            let resp = match self.control(&req) {
                Some(resp) => resp,
                None => match self.handle(req).await {
                    Some(resp) => resp,
                    None => {
                        // Dropped: close without an answer (RST-like as far as the client knows).
                        let _ = w.shutdown().await;
                        return Ok(());
                    }
                },
            };
            write_response(&mut w, &resp, keep_alive, head_only).await?;
            self.mark_answered();
            if !keep_alive {
                let _ = w.shutdown().await;
                return Ok(());
            }
        }
    }

    fn control(&self, req: &Request) -> Option<Response> {
        match (req.method.as_str(), req.path()) {
            ("GET", "/__stats") => {
                let _ = self.write_stats_file();
                Some(Response::new(200, "application/json", self.report_json()))
            }
            ("POST", "/__reset") => {
                self.reset();
                Some(Response::new(200, "application/json", "{\"reset\":true}"))
            }
            _ => None,
        }
    }

    /// Applies the conditions to one API request; `None` = drop the connection.
    async fn handle(&self, req: Request) -> Option<Response> {
        let key = action_key(&req.headers, &req.target, &req.body);
        {
            let mut s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
            s.first_request.get_or_insert_with(Instant::now);
            s.by_action.entry(key.clone()).or_default().requests += 1;
        }
        let fate = self.decide();
        let delay = self.delay();
        match fate {
            Fate::Throttle { random } => {
                tokio::time::sleep(delay).await;
                self.count(&key, |c| {
                    if random {
                        c.throttled_random += 1
                    } else {
                        c.throttled_rate += 1
                    }
                });
                Some(self.error_response(&req, 400, "Sender", "Throttling", "Rate exceeded"))
            }
            Fate::Error5xx(status) => {
                tokio::time::sleep(delay).await;
                self.count(&key, |c| c.injected_5xx += 1);
                Some(if status == 500 {
                    self.error_response(
                        &req,
                        500,
                        "Receiver",
                        "InternalFailure",
                        "We encountered an internal error. Please try again.",
                    )
                } else {
                    self.error_response(
                        &req,
                        503,
                        "Receiver",
                        "ServiceUnavailable",
                        "Service is unavailable. Please try again.",
                    )
                })
            }
            Fate::Drop if self.cfg.drop_mode == DropMode::Before => {
                tokio::time::sleep(delay).await;
                self.count(&key, |c| c.dropped += 1);
                None
            }
            Fate::Drop | Fate::Forward => {
                let dropped = matches!(fate, Fate::Drop);
                tokio::time::sleep(delay).await;
                let method = req.method.clone();
                let result =
                    tokio::time::timeout(self.cfg.upstream_timeout, self.forward(&req, &method))
                        .await;
                let resp = match result {
                    Ok(Ok(resp)) => {
                        self.count(&key, |c| {
                            c.forwarded += 1;
                            match resp.status {
                                200..=299 => c.upstream_2xx += 1,
                                400..=499 => c.upstream_4xx += 1,
                                500..=599 => c.upstream_5xx += 1,
                                _ => {}
                            }
                        });
                        resp
                    }
                    Ok(Err(e)) => {
                        self.count(&key, |c| c.upstream_errors += 1);
                        Response::new(
                            502,
                            "text/plain",
                            format!("aiu-netproxy: upstream {}: {e}\n", self.cfg.upstream),
                        )
                    }
                    Err(_) => {
                        self.count(&key, |c| c.upstream_errors += 1);
                        Response::new(
                            502,
                            "text/plain",
                            format!("aiu-netproxy: upstream {} timed out\n", self.cfg.upstream),
                        )
                    }
                };
                if dropped {
                    self.count(&key, |c| c.dropped += 1);
                    return None;
                }
                Some(resp)
            }
        }
    }

    async fn forward(&self, req: &Request, method: &str) -> io::Result<Response> {
        let sock = TcpStream::connect(&self.cfg.upstream).await?;
        let _ = sock.set_nodelay(true);
        let (r, mut w) = sock.into_split();
        write_request(&mut w, req).await?;
        let mut r = BufReader::new(r);
        read_response(&mut r, method).await
    }

    /// An error answer in the shape of the request's protocol: IAM/STS query XML, or JSON for
    /// `X-Amz-Target` requests.
    fn error_response(
        &self,
        req: &Request,
        status: u16,
        kind: &str,
        code: &str,
        message: &str,
    ) -> Response {
        let rid = self.request_id();
        if header(&req.headers, "x-amz-target").is_some() {
            let body = serde_json::json!({ "__type": code, "message": message }).to_string();
            return Response::new(status, "application/x-amz-json-1.1", body)
                .with_header("x-amzn-RequestId", &rid)
                .with_header("x-amzn-ErrorType", code);
        }
        let key = action_key(&req.headers, &req.target, &req.body);
        let ns = if key.starts_with("sts:") {
            "https://sts.amazonaws.com/doc/2011-06-15/"
        } else {
            "https://iam.amazonaws.com/doc/2010-05-08/"
        };
        let body = format!(
            "<ErrorResponse xmlns=\"{ns}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        );
        Response::new(status, "text/xml", body).with_header("x-amzn-RequestId", &rid)
    }
}

/// Binds `listen`; returns the listener and its address (port 0 picks a free port).
pub async fn bind(listen: &str) -> io::Result<(TcpListener, SocketAddr)> {
    let l = TcpListener::bind(listen).await?;
    let a = l.local_addr()?;
    Ok((l, a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls() {
        assert_eq!(
            parse_upstream("http://127.0.0.1:5000").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(
            parse_upstream("http://127.0.0.1:5000/").unwrap(),
            "127.0.0.1:5000"
        );
        assert_eq!(parse_upstream("http://localhost").unwrap(), "localhost:80");
        assert!(parse_upstream("https://x").is_err());
        assert!(parse_upstream("http://").is_err());
    }

    #[test]
    fn fates_follow_rates() {
        let p = Proxy::new(ProxyConfig {
            throttle_rate: 0.3,
            error_rate: 0.1,
            seed: Some(7),
            ..Default::default()
        });
        let (mut t, mut e, mut f) = (0, 0, 0);
        for _ in 0..10_000 {
            match p.decide() {
                Fate::Throttle { .. } => t += 1,
                Fate::Error5xx(s) => {
                    assert!(s == 500 || s == 503);
                    e += 1
                }
                Fate::Forward => f += 1,
                Fate::Drop => unreachable!(),
            }
        }
        assert!((2800..3200).contains(&t), "throttled {t}");
        // 10% of the 70% not throttled.
        assert!((550..850).contains(&e), "5xx {e}");
        assert_eq!(t + e + f, 10_000);
    }

    #[test]
    fn jitter_stays_in_range() {
        let p = Proxy::new(ProxyConfig {
            latency_ms: 50.0,
            jitter_ms: 10.0,
            seed: Some(1),
            ..Default::default()
        });
        for _ in 0..1000 {
            let d = p.delay().as_secs_f64() * 1000.0;
            assert!((40.0..=60.0).contains(&d), "{d}");
        }
    }
}
