//! The `aiu-netproxy` binary in front of a tiny local HTTP server (one response per connection,
//! like moto): forwarding and counting by action, latency, rate limiting with IAM's Throttling
//! answer, injected 5xx, random throttling, dropped connections, `/__stats`, stats file on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A tiny upstream: answers every request `200` with `upstream saw <body>` and closes.
struct Upstream {
    port: u16,
    seen: Arc<AtomicUsize>,
}

fn upstream() -> Upstream {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for sock in l.incoming() {
            let Ok(sock) = sock else { continue };
            let seen = seen2.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(sock.try_clone().unwrap());
                let mut len = 0usize;
                let mut first = true;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if first {
                        first = false;
                        continue;
                    }
                    let t = line.trim_end();
                    if t.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = t.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0u8; len];
                r.read_exact(&mut body).unwrap();
                seen.fetch_add(1, Ordering::SeqCst);
                let text = format!("upstream saw {}", String::from_utf8_lossy(&body));
                let mut w = sock;
                // No Content-Length: the body ends when the connection closes.
                let _ = write!(
                    w,
                    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n{text}"
                );
            });
        }
    });
    Upstream { port, seen }
}

struct ProxyProc {
    child: Child,
    port: u16,
}

impl ProxyProc {
    fn start(upstream_port: u16, extra: &[&str]) -> ProxyProc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aiu-netproxy"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                &format!("http://127.0.0.1:{upstream_port}"),
                "--seed",
                "42",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn aiu-netproxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("first stdout line is the port, got {line:?}"));
        ProxyProc { child, port }
    }

    fn terminate(mut self) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let status = wait_timeout(&mut self.child, Duration::from_secs(10));
        assert!(status.success(), "proxy exit status {status:?}");
    }
}

impl Drop for ProxyProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_timeout(child: &mut Child, d: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + d;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < deadline, "proxy did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, k: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive HTTP/1.1 client connection.
struct Client {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Client {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.w.write_all(req.as_bytes()).unwrap();
    }

    /// `None` when the proxy closed the connection without answering.
    fn recv(&mut self) -> Option<Resp> {
        let mut line = String::new();
        if self.r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut l = String::new();
            self.r.read_line(&mut l).unwrap();
            let t = l.trim_end();
            if t.is_empty() {
                break;
            }
            let (k, v) = t.split_once(':').unwrap();
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut body = vec![0u8; len];
        self.r.read_exact(&mut body).unwrap();
        Some(Resp {
            status,
            headers,
            body: String::from_utf8(body).unwrap(),
        })
    }

    fn call(&mut self, service: &str, action: &str) -> Option<Resp> {
        let auth = format!("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0");
        self.send(
            "POST",
            "/",
            &[
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("Authorization", &auth),
            ],
            &format!("Action={action}&Version=2010-05-08"),
        );
        self.recv()
    }

    fn stats(&mut self) -> serde_json::Value {
        self.send("GET", "/__stats", &[], "");
        let r = self.recv().unwrap();
        assert_eq!(r.status, 200);
        serde_json::from_str(&r.body).unwrap()
    }
}

#[test]
fn forwards_counts_by_action_and_writes_stats_on_sigterm() {
    let up = upstream();
    let dir = std::env::temp_dir().join(format!("aiu-netproxy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stats_file = dir.join("stats.json");
    let p = ProxyProc::start(up.port, &["--stats-file", stats_file.to_str().unwrap()]);
    let mut c = Client::connect(p.port);
    // Several calls over one keep-alive connection; the upstream closes after each answer.
    for _ in 0..3 {
        let r = c.call("iam", "GetRole").expect("answer");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, "upstream saw Action=GetRole&Version=2010-05-08");
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
    assert_eq!(c.call("iam", "ListRoles").unwrap().status, 200);
    assert_eq!(c.call("sts", "GetCallerIdentity").unwrap().status, 200);
    // A JSON-protocol call named by X-Amz-Target, on a second connection.
    let mut c2 = Client::connect(p.port);
    c2.send(
        "POST",
        "/",
        &[
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
            ("Content-Type", "application/x-amz-json-1.1"),
        ],
        "{}",
    );
    assert_eq!(c2.recv().unwrap().status, 200);

    let s = c.stats();
    assert_eq!(
        s["calls"],
        serde_json::json!({"iam:GetRole": 3, "iam:ListRoles": 1, "sts:GetCallerIdentity": 1, "GetParameter": 1})
    );
    assert_eq!(s["totals"]["requests"], 6);
    assert_eq!(s["totals"]["forwarded"], 6);
    assert_eq!(s["totals"]["upstream_2xx"], 6);
    assert_eq!(s["connections"], 2);
    assert_eq!(
        up.seen.load(Ordering::SeqCst),
        6,
        "control requests are not forwarded"
    );
    // GET /__stats also wrote the stats file.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_file).unwrap()).unwrap();
    assert_eq!(written["calls"]["iam:GetRole"], 3);

    assert_eq!(c.call("iam", "CreateRole").unwrap().status, 200);
    std::fs::remove_file(&stats_file).unwrap();
    p.terminate();
    let written: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&stats_file).expect("stats file written on SIGTERM"),
    )
    .unwrap();
    assert_eq!(written["calls"]["iam:CreateRole"], 1);
    assert_eq!(written["totals"]["requests"], 7);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn adds_latency() {
    let up = upstream();
    let p = ProxyProc::start(up.port, &["--latency-ms", "150", "--jitter-ms", "20"]);
    let mut c = Client::connect(p.port);
    for _ in 0..3 {
        let t = Instant::now();
        assert_eq!(c.call("iam", "GetRole").unwrap().status, 200);
        let ms = t.elapsed().as_millis();
        assert!(ms >= 130, "latency {ms} ms");
    }
    // Control endpoints are not delayed.
    let t = Instant::now();
    c.stats();
    assert!(t.elapsed() < Duration::from_millis(130));
}

#[test]
fn rate_limit_answers_like_iam() {
    let up = upstream();
    // 1 request/s, burst 3: of 8 immediate requests, 3 pass.
    let p = ProxyProc::start(up.port, &["--rate", "1", "--burst", "3"]);
    let mut c = Client::connect(p.port);
    let mut statuses = Vec::new();
    let mut throttled = None;
    for _ in 0..8 {
        let r = c.call("iam", "CreateRole").unwrap();
        statuses.push(r.status);
        if r.status == 400 {
            throttled = Some(r);
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    let t = throttled.unwrap();
    assert_eq!(t.header("content-type"), Some("text/xml"));
    assert!(t.body.starts_with(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>"
    ), "{}", t.body);
    assert!(t.body.ends_with("</RequestId></ErrorResponse>"));
    let s = c.stats();
    assert_eq!(s["actions"]["iam:CreateRole"]["throttled_rate"], 5);
    assert_eq!(s["actions"]["iam:CreateRole"]["forwarded"], 3);
    assert_eq!(up.seen.load(Ordering::SeqCst), 3);
    // The bucket refills at the rate.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(c.call("iam", "CreateRole").unwrap().status, 200);
}

#[test]
fn injects_5xx_and_random_throttling() {
    let up = upstream();
    let p = ProxyProc::start(up.port, &["--error-rate", "1"]);
    let mut c = Client::connect(p.port);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        let r = c.call("iam", "GetRole").unwrap();
        assert!(r.status == 500 || r.status == 503, "{r:?}");
        let code = if r.status == 500 {
            "InternalFailure"
        } else {
            "ServiceUnavailable"
        };
        assert!(
            r.body
                .contains(&format!("<Type>Receiver</Type><Code>{code}</Code>")),
            "{}",
            r.body
        );
        seen.insert(r.status);
    }
    assert_eq!(seen.len(), 2, "both 500 and 503 appear");
    assert_eq!(up.seen.load(Ordering::SeqCst), 0);
    drop(p);

    let p = ProxyProc::start(up.port, &["--throttle-rate", "0.5"]);
    let mut c = Client::connect(p.port);
    let throttled = (0..200)
        .filter(|_| c.call("sts", "GetCallerIdentity").unwrap().status == 400)
        .count();
    assert!(
        (60..=140).contains(&throttled),
        "{throttled} of 200 throttled at 0.5"
    );
    let s = c.stats();
    assert_eq!(s["totals"]["throttled_random"], throttled);
    assert_eq!(s["totals"]["throttled_rate"], 0);
}

#[test]
fn drops_connections_before_or_after_forwarding() {
    let up = upstream();
    let p = ProxyProc::start(up.port, &["--drop-rate", "1"]);
    let mut c = Client::connect(p.port);
    assert!(
        c.call("iam", "CreateRole").is_none(),
        "connection closed without an answer"
    );
    assert_eq!(up.seen.load(Ordering::SeqCst), 0);
    let s = Client::connect(p.port).stats();
    assert_eq!(s["totals"]["dropped"], 1);
    drop(p);

    let p = ProxyProc::start(up.port, &["--drop-rate", "1", "--drop-mode", "after"]);
    let mut c = Client::connect(p.port);
    assert!(c.call("iam", "CreateRole").is_none());
    assert_eq!(
        up.seen.load(Ordering::SeqCst),
        1,
        "the call reached the upstream; only its answer was lost"
    );
}
