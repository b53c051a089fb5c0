//! A minimal HTTP/1.1 codec over tokio streams: enough to relay AWS query/JSON API calls.
//!
//! Requests and responses are read whole (bodies framed by `Content-Length`, chunked transfer
//! encoding, or — responses only — connection close) and written with `Content-Length`.

use std::io;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};

use crate::action::header;

const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// Whether the client wants the connection kept open after the response.
    pub fn keep_alive(&self) -> bool {
        let conn = header(&self.headers, "connection").map(str::to_ascii_lowercase);
        if self.version == "HTTP/1.0" {
            conn.is_some_and(|c| c.contains("keep-alive"))
        } else {
            !conn.is_some_and(|c| c.contains("close"))
        }
    }

    /// The path without the query string.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            reason: reason(status).to_owned(),
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    pub fn with_header(mut self, k: &str, v: &str) -> Response {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Hop-by-hop headers, which a proxy must not forward (plus the framing we redo ourselves).
pub fn is_hop_by_hop(name: &str) -> bool {
    const HOP: [&str; 9] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ];
    HOP.iter().any(|h| name.eq_ignore_ascii_case(h)) || name.eq_ignore_ascii_case("content-length")
}

/// Reads one CRLF- (or LF-) terminated line; `None` at a clean EOF before any byte.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    budget: &mut usize,
) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = (&mut *r)
        .take(*budget as u64 + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(bad("header section too large"));
    }
    *budget -= n;
    if buf.last() != Some(&b'\n') {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed inside a line",
        ));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| bad("non-UTF-8 header line"))
}

async fn read_headers<R: AsyncBufRead + Unpin>(
    r: &mut R,
    budget: &mut usize,
) -> io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, budget)
            .await?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "EOF in headers"))?;
        if line.is_empty() {
            return Ok(headers);
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| bad(format!("malformed header line {line:?}")))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"))
}

fn content_length(headers: &[(String, String)]) -> io::Result<Option<usize>> {
    match header(headers, "content-length") {
        None => Ok(None),
        Some(v) => {
            let n: usize = v
                .parse()
                .map_err(|_| bad(format!("bad Content-Length {v:?}")))?;
            if n > MAX_BODY {
                return Err(bad("body too large"));
            }
            Ok(Some(n))
        }
    }
}

async fn read_chunked<R: AsyncBufRead + Unpin>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut budget = MAX_HEAD;
    loop {
        let line = read_line(r, &mut budget)
            .await?
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "EOF in chunked body"))?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| bad(format!("bad chunk size {size_hex:?}")))?;
        if size == 0 {
            // Trailers up to the empty line.
            read_headers(r, &mut budget).await?;
            return Ok(body);
        }
        if size > MAX_BODY - body.len() {
            return Err(bad("body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..]).await?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).await?;
    }
}

/// Reads one request. `None` when the client closed the connection between requests.
/// `continue_to` receives `100 Continue` when the client asked for it.
pub async fn read_request<R, W>(r: &mut R, continue_to: &mut W) -> io::Result<Option<Request>>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut budget = MAX_HEAD;
    // Tolerate stray empty lines between requests (RFC 9112 §2.2).
    let line = loop {
        match read_line(r, &mut budget).await? {
            None => return Ok(None),
            Some(l) if l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(format!("malformed request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad(format!("unsupported version {version:?}")));
    }
    let headers = read_headers(r, &mut budget).await?;
    if header(&headers, "expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        continue_to
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await?;
        continue_to.flush().await?;
    }
    let body = if is_chunked(&headers) {
        read_chunked(r).await?
    } else if let Some(n) = content_length(&headers)? {
        let mut b = vec![0u8; n];
        r.read_exact(&mut b).await?;
        b
    } else {
        Vec::new()
    };
    Ok(Some(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
        body,
    }))
}

/// Reads one response to a request of `method` from a connection that the peer closes after it.
pub async fn read_response<R: AsyncBufRead + Unpin>(
    r: &mut R,
    method: &str,
) -> io::Result<Response> {
    let mut budget = MAX_HEAD;
    let (status, reason, headers) = loop {
        let line = read_line(r, &mut budget).await?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "upstream closed before responding",
            )
        })?;
        let mut parts = line.splitn(3, ' ');
        let version = parts.next().unwrap_or("");
        if !version.starts_with("HTTP/1.") {
            return Err(bad(format!("malformed status line {line:?}")));
        }
        let status: u16 = parts
            .next()
            .unwrap_or("")
            .parse()
            .map_err(|_| bad(format!("malformed status line {line:?}")))?;
        let reason = parts.next().unwrap_or("").to_owned();
        let headers = read_headers(r, &mut budget).await?;
        if (100..200).contains(&status) {
            continue; // interim response
        }
        break (status, reason, headers);
    };
    let no_body = method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304;
    let body = if no_body {
        Vec::new()
    } else if is_chunked(&headers) {
        read_chunked(r).await?
    } else if let Some(n) = content_length(&headers)? {
        let mut b = vec![0u8; n];
        r.read_exact(&mut b).await?;
        b
    } else {
        let mut b = Vec::new();
        (&mut *r).take(MAX_BODY as u64).read_to_end(&mut b).await?;
        b
    };
    Ok(Response {
        status,
        reason,
        headers,
        body,
    })
}

/// Writes a request for an upstream that should close the connection after answering.
pub async fn write_request<W: AsyncWrite + Unpin>(w: &mut W, req: &Request) -> io::Result<()> {
    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, req.target);
    for (k, v) in &req.headers {
        if !is_hop_by_hop(k) && !k.eq_ignore_ascii_case("expect") {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    if !req.body.is_empty() || !matches!(req.method.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS")
    {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&req.body);
    w.write_all(&out).await?;
    w.flush().await
}

/// Writes a response framed with `Content-Length`.
pub async fn write_response<W: AsyncWrite + Unpin>(
    w: &mut W,
    resp: &Response,
    keep_alive: bool,
    head_only: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        resp.status,
        if resp.reason.is_empty() {
            reason(resp.status)
        } else {
            &resp.reason
        }
    );
    for (k, v) in &resp.headers {
        if !is_hop_by_hop(k) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n", resp.body.len()));
    head.push_str(if keep_alive {
        "Connection: keep-alive\r\n\r\n"
    } else {
        "Connection: close\r\n\r\n"
    });
    let mut out = head.into_bytes();
    if !head_only {
        out.extend_from_slice(&resp.body);
    }
    w.write_all(&out).await?;
    w.flush().await
}

/// Reads a request from bytes (tests).
pub async fn parse_request_bytes(bytes: &[u8]) -> io::Result<Option<Request>> {
    let mut r = tokio::io::BufReader::new(bytes);
    let mut sink = tokio::io::sink();
    read_request(&mut r, &mut sink).await
}

/// Reads a response from bytes (tests).
pub async fn parse_response_bytes<R: AsyncRead + Unpin>(
    bytes: R,
    method: &str,
) -> io::Result<Response> {
    let mut r = tokio::io::BufReader::new(bytes);
    read_response(&mut r, method).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn request_with_content_length() {
        rt().block_on(async {
            let raw = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 14\r\n\r\nAction=GetRole";
            let req = parse_request_bytes(raw).await.unwrap().unwrap();
            assert_eq!(req.method, "POST");
            assert_eq!(req.body, b"Action=GetRole");
            assert!(req.keep_alive());
        });
    }

    #[test]
    fn chunked_request_and_close() {
        rt().block_on(async {
            let raw = b"POST /a?b HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n7\r\nAction=\r\n7;ext\r\nGetRole\r\n0\r\n\r\n";
            let req = parse_request_bytes(raw).await.unwrap().unwrap();
            assert_eq!(req.body, b"Action=GetRole");
            assert_eq!(req.path(), "/a");
            assert!(!req.keep_alive());
        });
    }

    #[test]
    fn a_chunk_size_that_would_overflow_is_refused() {
        rt().block_on(async {
            let raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n";
            let err = parse_request_bytes(raw).await.unwrap_err();
            assert!(err.to_string().contains("body too large"), "{err}");
        });
    }

    #[test]
    fn eof_between_requests_is_none() {
        rt().block_on(async {
            assert!(parse_request_bytes(b"").await.unwrap().is_none());
            assert!(parse_request_bytes(b"GET / HTTP/1.1\r\nHost")
                .await
                .is_err());
        });
    }

    #[test]
    fn response_framings() {
        rt().block_on(async {
            let r = parse_response_bytes(&b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"[..], "POST").await.unwrap();
            assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
            let r = parse_response_bytes(&b"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil-eof"[..], "POST").await.unwrap();
            assert_eq!(r.body, b"until-eof");
            let r = parse_response_bytes(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"[..], "GET").await.unwrap();
            assert_eq!(r.body, b"ab");
            let r = parse_response_bytes(&b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"[..], "HEAD").await.unwrap();
            assert!(r.body.is_empty());
        });
    }
}
