//! End-to-end tests of `kresym serve`: replicas on 127.0.0.1 answering
//! exactly what `kresym symbolize` prints, sharing one index directory
//! while one of them is killed, hostile bodies and slow clients, and the
//! web page in headless Chromium.

mod common;

#[path = "../crates/debuginfo/tests/common/server.rs"]
mod debuginfod;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RELEASE: &str = "6.1.0-kresym-sample";

/// A debug root holding ROOT/boot/vmlinux-RELEASE (the DWARF 5 sample).
fn debug_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let boot = root.path().join("boot");
    std::fs::create_dir_all(&boot).unwrap();
    std::fs::copy(vmlinux(), boot.join(format!("vmlinux-{RELEASE}"))).unwrap();
    root
}

fn vmlinux() -> PathBuf {
    common::samples().join("build/vmlinux-dwarf5")
}

/// A running `kresym serve`, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(root: &Path, index_dir: &Path, extra: &[&str]) -> Server {
        Server::start_with(root, index_dir, extra, &[])
    }

    /// Started with `env` set (debuginfod off unless it sets it).
    fn start_with(root: &Path, index_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr");
        let mut command = common::kresym();
        command.env_remove("DEBUGINFOD_URLS");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--debug-dir"])
            .arg(root)
            .arg("--index-dir")
            .arg(index_dir)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // Killed and waited for by `drop` should it not start.
        let mut server = Server {
            child,
            address: SocketAddr::from(([0, 0, 0, 0], 0)),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        loop {
            let text = server.log();
            if let Some(rest) = text.split("listening on http://").nth(1) {
                server.address = rest.lines().next().unwrap().parse().unwrap();
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "kresym serve did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `code` of a JSON error body.
    fn code(&self) -> String {
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()));
        value["code"].as_str().unwrap().to_owned()
    }
}

/// One HTTP/1.1 request on a connection of its own.
fn request(
    address: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head += "\r\n";
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse_answer(&bytes)
}

fn parse_answer(bytes: &[u8]) -> std::io::Result<Answer> {
    let broken = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "incomplete answer");
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(broken)?;
    let headers = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let status = headers
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(broken)?;
    let body = bytes[end + 4..].to_vec();
    let length = headers.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    if length.is_some_and(|length| length != body.len()) {
        return Err(broken());
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn post(address: SocketAddr, target: &str, body: &[u8]) -> Answer {
    request(address, "POST", target, &[], body).unwrap()
}

/// What `kresym symbolize FLAGS -` prints for `input` on standard input.
fn cli(flags: &[&str], input: &[u8]) -> std::process::Output {
    run_cli(&[&["symbolize"][..], flags].concat(), input)
}

/// What `kresym ARGS -` prints for `input` on standard input.
fn run_cli(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut command = common::kresym();
    command.args(args).arg("-").env_remove("DEBUGINFOD_URLS");
    common::run_fed(&mut command, input.to_vec()).0
}

/// The CLI flags for a format, as the query string asks.
fn cli_flags(format: &str) -> Vec<&'static str> {
    let vmlinux: &'static str = Box::leak(vmlinux().to_str().unwrap().to_owned().into_boxed_str());
    let modules: &'static str = Box::leak(
        common::samples()
            .join("build")
            .to_str()
            .unwrap()
            .to_owned()
            .into_boxed_str(),
    );
    let mut flags = vec!["--no-index", "--vmlinux", vmlinux, "--modules", modules];
    flags.extend(match format {
        "text" => &["--format", "text"][..],
        "json" => &["--format", "json"],
        "markdown" => &[
            "--format", "markdown", "--repo", "upstream", "--commit", "v6.1",
        ],
        "html" => &["--format", "html", "--repo", "upstream", "--commit", "v6.1"],
        _ => unreachable!(),
    });
    flags
}

fn target(format: &str) -> String {
    match format {
        "markdown" | "html" => format!("/v1/symbolize?format={format}&repo=upstream&commit=v6.1"),
        _ => format!("/v1/symbolize?format={format}"),
    }
}

/// Sample reports that name the sample's release, read.
fn reports() -> Vec<(String, Vec<u8>)> {
    common::sample_reports()
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .filter(|(_, bytes)| String::from_utf8_lossy(bytes).contains(RELEASE))
        .collect()
}

fn modules_flag() -> Vec<String> {
    vec![
        "--modules".to_owned(),
        common::samples().join("build").to_str().unwrap().to_owned(),
    ]
}

#[test]
fn every_format_answers_what_the_cli_prints() {
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let modules = modules_flag();
    let extra: Vec<&str> = modules.iter().map(String::as_str).collect();
    let server = Server::start(root.path(), index.path(), &extra);
    let reports = reports();
    assert!(reports.len() >= 5, "{} sample reports", reports.len());
    for (name, report) in &reports {
        for format in ["text", "json", "markdown", "html"] {
            let answer = post(server.address, &target(format), report);
            let expected = cli(&cli_flags(format), report);
            assert_eq!(
                answer.status,
                200,
                "{name} {format}: {}\n{}",
                answer.text(),
                server.log()
            );
            assert_eq!(
                answer.text(),
                String::from_utf8_lossy(&expected.stdout),
                "{name} as {format}"
            );
            if format == "text" {
                let resolved = String::from_utf8_lossy(&expected.stdout)
                    .matches(".c:")
                    .count();
                assert!(resolved > 0, "{name}: nothing resolved");
                assert!(
                    answer.headers.contains("x-kresym-resolved: "),
                    "{}",
                    answer.headers
                );
            }
        }
    }
    // parse, verify and link answer what those commands print.
    let (_, report) = &reports[0];
    let symbolized = cli(&cli_flags("text"), report).stdout;
    let mut verify_flags = cli_flags("json");
    verify_flags.retain(|flag| *flag != "--format" && *flag != "json");
    let cases: [(&str, Vec<&str>, &[u8]); 5] = [
        (
            "/v1/parse?format=json",
            vec!["parse", "--format", "json"],
            report,
        ),
        ("/v1/parse", vec!["parse"], report),
        (
            "/v1/verify?format=json",
            [&["verify", "--format", "json"][..], &verify_flags].concat(),
            &symbolized,
        ),
        (
            "/v1/verify",
            [&["verify"][..], &verify_flags].concat(),
            &symbolized,
        ),
        (
            "/v1/link?format=markdown&repo=upstream&commit=v6.1",
            vec![
                "link", "--format", "markdown", "--repo", "upstream", "--commit", "v6.1",
            ],
            &symbolized,
        ),
    ];
    for (target, args, input) in cases {
        let answer = post(server.address, target, input);
        let expected = run_cli(&args, input);
        assert_eq!(answer.status, 200, "{target}: {}", answer.text());
        assert!(!expected.stdout.is_empty(), "{args:?}: {expected:?}");
        assert_eq!(
            answer.text(),
            String::from_utf8_lossy(&expected.stdout),
            "{target}"
        );
    }
    let metrics = request(server.address, "GET", "/metrics", &[], b"").unwrap();
    let metrics = metrics.text();
    assert!(
        metrics.contains("kresym_http_requests_total{route=\"/v1/symbolize\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kresym_frames_total{result=\"resolved\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kresym_build_cache_total{result=\"hit\"}"),
        "{metrics}"
    );
}

/// Three replicas share one index directory; concurrent clients send a few
/// thousand requests round-robin; one replica is killed midway and its
/// clients retry on the others. Every answer is the CLI's output, only the
/// killed replica fails, and the index directory holds whole indexes only.
#[test]
fn replicas_sharing_an_index_dir_survive_one_being_killed() {
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 2_400;
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let mut flags = modules_flag();
    flags.extend(["-j".to_owned(), "2".to_owned()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let servers: Vec<Arc<Mutex<Option<Server>>>> = (0..3)
        .map(|_| {
            Arc::new(Mutex::new(Some(Server::start(
                root.path(),
                index.path(),
                &flags,
            ))))
        })
        .collect();
    let addresses: Vec<SocketAddr> = servers
        .iter()
        .map(|s| s.lock().unwrap().as_ref().unwrap().address)
        .collect();
    let mut cases = Vec::new();
    for (name, report) in reports() {
        for format in ["text", "json"] {
            let expected = cli(&cli_flags(format), &report);
            assert!(expected.status.success(), "{name}: {expected:?}");
            cases.push((
                name.clone(),
                target(format),
                report.clone(),
                expected.stdout,
            ));
        }
    }
    let cases = Arc::new(cases);
    let sent = Arc::new(AtomicUsize::new(0));
    let killed_address = addresses[0];
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let retried = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (cases, sent, failures, retried, addresses) = (
                Arc::clone(&cases),
                Arc::clone(&sent),
                Arc::clone(&failures),
                Arc::clone(&retried),
                addresses.clone(),
            );
            std::thread::spawn(move || {
                let mut turn = client;
                loop {
                    let n = sent.fetch_add(1, Ordering::SeqCst);
                    if n >= REQUESTS {
                        return;
                    }
                    let (name, target, report, expected) = &cases[n % cases.len()];
                    let mut attempts = 0;
                    loop {
                        let address = addresses[turn % addresses.len()];
                        turn += 1;
                        attempts += 1;
                        assert!(attempts < 10, "request {n} failed everywhere");
                        match request(address, "POST", target, &[], report) {
                            Ok(answer) if answer.status == 200 => {
                                if answer.body != *expected {
                                    failures.lock().unwrap().push(format!(
                                        "{name} {target} from {address}: not the CLI's output"
                                    ));
                                }
                                break;
                            }
                            Ok(answer) if address == killed_address && answer.status >= 500 => {
                                retried.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(answer) => {
                                failures.lock().unwrap().push(format!(
                                    "{name} {target} from {address}: {} {}",
                                    answer.status,
                                    answer.text()
                                ));
                                break;
                            }
                            // Only the killed replica may drop a connection.
                            Err(error) if address == killed_address => {
                                let _ = error;
                                retried.fetch_add(1, Ordering::SeqCst);
                            }
                            Err(error) => {
                                failures
                                    .lock()
                                    .unwrap()
                                    .push(format!("{name} {target} from {address}: {error}"));
                                break;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    while sent.load(Ordering::SeqCst) < REQUESTS / 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut victim = servers[0].lock().unwrap().take().unwrap();
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    for client in clients {
        client.join().unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} failures: {:#?}",
        failures.len(),
        &failures[..failures.len().min(20)]
    );
    assert!(sent.load(Ordering::SeqCst) >= REQUESTS);
    assert!(
        retried.load(Ordering::SeqCst) > 0,
        "no request met the killed replica"
    );

    // Whole indexes only: each file is an index the CLI accepts as is.
    let files: Vec<_> = std::fs::read_dir(index.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let survivor = servers[1].lock().unwrap();
    let survivor = survivor.as_ref().unwrap();
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "kri")),
        "{files:?}\n{}",
        survivor.log()
    );
    // The CLI building the same indexes (modules on their first frame)
    // writes the same files, byte for byte.
    let reference = tempfile::tempdir().unwrap();
    for (name, report) in reports() {
        let mut flags = cli_flags("text");
        flags.retain(|flag| *flag != "--no-index");
        flags.extend([
            "--build-index",
            "--index-dir",
            reference.path().to_str().unwrap(),
        ]);
        let built = cli(&flags, &report);
        assert!(built.status.success(), "{name}: {built:?}");
    }
    let mut names: Vec<_> = files.iter().map(|f| f.file_name().unwrap()).collect();
    names.sort();
    let mut expected: Vec<_> = std::fs::read_dir(reference.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    expected.sort();
    assert_eq!(names, expected, "{}", survivor.log());
    for file in &files {
        assert_eq!(
            std::fs::read(file).unwrap(),
            std::fs::read(reference.path().join(file.file_name().unwrap())).unwrap(),
            "{} differs from the CLI's",
            file.display()
        );
    }
    // Some replica built the indexes while serving; whichever got there
    // first (the others found them whole in the shared directory).
    let others = servers[2].lock().unwrap();
    let logs = [victim.log(), survivor.log(), others.as_ref().unwrap().log()];
    assert!(
        logs.iter().any(|log| log.contains("index ready")),
        "{logs:#?}"
    );
}

/// A server with no debug root, whose only way to the sample vmlinux is a
/// fake debuginfod answering after `delay`; `jobs` workers. Returns the
/// vmlinux's build id and the directories that must outlive the server.
fn behind_slow_debuginfod(
    delay: Duration,
    jobs: &str,
) -> (String, debuginfod::Server, Server, [tempfile::TempDir; 3]) {
    let id = kresym_debuginfo::elf::read(&vmlinux())
        .unwrap()
        .build_id
        .unwrap();
    let debuginfod = debuginfod::Server::start();
    debuginfod.route(
        &id,
        "debuginfo",
        debuginfod::Reply::Slow(delay, std::fs::read(vmlinux()).unwrap()),
    );
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let [empty_root, index, cache] = &dirs;
    let server = Server::start_with(
        empty_root.path(),
        index.path(),
        &["-j", jobs],
        &[
            ("DEBUGINFOD_URLS", &debuginfod.url),
            ("DEBUGINFOD_CACHE_PATH", cache.path().to_str().unwrap()),
            ("NO_PROXY", "127.0.0.1"),
            ("no_proxy", "127.0.0.1"),
        ],
    );
    (id, debuginfod, server, dirs)
}

/// A kernel found only through debuginfod: eight concurrent first
/// requests for it share one download (the fake server answers slowly so
/// that they overlap), and every answer is the CLI's.
#[test]
fn concurrent_first_requests_share_one_debuginfod_fetch() {
    let (id, debuginfod, server, _dirs) = behind_slow_debuginfod(Duration::from_millis(800), "8");
    let (_, report) = reports()
        .into_iter()
        .find(|(n, _)| n == "kasan-tcp.txt")
        .unwrap();
    let expected = cli(&cli_flags("text"), &report).stdout;
    let address = server.address;
    let target = format!("/v1/symbolize?build_id={id}");
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (report, target) = (report.clone(), target.clone());
            std::thread::spawn(move || post(address, &target, &report))
        })
        .collect();
    for client in clients {
        let answer = client.join().unwrap();
        assert_eq!(answer.status, 200, "{}\n{}", answer.text(), server.log());
        assert_eq!(answer.body, expected);
    }
    assert_eq!(debuginfod.requests(), 1, "{}", server.log());
    let metrics = request(address, "GET", "/metrics", &[], b"")
        .unwrap()
        .text();
    assert!(
        metrics.contains("kresym_debuginfod_kernels_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kresym_build_cache_total{result=\"miss\"} 1\n"),
        "{metrics}"
    );
}

/// A kernel being downloaded holds no worker: with one worker, a parse
/// request sent meanwhile is answered before the symbolize request that
/// waits for the download.
#[test]
fn a_kernel_being_fetched_holds_no_worker() {
    let (id, debuginfod, server, _dirs) = behind_slow_debuginfod(Duration::from_secs(3), "1");
    let (_, report) = reports()
        .into_iter()
        .find(|(n, _)| n == "kasan-tcp.txt")
        .unwrap();
    let address = server.address;
    let target = format!("/v1/symbolize?build_id={id}");
    let slow_report = report.clone();
    let slow = std::thread::spawn(move || post(address, &target, &slow_report));
    while debuginfod.requests() == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let parsed = post(address, "/v1/parse", &report);
    assert_eq!(parsed.status, 200);
    assert!(
        !slow.is_finished(),
        "the download was over before the parse was answered"
    );
    assert_eq!(slow.join().unwrap().status, 200);
}

/// Two kernels named differently (one report prints a module build id) and
/// room for one: each switch reopens, the least recently used is closed;
/// with room for two, each is opened once.
#[test]
fn builds_past_the_limit_are_closed_least_recently_used_first() {
    let reports = reports();
    let plain = &reports
        .iter()
        .find(|(n, _)| n == "kasan-tcp.txt")
        .unwrap()
        .1;
    let with_module = &reports
        .iter()
        .find(|(n, _)| n == "module-buildid.txt")
        .unwrap()
        .1;
    let root = debug_root();
    let modules = modules_flag();
    for (max, misses) in [("1", 6), ("2", 2)] {
        let index = tempfile::tempdir().unwrap();
        let mut flags: Vec<&str> = modules.iter().map(String::as_str).collect();
        flags.extend(["--max-builds", max, "--no-index"]);
        let server = Server::start(root.path(), index.path(), &flags);
        for _ in 0..3 {
            for report in [plain, with_module] {
                let answer = post(server.address, "/v1/symbolize", report);
                assert_eq!(answer.status, 200, "{}", answer.text());
            }
        }
        let metrics = request(server.address, "GET", "/metrics", &[], b"")
            .unwrap()
            .text();
        assert!(
            metrics.contains(&format!(
                "kresym_build_cache_total{{result=\"miss\"}} {misses}\n"
            )),
            "--max-builds {max}: {metrics}"
        );
        assert!(
            metrics.contains(&format!("kresym_builds_open {max}\n")),
            "--max-builds {max}: {metrics}"
        );
    }
    // Requests naming kernels that are nowhere do not push out one that is.
    let index = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), index.path(), &["--max-builds", "1"]);
    for release in ["", "1.0-nowhere", "", "2.0-nowhere", ""] {
        let target = match release {
            "" => "/v1/symbolize".to_owned(),
            release => format!("/v1/symbolize?release={release}"),
        };
        let answer = post(server.address, &target, plain);
        assert_eq!(answer.status, if release.is_empty() { 200 } else { 422 });
    }
    let metrics = request(server.address, "GET", "/metrics", &[], b"")
        .unwrap()
        .text();
    assert!(
        metrics.contains("kresym_build_cache_total{result=\"hit\"} 2\n"),
        "{metrics}"
    );
}

#[test]
fn hostile_bodies_get_4xx_or_the_cli_treatment() {
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let server = Server::start(
        root.path(),
        index.path(),
        &["-j", "1", "--max-body", "100000", "--read-timeout", "1"],
    );
    let address = server.address;

    let empty = post(address, "/v1/symbolize", b"");
    assert_eq!((empty.status, empty.code()), (400, "empty_body".into()));

    let elf = std::fs::read(vmlinux()).unwrap();
    let answer = post(address, "/v1/symbolize", &elf[..50_000]);
    assert_eq!((answer.status, answer.code()), (400, "elf_body".into()));

    // Declared too large: refused before it is read.
    let answer = post(address, "/v1/symbolize", &vec![b'a'; 100_001]);
    assert_eq!(
        (answer.status, answer.code()),
        (413, "body_too_large".into())
    );
    // Chunked, without a length: refused once past the limit.
    let mut stream = TcpStream::connect(address).unwrap();
    let chunk = vec![b'x'; 60_000];
    let mut raw = b"POST /v1/parse HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..2 {
        raw.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend(&chunk);
        raw.extend(b"\r\n");
    }
    raw.extend(b"0\r\n\r\n");
    stream.write_all(&raw).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let answer = parse_answer(&bytes).unwrap();
    assert_eq!(
        (answer.status, answer.code()),
        (413, "body_too_large".into())
    );

    // No release, no build id: 422 saying what was tried.
    let answer = post(address, "/v1/symbolize", b"hello\nworld+0x1/0x2\n");
    assert_eq!(
        (answer.status, answer.code()),
        (422, "kernel_not_found".into())
    );
    assert!(answer.text().contains("release="), "{}", answer.text());
    let answer = post(
        address,
        "/v1/symbolize?release=9.9.9-nowhere",
        b"x+0x1/0x2\n",
    );
    assert_eq!(answer.status, 422, "{}", answer.text());
    assert!(answer.text().contains("9.9.9-nowhere"), "{}", answer.text());

    let answer = post(address, "/v1/symbolize?format=pdf", b"x");
    assert_eq!((answer.status, answer.code()), (400, "bad_format".into()));
    let answer = post(address, "/v1/symbolize?vmlinux=/etc/passwd", b"x");
    assert_eq!(
        (answer.status, answer.code()),
        (400, "bad_parameter".into())
    );
    let answer = post(address, "/v1/nothing", b"x");
    assert_eq!((answer.status, answer.code()), (404, "not_found".into()));
    let answer = request(address, "GET", "/v1/symbolize", &[], b"").unwrap();
    assert_eq!(
        (answer.status, answer.code()),
        (405, "method_not_allowed".into())
    );
    let answer = post(address, "/v1/symbolize?format=html", &reports()[0].1);
    assert_eq!(
        (answer.status, answer.code()),
        (422, "no_repository".into())
    );

    // Binary bytes and injection attempts around a real report: the CLI's
    // own answer, byte for byte.
    let (_, report) = &reports()[0];
    let mut hostile =
        b"\x00\x01\xff\xfe<script>alert(1)</script> [x](javascript:alert(1)) ```\n".to_vec();
    hostile.extend(report);
    hostile.extend(b"\n <img src=x onerror=alert(1)>+0x1/0x2\n\x1b[31m\r\n");
    for format in ["text", "json", "markdown", "html"] {
        let answer = post(address, &target(format), &hostile);
        let expected = cli(&cli_flags(format), &hostile);
        assert_eq!(answer.status, 200, "{format}: {}", answer.text());
        assert_eq!(answer.body, expected.stdout, "{format}");
        if format == "html" {
            assert!(!answer.text().contains("<script>"), "{}", answer.text());
            assert!(!answer.text().contains("<img"), "{}", answer.text());
        }
    }

    // A slow client holds no worker (there is one): it gets 408 and the
    // others are answered meanwhile.
    let mut slow = TcpStream::connect(address).unwrap();
    slow.write_all(b"POST /v1/parse HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nsome")
        .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        let answer = post(address, "/v1/parse", report);
        assert_eq!(answer.status, 200);
    }
    let mut bytes = Vec::new();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = slow.read_to_end(&mut bytes);
    let answer = parse_answer(&bytes).unwrap();
    assert_eq!((answer.status, answer.code()), (408, "body_timeout".into()));
    assert!(started.elapsed() < Duration::from_secs(20));
    // Headers that never end: the connection is closed.
    let mut stalled = TcpStream::connect(address).unwrap();
    stalled
        .write_all(b"POST /v1/parse HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut bytes = Vec::new();
    let closed = Instant::now();
    let _ = stalled.read_to_end(&mut bytes);
    assert!(closed.elapsed() < Duration::from_secs(20));

    assert_eq!(
        request(address, "GET", "/healthz", &[], b"")
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        request(address, "GET", "/readyz", &[], b"").unwrap().status,
        200
    );
}

/// A request past its deadline gets 504 (the first one for a kernel reads
/// it first, which takes longer than a millisecond), and SIGTERM ends the
/// server with status 0.
#[test]
fn deadline_and_graceful_shutdown() {
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let mut server = Server::start(
        root.path(),
        index.path(),
        &["--deadline", "0.001", "--no-index"],
    );
    let (_, report) = &reports()[0];
    let answer = post(server.address, "/v1/symbolize", report);
    assert_eq!(
        (answer.status, answer.code()),
        (504, "deadline_exceeded".into())
    );
    signal(server.child.id(), 15);
    let started = Instant::now();
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}: {}", server.log());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM while a request is in flight (its body half sent): the request
/// is answered in full, new connections are refused, and the server exits 0.
#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let mut server = Server::start(root.path(), index.path(), &["--grace", "20"]);
    let (_, report) = &reports()[0];
    let expected = cli(&cli_flags("text"), report).stdout;
    let mut stream = TcpStream::connect(server.address).unwrap();
    let head = format!(
        "POST /v1/symbolize HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        report.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&report[..report.len() / 2]).unwrap();
    // The server reads the headers before the signal comes.
    std::thread::sleep(Duration::from_millis(300));
    signal(server.child.id(), 15);
    let started = Instant::now();
    while TcpStream::connect(server.address).is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still accepting"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "{}",
        server.log()
    );
    stream.write_all(&report[report.len() / 2..]).unwrap();
    let mut bytes = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.read_to_end(&mut bytes).unwrap();
    let answer = parse_answer(&bytes).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.body, expected);
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}: {}", server.log());
}

fn signal(pid: u32, signal: i32) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// A multipart/form-data body as a browser sends the form.
fn form(fields: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----kresymformboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        if *name == "file" {
            body.extend(
                b"Content-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\nContent-Type: text/plain\r\n\r\n",
            );
        } else {
            body.extend(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        body.extend(*value);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The page at `/`: a form without scripts; posting a report (pasted or
/// uploaded) answers the CLI's HTML page, which headless Chromium shows
/// with its source links.
#[test]
fn the_web_page_symbolizes_a_pasted_or_uploaded_report() {
    let root = debug_root();
    let index = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), index.path(), &[]);
    let page = request(server.address, "GET", "/", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("<form method=\"post\" action=\"/\" enctype=\"multipart/form-data\">"));
    assert!(!text.contains("<script"));

    let (_, report) = reports()
        .into_iter()
        .find(|(n, _)| n == "kasan-tcp.txt")
        .unwrap();
    let expected = cli(&cli_flags("html"), &report).stdout;
    for field in ["report", "file"] {
        let (content_type, body) =
            form(&[(field, &report), ("repo", b"upstream"), ("commit", b"v6.1")]);
        let answer = request(
            server.address,
            "POST",
            "/",
            &[("Content-Type", &content_type)],
            &body,
        )
        .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.body, expected, "{field}");
    }
    let (content_type, body) = form(&[("report", b""), ("repo", b"upstream")]);
    let answer = request(
        server.address,
        "POST",
        "/",
        &[("Content-Type", &content_type)],
        &body,
    )
    .unwrap();
    assert_eq!(answer.status, 400);
    assert!(answer.text().contains("empty_body"), "{}", answer.text());

    let (content_type, body) = form(&[
        ("report", &report),
        ("repo", b"upstream"),
        ("commit", b"v6.1"),
    ]);
    let answer = request(
        server.address,
        "POST",
        "/",
        &[("Content-Type", &content_type)],
        &body,
    )
    .unwrap();
    chromium_check(&answer.body, server.address);
}

/// The result page and the form in headless Chromium: the result's source
/// links are in the DOM and a screenshot renders; the form is there.
fn chromium_check(result_page: &[u8], address: SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("result.html");
    std::fs::write(&page, result_page).unwrap();
    let profile = dir.path().join("profile");
    let dump = |url: &str, png: &Path| -> Option<String> {
        let output = kresym_test_support::headless_chromium(&profile, png)?
            .arg(url)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .expect("chromium starts");
        Some(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let shot = dir.path().join("result.png");
    let Some(dom) = dump(&format!("file://{}", page.display()), &shot) else {
        return;
    };
    assert!(
        dom.contains(
            "href=\"https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/"
        ),
        "{dom}"
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    let shot = dir.path().join("form.png");
    let dom = dump(&format!("http://{address}/"), &shot).unwrap();
    assert!(
        dom.contains("<textarea id=\"report\" name=\"report\">"),
        "{dom}"
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 5_000);
}
