//! `cargo xtask bench-serve`: requests per second and latency of `kresym
//! serve` on a real 30-frame report of Debian's 6.1 kernel (the kernel and
//! report of `cargo xtask bench`), with a warm index, at 1 and 2 worker
//! threads; and the latency of the first request for a build never seen
//! (no index yet: DWARF is read).
//!
//! The clients run in this process on the same machine: keep-alive
//! connections, each sending the report and waiting for its answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::bench;

/// Options of `cargo xtask bench-serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Where the Debian package is (see `cargo xtask bench`).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Requests per measured run.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Also write the results table to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// A running `kresym serve`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(
        kresym: &Path,
        root: &Path,
        index_dir: &Path,
        workers: usize,
        log: &Path,
    ) -> Result<Server> {
        let child = Command::new(kresym)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "-j",
                &workers.to_string(),
            ])
            .arg("--debug-dir")
            .arg(root)
            .arg("--index-dir")
            .arg(index_dir)
            .env_remove("DEBUGINFOD_URLS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log)?)
            .spawn()
            .context("cannot start kresym serve")?;
        let mut server = Server {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(rest) = text.split("listening on http://").nth(1) {
                server.address = rest.lines().next().unwrap_or_default().parse()?;
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("kresym serve did not start: {text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A keep-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(address: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        })
    }

    /// POST `body` to `target`: the status and the answer's body.
    fn post(&mut self, target: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.writer.write_all(head.as_bytes())?;
        self.writer.write_all(body)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
        }
        let mut answer = vec![0; length];
        self.reader.read_exact(&mut answer)?;
        Ok((status, answer))
    }
}

/// Latencies of a run, and its length.
struct Run {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Run {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// `requests` requests from `clients` clients; every answer must be `expected`.
fn drive(
    address: SocketAddr,
    target: &str,
    report: &[u8],
    expected: &[u8],
    requests: usize,
    clients: usize,
) -> Result<Run> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (next, target, report, expected) = (
                Arc::clone(&next),
                target.to_owned(),
                report.to_vec(),
                expected.to_vec(),
            );
            std::thread::spawn(move || -> Result<Vec<Duration>> {
                let mut connection = Connection::open(address)?;
                let mut latencies = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let sent = Instant::now();
                    let (status, answer) = connection.post(&target, &report)?;
                    latencies.push(sent.elapsed());
                    ensure!(
                        status == 200,
                        "status {status}: {}",
                        String::from_utf8_lossy(&answer)
                    );
                    ensure!(answer == expected, "an answer differs from the first");
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for thread in threads {
        latencies.extend(
            thread
                .join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??,
        );
    }
    Ok(Run {
        latencies,
        elapsed: started.elapsed(),
    })
}

/// Measure and print the table.
pub fn run(args: &Args) -> Result<()> {
    let cache = bench::cache_dir(args.cache_dir.as_deref())?;
    // Debian's 6.1 cloud-amd64 kernel, the first of the bench's kernels.
    let vmlinux = bench::fetch_kernel(&bench::KERNELS[0], &cache)?;
    let kresym = bench::build_kresym()?;
    let corpus = bench::Corpus::build(&vmlinux, 20_000, &cache.join("corpus"))?;
    let report = std::fs::read(&corpus.report30)?;
    let root = cache.join("root/usr/lib/debug");
    let index_dir = cache.join("index");
    let target = format!("/v1/symbolize?release={}", bench::RELEASE);
    let logs = tempfile::tempdir()?;

    // The index, built once (the first server builds it in the background).
    let mut rows = Vec::new();
    let mut expected = None;
    for workers in [1, 2] {
        let log = logs.path().join(format!("serve-{workers}.log"));
        let server = Server::start(&kresym, &root, &index_dir, workers, &log)?;
        let mut connection = Connection::open(server.address)?;
        let started = Instant::now();
        loop {
            let (status, answer) = connection.post(&target, &report)?;
            ensure!(
                status == 200,
                "status {status}: {}",
                String::from_utf8_lossy(&answer)
            );
            let text = std::fs::read_to_string(&log)?;
            if text.contains("indexed=true") || text.contains("index ready") {
                expected.get_or_insert(answer);
                break;
            }
            ensure!(
                started.elapsed() < Duration::from_secs(600),
                "no index after 10 minutes: {text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let expected = expected.as_deref().unwrap_or_default();
        drive(
            server.address,
            &target,
            &report,
            expected,
            500,
            args.clients,
        )?;
        let run = drive(
            server.address,
            &target,
            &report,
            expected,
            args.requests,
            args.clients,
        )?;
        rows.push(format!(
            "| warm index, -j {workers}, {} clients | {:.0} | {:.2} | {:.2} |",
            args.clients,
            run.per_second(),
            run.percentile(0.5).as_secs_f64() * 1e3,
            run.percentile(0.99).as_secs_f64() * 1e3,
        ));
        eprintln!("{}", rows.last().unwrap_or(&String::new()));
    }

    // A build never seen: an empty index directory, so DWARF is read.
    let cold_index = tempfile::tempdir()?;
    let log = logs.path().join("serve-cold.log");
    let server = Server::start(&kresym, &root, cold_index.path(), 2, &log)?;
    let mut connection = Connection::open(server.address)?;
    let sent = Instant::now();
    let (status, answer) = connection.post(&target, &report)?;
    let first = sent.elapsed();
    ensure!(
        status == 200,
        "status {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    ensure!(
        Some(&answer) == expected.as_ref(),
        "the cold answer differs from the warm one"
    );
    rows.push(format!(
        "| first request, build never seen (DWARF) | | {:.0} | |",
        first.as_secs_f64() * 1e3
    ));
    drop(server);

    let table = format!(
        "| kresym serve, 30-frame report of Debian 6.1 | requests/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |\n{}\n",
        rows.join("\n")
    );
    print!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}
