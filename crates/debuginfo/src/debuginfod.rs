//! A debuginfod client: download ELF files by GNU build id.
//!
//! Servers come from `DEBUGINFOD_URLS` (space-separated base URLs, asked in
//! order); for a build id `ID`, `BASE/buildid/ID/debuginfo` is asked first,
//! then `BASE/buildid/ID/executable`. Files land in the cache with the
//! layout of elfutils' client, so both can share it:
//!
//! ```text
//! CACHE/ID/debuginfo     the file (never empty)
//! CACHE/ID/executable
//! CACHE/ID/debuginfo     empty: a recent miss (negative cache), see below
//! ```
//!
//! - `CACHE` is `DEBUGINFOD_CACHE_PATH`, else `$XDG_CACHE_HOME/debuginfod_client`,
//!   else `~/.cache/debuginfod_client`.
//! - A body is written to a temporary file next to its final name and renamed
//!   into place only once it is complete, an ELF file, and has the build id
//!   asked for; anything else is never cached. A cached file is checked
//!   against its build id again when used.
//! - When every server answers 404 (or 410), an empty file marks the miss;
//!   it is honoured for [`DEFAULT_NEGATIVE_TTL`] (600 s), or the seconds in
//!   `DEBUGINFOD_CACHE_MISS_S`, or in the file `CACHE/cache_miss_s` (elfutils'
//!   setting). Timeouts, connection failures, server errors and bad bodies are
//!   not cached: the next run asks again.
//! - `DEBUGINFOD_TIMEOUT` (seconds, default 30) bounds connecting and each
//!   wait for data; `DEBUGINFOD_MAXTIME` (seconds, default none) bounds a
//!   whole download.
//! - `DEBUGINFOD_MAXSIZE` (bytes, default [`DEFAULT_MAX_SIZE`], 4 GiB) bounds
//!   a file: a `Content-Length` over it fails at once (as in elfutils), and
//!   a body that grows past it is cut off there.
//! - A body is checked as it arrives: it fails at its first byte that cannot
//!   start a 64-bit ELF file, and as soon as its note segments (`PT_NOTE`,
//!   near the start of a linked file) have arrived, if they name another
//!   build id; so a server sending garbage or the wrong file stops early.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::{Error, Result, elf, normalize_build_id};

/// Connect and inactivity timeout when `DEBUGINFOD_TIMEOUT` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Most bytes of one download when `DEBUGINFOD_MAXSIZE` does not say.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 30;

/// How long a miss is remembered when nothing else says.
pub const DEFAULT_NEGATIVE_TTL: Duration = Duration::from_secs(600);

/// Which file of a build id to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The file with DWARF (`/buildid/ID/debuginfo`).
    Debuginfo,
    /// The binary itself (`/buildid/ID/executable`); may lack DWARF.
    Executable,
}

impl Kind {
    /// The URL and cache file name component.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Debuginfo => "debuginfo",
            Kind::Executable => "executable",
        }
    }
}

/// Where to download from, where to cache, and how long to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Server base URLs, asked in order.
    pub urls: Vec<String>,
    /// The cache directory.
    pub cache_dir: PathBuf,
    /// Timeout for connecting and for each wait for data.
    pub timeout: Duration,
    /// Limit on a whole download, if any.
    pub max_time: Option<Duration>,
    /// Most bytes of one file.
    pub max_size: u64,
    /// How long a cached miss is honoured.
    pub negative_ttl: Duration,
}

impl Config {
    /// A configuration with default timeouts.
    pub fn new(urls: Vec<String>, cache_dir: PathBuf) -> Config {
        Config {
            urls,
            cache_dir,
            timeout: DEFAULT_TIMEOUT,
            max_time: None,
            max_size: DEFAULT_MAX_SIZE,
            negative_ttl: DEFAULT_NEGATIVE_TTL,
        }
    }

    /// The configuration from the environment (`DEBUGINFOD_URLS`,
    /// `DEBUGINFOD_CACHE_PATH`, `DEBUGINFOD_TIMEOUT`, `DEBUGINFOD_MAXTIME`,
    /// `DEBUGINFOD_MAXSIZE`, `DEBUGINFOD_CACHE_MISS_S`); `None` when `DEBUGINFOD_URLS` is unset or empty.
    pub fn from_env() -> Option<Config> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Option<Config> {
        let urls: Vec<String> = var("DEBUGINFOD_URLS")?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return None;
        }
        let nonempty = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let seconds = |name: &str| {
            nonempty(name)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64)
        };
        let cache_dir = match nonempty("DEBUGINFOD_CACHE_PATH") {
            Some(path) => PathBuf::from(path),
            None => match (nonempty("XDG_CACHE_HOME"), nonempty("HOME")) {
                (Some(xdg), _) => Path::new(&xdg).join("debuginfod_client"),
                (None, Some(home)) => Path::new(&home).join(".cache/debuginfod_client"),
                (None, None) => std::env::temp_dir().join("debuginfod_client"),
            },
        };
        let negative_ttl = seconds("DEBUGINFOD_CACHE_MISS_S")
            .or_else(|| {
                std::fs::read_to_string(cache_dir.join("cache_miss_s"))
                    .ok()?
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs)
            })
            .unwrap_or(DEFAULT_NEGATIVE_TTL);
        Some(Config {
            urls,
            cache_dir,
            timeout: seconds("DEBUGINFOD_TIMEOUT").unwrap_or(DEFAULT_TIMEOUT),
            max_time: seconds("DEBUGINFOD_MAXTIME"),
            max_size: nonempty("DEBUGINFOD_MAXSIZE")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .filter(|&size| size > 0)
                .unwrap_or(DEFAULT_MAX_SIZE),
            negative_ttl,
        })
    }
}

/// A download in progress, as told to a progress callback.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// The URL.
    pub url: &'a str,
    /// Bytes received so far.
    pub received: u64,
    /// The `Content-Length`, if the server sent one.
    pub total: Option<u64>,
    /// Whether the download is over (successfully or not).
    pub finished: bool,
}

type ProgressFn = dyn Fn(&Progress<'_>) + Send + Sync;

/// Downloads files by build id into the cache. Cheap to share between threads.
pub struct Client {
    config: Config,
    http: reqwest::blocking::Client,
    progress: Option<Box<ProgressFn>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why one server did not give a file.
enum Attempt {
    /// It does not have it (404, 410): may be cached as a miss.
    Missing(Miss),
    /// Anything else: never cached.
    Failed(Error),
}

/// A file that is not to be had, as a server or the cache says
/// ([`Error::NotFound`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Miss {
    /// A server answered that it has no such file (404 or 410).
    #[error("{url}: {status}")]
    Answered {
        /// The URL asked.
        url: String,
        /// The status it answered.
        status: reqwest::StatusCode,
    },
    /// The cache's marker of a recent miss, not yet expired.
    #[error(
        "no server had it {}s ago (cached miss {}, asked again after {}s; delete it to retry now)",
        .age.as_secs(),
        .marker.display(),
        .ttl.as_secs()
    )]
    Cached {
        /// How old the marker is.
        age: Duration,
        /// The marker (an empty file where the file would be).
        marker: PathBuf,
        /// How long a marker is honoured.
        ttl: Duration,
    },
}

/// Why a request to a server failed ([`Error::Http`]).
#[derive(Debug, thiserror::Error)]
pub enum HttpReason {
    /// The HTTP client could not be set up.
    #[error("cannot start an HTTP client: {}", chain(.0))]
    Client(reqwest::Error),
    /// No answer within `DEBUGINFOD_TIMEOUT`.
    #[error("no answer within {}s (DEBUGINFOD_TIMEOUT)", .0.as_secs_f64())]
    NoAnswer(Duration),
    /// The server could not be connected to.
    #[error("cannot connect: {}", root_cause(.0))]
    Connect(reqwest::Error),
    /// The request failed otherwise (the error without its URL).
    #[error("{}", chain(.0))]
    Request(reqwest::Error),
    /// The server answered an error status other than a miss.
    #[error("server answered {0}")]
    Status(reqwest::StatusCode),
    /// The `Content-Length` is over `DEBUGINFOD_MAXSIZE`.
    #[error("the file is {size} bytes, more than DEBUGINFOD_MAXSIZE ({max_size} bytes)")]
    TooLarge {
        /// The `Content-Length`.
        size: u64,
        /// `DEBUGINFOD_MAXSIZE`.
        max_size: u64,
    },
    /// The body grew past `DEBUGINFOD_MAXSIZE`; the download stopped there.
    #[error("the file grows past DEBUGINFOD_MAXSIZE ({max_size} bytes); stopped there")]
    GrewTooLarge {
        /// `DEBUGINFOD_MAXSIZE`.
        max_size: u64,
    },
    /// No data for `DEBUGINFOD_TIMEOUT` in the middle of the body.
    #[error("no data for {}s after {received} bytes (DEBUGINFOD_TIMEOUT)", .timeout.as_secs_f64())]
    Stalled {
        /// `DEBUGINFOD_TIMEOUT`.
        timeout: Duration,
        /// Bytes received before.
        received: u64,
    },
    /// Reading the body failed.
    #[error("{}: {}", cut_short(*.received, *.total), chain(.error))]
    Interrupted {
        /// Bytes received before.
        received: u64,
        /// The `Content-Length`, if the server sent one.
        total: Option<u64>,
        /// What reading said.
        error: std::io::Error,
    },
    /// The connection closed before the `Content-Length` bytes came.
    #[error("{}: connection closed", cut_short(*.received, Some(*.total)))]
    Closed {
        /// Bytes received.
        received: u64,
        /// The `Content-Length`.
        total: u64,
    },
    /// The temporary file the body goes to could not be written.
    #[error("cannot write {}: {error}", .path.display())]
    Write {
        /// The temporary file.
        path: PathBuf,
        /// What writing said.
        error: std::io::Error,
    },
    /// The download took longer than `DEBUGINFOD_MAXTIME`.
    #[error(
        "download took longer than {}s (DEBUGINFOD_MAXTIME) after {received} bytes",
        .max_time.as_secs_f64()
    )]
    TooSlow {
        /// `DEBUGINFOD_MAXTIME`.
        max_time: Duration,
        /// Bytes received before.
        received: u64,
    },
}

impl Client {
    /// A client for `config`.
    pub fn new(config: Config) -> Result<Client> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("kresym/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| Error::Http {
                url: config.urls.join(" "),
                reason: HttpReason::Client(e),
            })?;
        Ok(Client {
            config,
            http,
            progress: None,
        })
    }

    /// Call `progress` as downloads advance (for a progress bar).
    pub fn with_progress(
        mut self,
        progress: impl Fn(&Progress<'_>) + Send + Sync + 'static,
    ) -> Client {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where the file of `kind` for a (normalized) build id is cached.
    pub fn cache_path(&self, build_id: &str, kind: Kind) -> PathBuf {
        self.config.cache_dir.join(build_id).join(kind.as_str())
    }

    /// The file for `build_id`: its debuginfo, or when no server has that,
    /// its executable. From the cache when there.
    pub fn fetch(&self, build_id: &str) -> Result<PathBuf> {
        match self.fetch_kind(build_id, Kind::Debuginfo) {
            Err(Error::NotFound {
                build_id,
                mut misses,
            }) => match self.fetch_kind(&build_id, Kind::Executable) {
                Err(Error::NotFound {
                    build_id,
                    misses: executable,
                }) => {
                    misses.extend(executable);
                    Err(Error::NotFound { build_id, misses })
                }
                other => other,
            },
            other => other,
        }
    }

    /// The file of `kind` for `build_id`, from the cache or downloaded.
    pub fn fetch_kind(&self, build_id: &str, kind: Kind) -> Result<PathBuf> {
        let id = normalize_build_id(build_id)?;
        let target = self.cache_path(&id, kind);
        if let Some(cached) = self.cached(&id, &target)? {
            return Ok(cached);
        }
        let mut missing = Vec::new();
        let mut failed = Vec::new();
        for base in &self.config.urls {
            let url = format!(
                "{}/buildid/{id}/{}",
                base.trim_end_matches('/'),
                kind.as_str()
            );
            match self.download(&url, &id, &target) {
                Ok(path) => return Ok(path),
                Err(Attempt::Missing(miss)) => missing.push(miss),
                Err(Attempt::Failed(error)) => failed.push(error),
            }
        }
        if failed.is_empty() {
            // Every server said it has no such file: remember for a while,
            // unless another client has put the file there meanwhile (the
            // marker never replaces anything). Failing to write the marker
            // only costs a request next time.
            if let Some(dir) = target.parent() {
                let _ = std::fs::create_dir_all(dir)
                    .and_then(|()| tempfile::NamedTempFile::new_in(dir))
                    .and_then(|marker| marker.persist_noclobber(&target).map_err(|e| e.error));
            }
            return Err(Error::NotFound {
                build_id: id,
                misses: missing,
            });
        }
        if missing.is_empty() && failed.len() == 1 {
            return Err(failed.remove(0));
        }
        Err(Error::Download {
            build_id: id,
            misses: missing,
            errors: failed,
        })
    }

    /// A cached file, `None` when the server must be asked, or the cached miss.
    fn cached(&self, id: &str, target: &Path) -> Result<Option<PathBuf>> {
        let Ok(metadata) = std::fs::metadata(target) else {
            return Ok(None);
        };
        if metadata.len() > 0 {
            // Checked again: the cache may be shared with other clients.
            let origin = target.display().to_string();
            elf::read(target)?.check_build_id(&origin, id)?;
            return Ok(Some(target.to_owned()));
        }
        let age = metadata
            .modified()
            .ok()
            .and_then(|m| SystemTime::now().duration_since(m).ok())
            .unwrap_or(Duration::ZERO);
        if age < self.config.negative_ttl {
            return Err(Error::NotFound {
                build_id: id.to_owned(),
                misses: vec![Miss::Cached {
                    age,
                    marker: target.to_owned(),
                    ttl: self.config.negative_ttl,
                }],
            });
        }
        let _ = std::fs::remove_file(target);
        Ok(None)
    }

    /// Download `url` into `target`, checked, atomically.
    fn download(&self, url: &str, id: &str, target: &Path) -> Result<PathBuf, Attempt> {
        let started = Instant::now();
        let timeout = self.config.timeout;
        let failed = |reason| {
            Attempt::Failed(Error::Http {
                url: url.to_owned(),
                reason,
            })
        };
        let mut response = self.http.get(url).send().map_err(|e| {
            failed(if e.is_timeout() {
                HttpReason::NoAnswer(timeout)
            } else if e.is_connect() {
                HttpReason::Connect(e)
            } else {
                HttpReason::Request(e.without_url())
            })
        })?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Err(Attempt::Missing(Miss::Answered {
                url: url.to_owned(),
                status,
            }));
        }
        if !status.is_success() {
            return Err(failed(HttpReason::Status(status)));
        }
        let total = response.content_length();
        let max_size = self.config.max_size;
        if let Some(total) = total
            && total > max_size
        {
            return Err(failed(HttpReason::TooLarge {
                size: total,
                max_size,
            }));
        }
        let dir = target.parent().unwrap_or(Path::new("."));
        let io = |path: &Path, error| {
            Attempt::Failed(Error::Io {
                path: path.to_owned(),
                error,
            })
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut temp = tempfile::Builder::new()
            .prefix(&format!(
                ".{}.",
                target.file_name().unwrap_or_default().to_string_lossy()
            ))
            .tempfile_in(dir)
            .map_err(|e| io(dir, e))?;
        let mut buffer = vec![0; 256 * 1024];
        let mut received = 0u64;
        let report = |received, finished| {
            if let Some(progress) = &self.progress {
                progress(&Progress {
                    url,
                    received,
                    total,
                    finished,
                });
            }
        };
        let mut head = Vec::new();
        let mut notes: Option<Vec<(u64, u64)>> = None;
        let not_elf = |reason| {
            Attempt::Failed(Error::NotElf {
                origin: url.to_owned(),
                reason,
            })
        };
        let outcome = loop {
            let n = match response.read(&mut buffer) {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    break Err(failed(if is_timeout(&error) {
                        HttpReason::Stalled { timeout, received }
                    } else {
                        HttpReason::Interrupted {
                            received,
                            total,
                            error,
                        }
                    }));
                }
            };
            if received + n as u64 > max_size {
                break Err(failed(HttpReason::GrewTooLarge { max_size }));
            }
            if let Err(error) = temp.write_all(&buffer[..n]) {
                break Err(failed(HttpReason::Write {
                    path: temp.path().to_owned(),
                    error,
                }));
            }
            received += n as u64;
            report(received, false);
            if head.len() < elf::HEAD_MAX {
                let take = n.min(elf::HEAD_MAX - head.len());
                head.extend_from_slice(&buffer[..take]);
                match elf::check_head(&head) {
                    Err(reason) => break Err(not_elf(reason)),
                    Ok(elf::Head::Notes(found)) if notes.is_none() => notes = Some(found),
                    Ok(_) => {}
                }
            }
            if let Some(pending) = &mut notes
                && let Err(error) = check_arrived_notes(
                    temp.as_file(),
                    pending,
                    received,
                    big_endian(&head),
                    url,
                    id,
                )
            {
                break Err(Attempt::Failed(error));
            }
            if let Some(max) = self.config.max_time
                && started.elapsed() > max
            {
                break Err(failed(HttpReason::TooSlow {
                    max_time: max,
                    received,
                }));
            }
        };
        report(received, true);
        outcome?;
        if let Some(total) = total
            && received != total
        {
            return Err(failed(HttpReason::Closed { received, total }));
        }
        temp.as_file_mut()
            .sync_all()
            .map_err(|e| io(temp.path(), e))?;
        let ids = elf::read(temp.path()).map_err(|e| match e {
            Error::NotElf { reason, .. } => Attempt::Failed(Error::NotElf {
                origin: url.to_owned(),
                reason,
            }),
            other => Attempt::Failed(other),
        })?;
        ids.check_build_id(url, id).map_err(Attempt::Failed)?;
        temp.persist(target).map_err(|e| io(target, e.error))?;
        Ok(target.to_owned())
    }
}

/// Whether the ELF file starting with `head` is big-endian.
fn big_endian(head: &[u8]) -> bool {
    head.get(5) == Some(&object::elf::ELFDATA2MSB.0)
}

/// Check the note segments of a download that have fully arrived (and
/// forget them): `Err` when one names another build id than `id`.
fn check_arrived_notes(
    file: &std::fs::File,
    pending: &mut Vec<(u64, u64)>,
    received: u64,
    big_endian: bool,
    url: &str,
    id: &str,
) -> Result<()> {
    use std::os::unix::fs::FileExt;
    const MAX_NOTES: u64 = 1 << 20;
    let arrived = |&(offset, size): &(u64, u64)| offset.saturating_add(size) <= received;
    for (offset, size) in pending.iter().copied().filter(arrived) {
        let mut notes = vec![0; size.min(MAX_NOTES) as usize];
        if file.read_exact_at(&mut notes, offset).is_err() {
            continue;
        }
        if let Some(found) = elf::build_id_in_notes(&notes, big_endian)
            && !found.eq_ignore_ascii_case(id)
        {
            return Err(Error::BuildIdMismatch {
                origin: url.to_owned(),
                wanted: id.to_owned(),
                found,
            });
        }
    }
    pending.retain(|range| !arrived(range));
    Ok(())
}

/// How much of a body came before it stopped.
fn cut_short(received: u64, total: Option<u64>) -> String {
    match total {
        Some(total) => format!("download cut short after {received} of {total} bytes"),
        None => format!("download cut short after {received} bytes"),
    }
}

fn is_timeout(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|e| e.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}

/// The innermost source of an error.
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut error = error;
    while let Some(source) = error.source() {
        error = source;
    }
    error.to_string()
}

/// An error and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        let next_text = next.to_string();
        if !text.contains(&next_text) {
            text.push_str(": ");
            text.push_str(&next_text);
        }
        source = next.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed reasons say what the `String`s they replaced said.
    #[test]
    fn reasons_read_as_before() {
        let http = |reason| {
            Error::Http {
                url: "http://s/buildid/ab12/debuginfo".into(),
                reason,
            }
            .to_string()
        };
        let prefix = "http://s/buildid/ab12/debuginfo: ";
        let cases = [
            (
                HttpReason::NoAnswer(Duration::from_secs(30)),
                "no answer within 30s (DEBUGINFOD_TIMEOUT)",
            ),
            (
                HttpReason::NoAnswer(Duration::from_millis(1500)),
                "no answer within 1.5s (DEBUGINFOD_TIMEOUT)",
            ),
            (
                HttpReason::Status(reqwest::StatusCode::SERVICE_UNAVAILABLE),
                "server answered 503 Service Unavailable",
            ),
            (
                HttpReason::TooLarge {
                    size: 9,
                    max_size: 8,
                },
                "the file is 9 bytes, more than DEBUGINFOD_MAXSIZE (8 bytes)",
            ),
            (
                HttpReason::GrewTooLarge { max_size: 8 },
                "the file grows past DEBUGINFOD_MAXSIZE (8 bytes); stopped there",
            ),
            (
                HttpReason::Stalled {
                    timeout: Duration::from_secs(2),
                    received: 7,
                },
                "no data for 2s after 7 bytes (DEBUGINFOD_TIMEOUT)",
            ),
            (
                HttpReason::Interrupted {
                    received: 7,
                    total: Some(10),
                    error: std::io::Error::other("reset"),
                },
                "download cut short after 7 of 10 bytes: reset",
            ),
            (
                HttpReason::Interrupted {
                    received: 7,
                    total: None,
                    error: std::io::Error::other("reset"),
                },
                "download cut short after 7 bytes: reset",
            ),
            (
                HttpReason::Closed {
                    received: 7,
                    total: 10,
                },
                "download cut short after 7 of 10 bytes: connection closed",
            ),
            (
                HttpReason::Write {
                    path: "/c/.debuginfo.x".into(),
                    error: std::io::Error::other("disk full"),
                },
                "cannot write /c/.debuginfo.x: disk full",
            ),
            (
                HttpReason::TooSlow {
                    max_time: Duration::from_secs(60),
                    received: 7,
                },
                "download took longer than 60s (DEBUGINFOD_MAXTIME) after 7 bytes",
            ),
        ];
        for (reason, said) in cases {
            assert_eq!(http(reason), format!("{prefix}{said}"));
        }

        let answered = |kind| Miss::Answered {
            url: format!("http://s/buildid/ab12/{kind}"),
            status: reqwest::StatusCode::NOT_FOUND,
        };
        let not_found = Error::NotFound {
            build_id: "ab12".into(),
            misses: vec![answered("debuginfo"), answered("executable")],
        };
        assert_eq!(
            not_found.to_string(),
            "no debuginfod server has build id ab12: \
             http://s/buildid/ab12/debuginfo: 404 Not Found; \
             http://s/buildid/ab12/executable: 404 Not Found"
        );
        let cached = Error::NotFound {
            build_id: "ab12".into(),
            misses: vec![Miss::Cached {
                age: Duration::from_millis(5900),
                marker: "/c/ab12/debuginfo".into(),
                ttl: DEFAULT_NEGATIVE_TTL,
            }],
        };
        assert_eq!(
            cached.to_string(),
            "no debuginfod server has build id ab12: no server had it 5s ago \
             (cached miss /c/ab12/debuginfo, asked again after 600s; delete it to retry now)"
        );
        let download = Error::Download {
            build_id: "ab12".into(),
            misses: vec![answered("debuginfo")],
            errors: vec![Error::Http {
                url: "http://t/buildid/ab12/debuginfo".into(),
                reason: HttpReason::Status(reqwest::StatusCode::BAD_GATEWAY),
            }],
        };
        assert_eq!(
            download.to_string(),
            "cannot download build id ab12: http://s/buildid/ab12/debuginfo: 404 Not Found; \
             http://t/buildid/ab12/debuginfo: server answered 502 Bad Gateway"
        );
    }

    #[test]
    fn config_comes_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Config::from_vars(vars(&[])), None);
        assert_eq!(Config::from_vars(vars(&[("DEBUGINFOD_URLS", "  ")])), None);
        let config = Config::from_vars(vars(&[
            ("DEBUGINFOD_URLS", "https://a.example/ http://b.example"),
            ("HOME", "/home/u"),
            ("DEBUGINFOD_TIMEOUT", "5"),
        ]))
        .unwrap();
        assert_eq!(config.urls, ["https://a.example/", "http://b.example"]);
        assert_eq!(
            config.cache_dir,
            Path::new("/home/u/.cache/debuginfod_client")
        );
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.max_time, None);
        assert_eq!(config.negative_ttl, DEFAULT_NEGATIVE_TTL);
        let config = Config::from_vars(vars(&[
            ("DEBUGINFOD_URLS", "http://x"),
            ("DEBUGINFOD_CACHE_PATH", "/c"),
            ("XDG_CACHE_HOME", "/xdg"),
            ("DEBUGINFOD_CACHE_MISS_S", "7"),
            ("DEBUGINFOD_MAXTIME", "60"),
        ]))
        .unwrap();
        assert_eq!(config.cache_dir, Path::new("/c"));
        assert_eq!(config.negative_ttl, Duration::from_secs(7));
        assert_eq!(config.max_time, Some(Duration::from_secs(60)));
        let config = Config::from_vars(vars(&[
            ("DEBUGINFOD_URLS", "http://x"),
            ("XDG_CACHE_HOME", "/xdg"),
        ]))
        .unwrap();
        assert_eq!(config.cache_dir, Path::new("/xdg/debuginfod_client"));
    }
}
