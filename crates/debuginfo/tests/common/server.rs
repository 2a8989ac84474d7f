//! A debuginfod-shaped HTTP server on 127.0.0.1 for tests: it answers
//! `GET /buildid/ID/KIND` from a table, counts requests, and can answer
//! slowly, cut a body short, or serve the wrong file.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How to answer one path.
#[derive(Clone, Debug)]
#[allow(dead_code)]
pub enum Reply {
    /// 200 with these bytes.
    Body(Vec<u8>),
    /// 200 after this long.
    Slow(Duration, Vec<u8>),
    /// `Content-Length` of the whole body, then half of it, then close.
    Truncated(Vec<u8>),
    /// This status and no body.
    Status(u16),
    /// Copy the first file to the second (another client filling the
    /// cache meanwhile), then answer 404.
    CopyThenMissing(PathBuf, PathBuf),
    /// 200 without a `Content-Length`: these bytes, then zeros until the
    /// client hangs up.
    Endless(Vec<u8>),
    /// 200 claiming this `Content-Length`, then zeros until the client
    /// hangs up.
    Claims(u64),
}

/// A running server; it lives until the test process ends.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    requests: Arc<AtomicUsize>,
}

#[allow(dead_code)]
impl Server {
    /// Start a server with no routes: every path is a 404.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let requests: Arc<AtomicUsize> = Arc::default();
        let (r, n) = (routes.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, n) = (r.clone(), n.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &r, &n);
                });
            }
        });
        Server {
            url,
            routes,
            requests,
        }
    }

    /// Answer `GET /buildid/ID/KIND` with `reply`.
    pub fn route(&self, id: &str, kind: &str, reply: Reply) -> &Server {
        self.routes
            .lock()
            .unwrap()
            .insert(format!("/buildid/{id}/{kind}"), reply);
        self
    }

    /// Serve the file at `path` as the debuginfo of `id`.
    pub fn debuginfo(&self, id: &str, path: &Path) -> &Server {
        self.route(id, "debuginfo", Reply::Body(std::fs::read(path).unwrap()))
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    requests: &AtomicUsize,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
    let reply = routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or(Reply::Status(404));
    let mut stream = stream;
    let head = |status: &str, length: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )
    };
    match reply {
        Reply::Body(body) => {
            stream.write_all(head("200 OK", body.len()).as_bytes())?;
            stream.write_all(&body)?;
        }
        Reply::Slow(delay, body) => {
            std::thread::sleep(delay);
            stream.write_all(head("200 OK", body.len()).as_bytes())?;
            stream.write_all(&body)?;
        }
        Reply::Truncated(body) => {
            stream.write_all(head("200 OK", body.len()).as_bytes())?;
            stream.write_all(&body[..body.len() / 2])?;
        }
        Reply::CopyThenMissing(from, to) => {
            std::fs::create_dir_all(to.parent().unwrap())?;
            std::fs::copy(from, to)?;
            stream.write_all(head("404 Not Found", 0).as_bytes())?;
        }
        Reply::Endless(prefix) => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n";
            stream.write_all(head.as_bytes())?;
            stream.write_all(&prefix)?;
            let zeros = vec![0; 64 * 1024];
            loop {
                stream.write_all(&zeros)?;
            }
        }
        Reply::Claims(length) => {
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes())?;
            let zeros = vec![0; 64 * 1024];
            loop {
                stream.write_all(&zeros)?;
            }
        }
        Reply::Status(code) => {
            let status = match code {
                404 => "404 Not Found".to_owned(),
                code => format!("{code} Status"),
            };
            stream.write_all(head(&status, 0).as_bytes())?;
        }
    }
    stream.flush()?;
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Ok(())
}

/// The vmlinux-samples/build directory.
#[allow(dead_code)]
pub fn samples_build() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../vmlinux-samples/build")
        .canonicalize()
        .unwrap()
}
