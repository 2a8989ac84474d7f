//! Snippets over HTTP from a local server on 127.0.0.1 that serves each
//! forge's URL shape, errors, a slow reply and garbage.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use base64::Engine;
use kresym_link::{Cache, Fit, Forge, HttpOptions, LinkOptions, Linker, SourceChoice};

const SHA: &str = "7bc3e6e55acf065500a24621f3b313e7e5998acf";

/// A small fcntl.c whose line 20 is inside `send_sigio`.
fn fcntl_c() -> String {
    let mut s = String::new();
    for i in 1..=15 {
        s.push_str(&format!("/* filler {i} */\n"));
    }
    s.push_str("void send_sigio(struct fown_struct *fown, int fd, int band)\n"); // 16
    s.push_str("{\n"); // 17
    s.push_str("\tstruct task_struct *p;\n"); // 18
    s.push_str("\tint group = 1;\n"); // 19
    s.push_str("\tread_lock(&tasklist_lock);\n"); // 20
    s.push_str("\tsend_sigio_to_task(p, fown, fd, band, group);\n"); // 21
    s.push_str("\tread_unlock(&tasklist_lock);\n"); // 22
    s.push_str("}\n"); // 23
    s
}

struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn respond(mut stream: TcpStream, hits: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h == "\r\n" || h == "\n" => break,
            Ok(_) => {}
        }
    }
    hits.fetch_add(1, Ordering::SeqCst);
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let body = fcntl_c();
    if target.contains("drip") {
        // The whole file, a tenth at a time, 400 ms apart: never idle for
        // long, but 4 s in all.
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        for piece in body.as_bytes().chunks(body.len() / 10 + 1) {
            thread::sleep(Duration::from_millis(400));
            if stream
                .write_all(piece)
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
        }
        return;
    }
    let (status, payload): (&str, Vec<u8>) = if target.contains("slow") {
        thread::sleep(Duration::from_millis(3000));
        ("200 OK", body.into_bytes())
    } else if target.contains("missing") {
        ("404 Not Found", b"not found".to_vec())
    } else if target.contains("boom") {
        ("500 Internal Server Error", b"oops".to_vec())
    } else if target.contains("garbage") {
        ("200 OK", vec![0, 159, 146, 150, 0, 1, 2, 3, 255, 254])
    } else if target.contains("htmlpage") {
        (
            "200 OK",
            b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec(),
        )
    } else if [
        format!("/cgit/linux.git/plain/fs/fcntl.c?id={SHA}"),
        format!("/gh/torvalds/linux/raw/{SHA}/fs/fcntl.c"),
        format!("/gl/linux/-/raw/{SHA}/fs/fcntl.c"),
    ]
    .contains(&target)
    {
        ("200 OK", body.into_bytes())
    } else if target == format!("/gi/linux/+/{SHA}/fs/fcntl.c?format=TEXT") {
        let b64 = base64::engine::general_purpose::STANDARD.encode(body);
        ("200 OK", b64.into_bytes())
    } else if target.starts_with("/gi/") && target.contains("badb64") {
        ("200 OK", b"!!!! this is not base64 ****".to_vec())
    } else {
        ("404 Not Found", b"no route".to_vec())
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&payload);
    let _ = stream.flush();
}

fn serve() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    thread::spawn(move || {
        // Bounded: the test process ends long before this many requests.
        for stream in listener.incoming().take(500) {
            let Ok(stream) = stream else { continue };
            let h = h.clone();
            thread::spawn(move || respond(stream, &h));
        }
    });
    Server { port, hits }
}

/// A document whose frame lines name `path` in the given shape.
fn report(paths: &[&str]) -> kresym_report::Document {
    let mut text = String::from("Call Trace:\n");
    for p in paths {
        text.push_str(&format!(" send_sigio+0x8a/0x270 {p}:20\n"));
    }
    kresym_report::parse(text)
}

fn linker(repo: String, forge: Forge, cache: &std::path::Path, offline: bool) -> Linker {
    Linker::new(LinkOptions {
        repo: Some(repo),
        forge: Some(forge),
        commit: Some(SHA.into()),
        snippets: true,
        source: SourceChoice::Http,
        http: HttpOptions {
            timeout: Duration::from_millis(800),
            connect_timeout: Duration::from_millis(800),
            offline,
            cache: Some(Cache::new(cache)),
        },
        context: 2,
        jobs: 4,
    })
    .unwrap()
}

#[test]
fn each_forge_shape_gives_a_snippet() {
    let srv = serve();
    let port = srv.port;
    let cases = [
        (
            Forge::Cgit,
            format!("http://127.0.0.1:{port}/cgit/linux.git"),
            format!("http://127.0.0.1:{port}/cgit/linux.git/tree/fs/fcntl.c?id={SHA}#n20"),
        ),
        (
            Forge::GitHub,
            format!("http://127.0.0.1:{port}/gh/torvalds/linux.git"),
            format!("http://127.0.0.1:{port}/gh/torvalds/linux/blob/{SHA}/fs/fcntl.c#L20"),
        ),
        (
            Forge::GitLab,
            format!("http://127.0.0.1:{port}/gl/linux"),
            format!("http://127.0.0.1:{port}/gl/linux/-/blob/{SHA}/fs/fcntl.c#L20"),
        ),
        (
            Forge::Gitiles,
            format!("http://127.0.0.1:{port}/gi/linux"),
            format!("http://127.0.0.1:{port}/gi/linux/+/{SHA}/fs/fcntl.c#20"),
        ),
    ];
    for (forge, repo, want_url) in cases {
        let cache = tempfile::tempdir().unwrap();
        let links =
            linker(repo, forge, cache.path(), false).link_document(&report(&["fs/fcntl.c"]));
        let all: Vec<_> = links.all_links().collect();
        assert_eq!(all.len(), 1, "{forge}");
        let l = all[0];
        assert_eq!(l.url.as_deref(), Some(want_url.as_str()), "{forge}");
        assert!(l.warnings.is_empty(), "{forge}: {:?}", l.warnings);
        let s = l.snippet.as_ref().expect("snippet");
        assert_eq!(s.first_line, 18);
        assert_eq!(s.target_text(), Some("\tread_lock(&tasklist_lock);"));
        assert_eq!(s.lines.len(), 5);
        assert_eq!(s.fit, Some(Fit::Defined), "{forge}");
    }
}

#[test]
fn failures_leave_links_without_snippets() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let l = linker(
        format!("http://127.0.0.1:{}/cgit/linux.git", srv.port),
        Forge::Cgit,
        cache.path(),
        false,
    );
    let doc = report(&[
        "fs/missing.c",
        "fs/boom.c",
        "fs/slow.c",
        "fs/garbage.c",
        "fs/htmlpage.c",
        "fs/fcntl.c",
    ]);
    let started = std::time::Instant::now();
    let links = l.link_document(&doc);
    assert!(started.elapsed() < Duration::from_secs(10));
    let all: Vec<_> = links.all_links().collect();
    assert_eq!(all.len(), 6);
    let expect = ["not found", "HTTP 500", "timed out", "binary", "HTML", ""];
    for (link, want) in all.iter().zip(expect) {
        assert!(link.url.is_some(), "every frame keeps its link");
        if want.is_empty() {
            assert!(link.snippet.is_some());
            assert!(link.warnings.is_empty(), "{:?}", link.warnings);
        } else {
            assert!(link.snippet.is_none(), "{}", link.location.file);
            assert_eq!(link.warnings.len(), 1, "{:?}", link.warnings);
            assert!(
                link.warnings[0].contains(want),
                "{:?} should mention {want}",
                link.warnings
            );
        }
    }
    assert_eq!(links.all_warnings().len(), 5);
}

/// `--timeout` is a deadline for the whole file: a server that drips the
/// body, never idle for as long as the timeout, is cut off at it (it held
/// the fetch until the last byte before).
#[test]
fn a_dripping_server_is_cut_off_at_the_deadline() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let l = linker(
        format!("http://127.0.0.1:{}/cgit/linux.git", srv.port),
        Forge::Cgit,
        cache.path(),
        false,
    );
    let links = l.link_document(&report(&["fs/drip.c"]));
    let link = links.all_links().next().unwrap();
    assert!(link.snippet.is_none(), "the dripped file was waited for");
    assert!(
        link.warnings.len() == 1 && link.warnings[0].contains("timed out"),
        "{:?}",
        link.warnings
    );
}

#[test]
fn gitiles_bad_base64_is_a_warning() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let l = linker(
        format!("http://127.0.0.1:{}/gi/linux", srv.port),
        Forge::Gitiles,
        cache.path(),
        false,
    );
    let links = l.link_document(&report(&["fs/badb64.c"]));
    let link = links.all_links().next().unwrap();
    assert!(link.snippet.is_none());
    assert!(link.warnings[0].contains("base64"), "{:?}", link.warnings);
}

#[test]
fn cache_is_used_and_offline_reads_only_the_cache() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let repo = format!("http://127.0.0.1:{}/cgit/linux.git", srv.port);
    let doc = report(&["fs/fcntl.c", "fs/fcntl.c", "fs/fcntl.c"]);

    // Offline with an empty cache: no request, a warning.
    let links = linker(repo.clone(), Forge::Cgit, cache.path(), true).link_document(&doc);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 0);
    assert!(links.all_links().all(|l| l.snippet.is_none()));
    assert!(links.all_links().next().unwrap().warnings[0].contains("offline"));

    // Online: one fetch for three frames of the same file.
    let links = linker(repo.clone(), Forge::Cgit, cache.path(), false).link_document(&doc);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    assert!(links.all_links().all(|l| l.snippet.is_some()));

    // Online again: served from the cache.
    linker(repo.clone(), Forge::Cgit, cache.path(), false).link_document(&doc);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);

    // Offline: served from the cache.
    let links = linker(repo, Forge::Cgit, cache.path(), true).link_document(&doc);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    assert!(
        links
            .all_links()
            .all(|l| l.snippet.is_some() && l.warnings.is_empty())
    );
    // No temporary files left behind.
    let leftovers = walk(cache.path())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".tmp"))
        })
        .count();
    assert_eq!(leftovers, 0);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn mismatching_line_is_flagged() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let l = linker(
        format!("http://127.0.0.1:{}/cgit/linux.git", srv.port),
        Forge::Cgit,
        cache.path(),
        false,
    );
    let doc = kresym_report::parse(" kthread+0x1d4/0x200 fs/fcntl.c:20\n");
    let links = l.link_document(&doc);
    let link = links.all_links().next().unwrap();
    let s = link.snippet.as_ref().unwrap();
    assert!(matches!(s.fit, Some(Fit::Mismatch { .. })), "{:?}", s.fit);
    assert!(
        link.warnings[0].contains("neither defined nor called"),
        "{:?}",
        link.warnings
    );
}

#[test]
fn unsafe_paths_are_not_fetched() {
    let srv = serve();
    let cache = tempfile::tempdir().unwrap();
    let l = linker(
        format!("http://127.0.0.1:{}/cgit/linux.git", srv.port),
        Forge::Cgit,
        cache.path(),
        false,
    );
    let doc = kresym_report::parse(" f+0x1/0x2 fs/../../etc/passwd.c:3\n");
    let links = l.link_document(&doc);
    let link = links.all_links().next().unwrap();
    assert!(link.url.is_none());
    assert!(link.warnings[0].contains("unsafe"), "{:?}", link.warnings);
    assert_eq!(srv.hits.load(Ordering::SeqCst), 0);
}
