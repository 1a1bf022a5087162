//! One HTTP/1.1 `GET` over a connected stream (a Unix socket, a TCP connection), its response
//! head parsed with `httparse` and its body handed back as a reader: chunked, sized, or up to
//! the close.
//!
//! Hand-written rather than a client crate's: the engines listen on Unix sockets, and the one
//! maintained blocking client (ureq 3) reaches a Unix socket only through its semver-exempt
//! `unversioned` transport API, so every ureq release could break it; and no client bounds
//! the silence *between* reads of a body (ureq's body timeout is for the whole body, minutes
//! for a large image), which a stalled daemon needs. The exchange needed is small: a GET with
//! `Connection: close`, a head, and one body, which the scan reads once, front to back. The
//! same exchange runs over a Unix socket, TCP, and rustls' TLS stream (`socket.rs`), each with
//! the socket's read timeout as the bound on silence.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::time::Duration;

/// A connected byte stream to an engine.
pub(crate) trait Conn: Read + Write + Send + Sync {}
impl<T: Read + Write + Send + Sync> Conn for T {}

/// The longest response head read (Docker's are ~300 bytes).
const MAX_HEAD: usize = 64 << 10;
/// The longest chunk-size or trailer line of a chunked body.
const MAX_LINE: usize = 4096;

/// A response: its status and its body, still on the wire.
pub(crate) struct Response {
    pub status: u16,
    pub body: Body,
}

impl Response {
    /// The whole body, when it is small (an error document, an inspect answer).
    pub(crate) fn read_small(self, max: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.body.take(max + 1).read_to_end(&mut out)?;
        if out.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the engine's answer is larger than {max} bytes"),
            ));
        }
        Ok(out)
    }
}

/// Sends `GET path` on `conn` and reads the response head. `stall` is how long the engine
/// may stay silent, there and in the body; reads of `conn` must already time out by then
/// (its read timeout is the socket's), which is what turns into [`io::ErrorKind::TimedOut`].
pub(crate) fn get(
    mut conn: Box<dyn Conn>,
    host: &str,
    path: &str,
    stall: Duration,
) -> io::Result<Response> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: sbom/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    conn.write_all(request.as_bytes())
        .and_then(|()| conn.flush())
        .map_err(|e| stalled(e, stall))?;
    let mut r = BufReader::with_capacity(256 << 10, Silence { inner: conn, stall });
    let mut head = Vec::with_capacity(1024);
    loop {
        let n = r.read_until(b'\n', &mut head)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine closed the connection before answering",
            ));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            break;
        }
        if head.len() > MAX_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the engine's response head is larger than 64 KiB",
            ));
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the engine's answer is not HTTP/1.1",
            ))
        }
    }
    let status = parsed.code.unwrap_or(0);
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.ends_with("chunked")) {
        Body::Chunked {
            r,
            left: 0,
            done: false,
        }
    } else if let Some(len) = header("content-length") {
        let len = len.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the engine sent a bad Content-Length",
            )
        })?;
        Body::Sized { r, left: len }
    } else {
        Body::UntilClose(r)
    };
    Ok(Response { status, body })
}

/// A response body.
pub(crate) enum Body {
    /// `Transfer-Encoding: chunked` (the engines stream exports so): ends at the zero chunk;
    /// a connection closed before it is a cut stream.
    Chunked {
        r: BufReader<Silence>,
        left: u64,
        done: bool,
    },
    /// `Content-Length`: fewer bytes than that is a cut stream.
    Sized { r: BufReader<Silence>, left: u64 },
    /// Neither: the body ends with the connection.
    UntilClose(BufReader<Silence>),
}

fn cut(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the engine's stream ended {what}"),
    )
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::UntilClose(r) => r.read(buf),
            Body::Sized { r, left } => {
                if *left == 0 || buf.is_empty() {
                    return Ok(0);
                }
                let want = buf.len().min(*left as usize);
                let n = r.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(cut(&format!("{left} bytes before its announced length")));
                }
                *left -= n as u64;
                Ok(n)
            }
            Body::Chunked { r, left, done } => {
                if *done || buf.is_empty() {
                    return Ok(0);
                }
                if *left == 0 {
                    *left = chunk_size(r)?;
                    if *left == 0 {
                        // trailers, up to the empty line
                        while !line(r)?.is_empty() {}
                        *done = true;
                        return Ok(0);
                    }
                }
                let want = buf.len().min(*left as usize);
                let n = r.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(cut("inside a chunk, before the end of the export"));
                }
                *left -= n as u64;
                if *left == 0 && !line(r)?.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the engine's chunked stream is malformed (no line end after a chunk)",
                    ));
                }
                Ok(n)
            }
        }
    }
}

/// One line without its line end; a closed connection before it is a cut stream.
fn line(r: &mut BufReader<Silence>) -> io::Result<Vec<u8>> {
    let mut l = Vec::new();
    (&mut *r).take(MAX_LINE as u64).read_until(b'\n', &mut l)?;
    if !l.ends_with(b"\n") {
        return Err(if l.len() >= MAX_LINE {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the engine's chunked stream has an overlong line",
            )
        } else {
            cut("between chunks, before the end of the export")
        });
    }
    l.pop();
    if l.last() == Some(&b'\r') {
        l.pop();
    }
    Ok(l)
}

fn chunk_size(r: &mut BufReader<Silence>) -> io::Result<u64> {
    let l = line(r)?;
    let hex = l.split(|&b| b == b';').next().unwrap_or(&[]);
    std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the engine's chunked stream is malformed (bad chunk size)",
            )
        })
}

/// The connection, with a read that outlasts the socket's timeout reported as the engine
/// falling silent (a Unix socket's timeout surfaces as `WouldBlock`).
pub(crate) struct Silence {
    inner: Box<dyn Conn>,
    stall: Duration,
}

impl Read for Silence {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| stalled(e, self.stall))
    }
}

fn stalled(e: io::Error, stall: Duration) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the engine sent nothing for {} s (timed out; SBOM_ENGINE_TIMEOUT sets the wait)",
                stall.as_secs()
            ),
        ),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A canned answer, and whatever is written to it dropped.
    struct Canned(io::Cursor<Vec<u8>>);
    impl Read for Canned {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.read(b)
        }
    }
    impl Write for Canned {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn body(answer: &[u8]) -> io::Result<Vec<u8>> {
        let conn = Box::new(Canned(io::Cursor::new(answer.to_vec())));
        let r = get(conn, "docker", "/x", Duration::from_secs(1))?;
        let mut out = Vec::new();
        let mut b = r.body;
        b.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_bodies_are_decoded_and_cut_ones_fail() {
        let ok = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\n\r\n";
        assert_eq!(body(ok).unwrap(), b"hello!");
        for cut_at in [50, 58, 62, 66, 68] {
            let e = body(&ok[..cut_at]).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{cut_at}: {e}");
        }
        let bad = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
        assert_eq!(body(bad).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn sized_bodies_must_be_whole() {
        let ok = b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope";
        assert_eq!(body(ok).unwrap(), b"nope");
        let short = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnope";
        assert_eq!(
            body(short).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        assert_eq!(
            body(b"SSH-2.0-OpenSSH\r\n\r\n").unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
