//! The debuginfod client against a local server on 127.0.0.1 serving the
//! vmlinux-samples: a hit, a 404 (and its negative cache), a fallback to
//! the executable, a slow answer, a truncated body, a wrong build id and a
//! body that is not ELF.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::server::{Reply, Server, samples_build};
use kresym_debuginfo::Error;
use kresym_debuginfo::debuginfod::{Client, Config, Kind};

fn build_id(name: &str) -> String {
    kresym_debuginfo::elf::read(&samples_build().join(name))
        .unwrap()
        .build_id
        .expect("the samples have build-id notes")
}

fn client(server: &Server, cache: &Path) -> Client {
    let mut config = Config::new(vec![server.url.clone()], cache.to_owned());
    config.timeout = Duration::from_secs(10);
    Client::new(config).unwrap()
}

/// Files in the cache directory, recursively, as paths relative to it.
fn cached_files(cache: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![cache.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                let path = entry.path();
                out.push(path.strip_prefix(cache).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn hit_is_downloaded_once_and_cached_with_the_standard_layout() {
    let server = Server::start();
    let id = build_id("vmlinux-dwarf5");
    let file = samples_build().join("vmlinux-dwarf5");
    let size = std::fs::metadata(&file).unwrap().len();
    server.debuginfo(&id, &file);
    let cache = tempfile::tempdir().unwrap();
    let received = Arc::new(AtomicU64::new(0));
    let seen = received.clone();
    let client = client(&server, cache.path()).with_progress(move |p| {
        assert_eq!(p.total, Some(size));
        seen.store(p.received, Ordering::SeqCst);
    });

    let path = client.fetch(&id.to_uppercase()).unwrap();
    assert_eq!(path, cache.path().join(&id).join("debuginfo"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(samples_build().join("vmlinux-dwarf5")).unwrap()
    );
    assert_eq!(received.load(Ordering::SeqCst), size);
    assert_eq!(server.requests(), 1);
    // No temporary file is left behind.
    assert_eq!(cached_files(cache.path()), [format!("{id}/debuginfo")]);

    assert_eq!(client.fetch(&id).unwrap(), path);
    assert_eq!(
        server.requests(),
        1,
        "the second fetch comes from the cache"
    );
}

#[test]
fn not_found_is_cached_for_a_while() {
    let server = Server::start();
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let id = "00112233445566778899aabbccddeeff00112233";

    let error = client.fetch(id).unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains(id), "{message}");
    assert!(
        message.contains(&format!("{}/buildid/{id}/debuginfo: 404", server.url)),
        "{message}"
    );
    assert_eq!(server.requests(), 2, "debuginfo, then executable");
    for kind in ["debuginfo", "executable"] {
        let marker = cache.path().join(id).join(kind);
        assert_eq!(std::fs::metadata(&marker).unwrap().len(), 0);
    }

    let error = client.fetch(id).unwrap_err().to_string();
    assert!(error.contains("cached miss"), "{error}");
    assert_eq!(server.requests(), 2, "a cached miss asks no server");

    // Once the miss is old enough, servers are asked again.
    let mut config = client.config().clone();
    config.negative_ttl = Duration::ZERO;
    let client = Client::new(config).unwrap();
    server.debuginfo(id, &samples_build().join("vmlinux-dwarf5"));
    let error = client.fetch(id).unwrap_err();
    assert!(matches!(error, Error::BuildIdMismatch { .. }), "{error}");
    assert_eq!(server.requests(), 3);
}

#[test]
fn executable_is_asked_for_when_there_is_no_debuginfo() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    server.route(
        &id,
        "executable",
        Reply::Body(std::fs::read(samples_build().join("samplemod.ko")).unwrap()),
    );
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let path = client.fetch(&id).unwrap();
    assert_eq!(path, client.cache_path(&id, Kind::Executable));
    assert_eq!(server.requests(), 2);
}

#[test]
fn second_server_is_asked_when_the_first_has_nothing() {
    let empty = Server::start();
    let server = Server::start();
    let id = build_id("samplemod.ko");
    server.debuginfo(&id, &samples_build().join("samplemod.ko"));
    let cache = tempfile::tempdir().unwrap();
    let config = Config::new(
        vec![empty.url.clone(), server.url.clone()],
        cache.path().into(),
    );
    let path = Client::new(config).unwrap().fetch(&id).unwrap();
    assert!(path.ends_with(format!("{id}/debuginfo")));
    assert_eq!((empty.requests(), server.requests()), (1, 1));
}

#[test]
fn slow_answer_times_out_and_is_not_cached() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    let body = std::fs::read(samples_build().join("samplemod.ko")).unwrap();
    server.route(&id, "debuginfo", Reply::Slow(Duration::from_secs(5), body));
    let cache = tempfile::tempdir().unwrap();
    let mut config = Config::new(vec![server.url.clone()], cache.path().into());
    config.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = Client::new(config).unwrap().fetch(&id).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4));
    let message = error.to_string();
    eprintln!("{message}");
    assert!(matches!(error, Error::Http { .. }), "{message}");
    assert!(message.contains("DEBUGINFOD_TIMEOUT"), "{message}");
    assert!(message.contains(&server.url), "{message}");
    assert_eq!(
        server.requests(),
        1,
        "a timeout does not fall back to the executable"
    );
    assert!(
        cached_files(cache.path()).is_empty(),
        "{:?}",
        cached_files(cache.path())
    );
}

#[test]
fn truncated_body_is_an_error_and_is_not_cached() {
    let server = Server::start();
    let id = build_id("vmlinux-dwarf5");
    let body = std::fs::read(samples_build().join("vmlinux-dwarf5")).unwrap();
    let size = format!("of {} bytes", body.len());
    server.route(&id, "debuginfo", Reply::Truncated(body));
    let cache = tempfile::tempdir().unwrap();
    let error = client(&server, cache.path()).fetch(&id).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(message.contains("cut short"), "{message}");
    assert!(message.contains(&size), "{message}");
    assert!(
        cached_files(cache.path()).is_empty(),
        "{:?}",
        cached_files(cache.path())
    );
}

#[test]
fn wrong_build_id_is_rejected_and_not_cached() {
    let server = Server::start();
    let wanted = build_id("vmlinux-dwarf5");
    let served = build_id("vmlinux-dwarf4");
    server.debuginfo(&wanted, &samples_build().join("vmlinux-dwarf4"));
    let cache = tempfile::tempdir().unwrap();
    let error = client(&server, cache.path()).fetch(&wanted).unwrap_err();
    let message = error.to_string();
    eprintln!("{message}");
    assert!(matches!(error, Error::BuildIdMismatch { .. }), "{message}");
    assert!(
        message.contains(&wanted) && message.contains(&served),
        "{message}"
    );
    assert!(
        cached_files(cache.path()).is_empty(),
        "{:?}",
        cached_files(cache.path())
    );
}

#[test]
fn body_that_is_not_elf_is_rejected() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    server.route(
        &id,
        "debuginfo",
        Reply::Body(b"<html>maintenance</html>".to_vec()),
    );
    server.route(&id, "executable", Reply::Status(500));
    let cache = tempfile::tempdir().unwrap();
    let error = client(&server, cache.path()).fetch(&id).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::NotElf { .. }), "{message}");
    assert!(message.contains("not an ELF file"), "{message}");
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn server_errors_are_not_cached() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    server.route(&id, "debuginfo", Reply::Status(503));
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let message = client.fetch(&id).unwrap_err().to_string();
    assert!(message.contains("503"), "{message}");
    let _ = client.fetch(&id);
    assert_eq!(server.requests(), 2, "asked again: errors are not misses");
}

#[test]
fn cached_file_with_another_build_id_is_an_error() {
    let server = Server::start();
    let wanted = build_id("vmlinux-dwarf5");
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join(&wanted);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        samples_build().join("vmlinux-dwarf4"),
        dir.join("debuginfo"),
    )
    .unwrap();
    let error = client(&server, cache.path()).fetch(&wanted).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::BuildIdMismatch { .. }), "{message}");
    assert!(message.contains(&build_id("vmlinux-dwarf4")), "{message}");
    assert_eq!(server.requests(), 0);
}

/// A config whose downloads give up after `max_time`: an attack the client
/// does not stop by itself ends with a DEBUGINFOD_MAXTIME error instead.
fn bounded_client(server: &Server, cache: &Path, max_size: Option<u64>) -> Client {
    let mut config = Config::new(vec![server.url.clone()], cache.to_owned());
    config.timeout = Duration::from_secs(10);
    config.max_time = Some(Duration::from_secs(20));
    if let Some(max_size) = max_size {
        config.max_size = max_size;
    }
    Client::new(config).unwrap()
}

#[test]
fn an_endless_body_stops_at_the_size_cap_and_is_not_cached() {
    let server = Server::start();
    let id = build_id("vmlinux-dwarf5");
    // A real ELF start (the right file), then zeros for ever.
    let body = std::fs::read(samples_build().join("vmlinux-dwarf5")).unwrap();
    server.route(&id, "debuginfo", Reply::Endless(body));
    let cache = tempfile::tempdir().unwrap();
    let error = bounded_client(&server, cache.path(), Some(4 << 20))
        .fetch(&id)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("DEBUGINFOD_MAXSIZE") && message.contains(&(4u64 << 20).to_string()),
        "{message}"
    );
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn a_content_length_over_the_size_cap_fails_at_once() {
    let server = Server::start();
    let id = build_id("vmlinux-dwarf5");
    server.route(&id, "debuginfo", Reply::Claims(1 << 40));
    let cache = tempfile::tempdir().unwrap();
    let error = bounded_client(&server, cache.path(), None)
        .fetch(&id)
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("DEBUGINFOD_MAXSIZE") && message.contains(&(1u64 << 40).to_string()),
        "{message}"
    );
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn an_endless_body_that_is_not_elf_stops_at_its_first_bytes() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    server.route(&id, "debuginfo", Reply::Endless(b"<html>".to_vec()));
    server.route(&id, "executable", Reply::Status(500));
    let cache = tempfile::tempdir().unwrap();
    let error = bounded_client(&server, cache.path(), None)
        .fetch(&id)
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("not an ELF file"), "{message}");
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn an_endless_body_with_another_build_id_stops_once_its_notes_arrive() {
    let server = Server::start();
    let wanted = build_id("vmlinux-dwarf5");
    let served = build_id("vmlinux-dwarf4");
    let body = std::fs::read(samples_build().join("vmlinux-dwarf4")).unwrap();
    server.route(&wanted, "debuginfo", Reply::Endless(body));
    let cache = tempfile::tempdir().unwrap();
    let error = bounded_client(&server, cache.path(), None)
        .fetch(&wanted)
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::BuildIdMismatch { .. }), "{message}");
    assert!(message.contains(&served), "{message}");
    assert!(cached_files(cache.path()).is_empty());
}

/// Another client (sharing the cache) finishes a download while this one
/// hears 404 everywhere: the miss marker must not replace its file.
#[test]
fn a_miss_never_overwrites_a_file_another_client_cached_meanwhile() {
    let server = Server::start();
    let id = build_id("samplemod.ko");
    let cache = tempfile::tempdir().unwrap();
    let client = client(&server, cache.path());
    let target = client.cache_path(&id, Kind::Debuginfo);
    let module = samples_build().join("samplemod.ko");
    server.route(
        &id,
        "debuginfo",
        Reply::CopyThenMissing(module.clone(), target.clone()),
    );
    let error = client.fetch_kind(&id, Kind::Debuginfo).unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&module).unwrap()
    );
    assert_eq!(client.fetch_kind(&id, Kind::Debuginfo).unwrap(), target);
}
