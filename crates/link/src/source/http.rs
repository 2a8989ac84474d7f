//! Files fetched from a forge's raw endpoint over HTTP(S).

use std::io::Read;
use std::time::{Duration, Instant};

use base64::Engine;

use super::{
    Cache, MAX_FILE_BYTES, Missing, NotSource, SourceError, SourceProvider, bytes_to_source,
    safe_relative_path,
};
use crate::forge::{RawEncoding, Repo};

/// Settings of [`HttpSource`].
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Deadline for each file: connecting, waiting and reading the whole
    /// body, however slowly a server drips it.
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Use only the cache; never touch the network.
    pub offline: bool,
    /// Where to cache fetched files; `None` disables caching.
    pub cache: Option<Cache>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(10),
            offline: false,
            cache: Cache::default_dir().map(Cache::new),
        }
    }
}

/// Fetches files from raw endpoints: cgit `plain/`, GitHub/GitLab raw,
/// gitiles `?format=TEXT` (base64). Successful fetches are cached.
#[derive(Debug)]
pub struct HttpSource {
    client: Option<reqwest::blocking::Client>,
    /// Without proxies, for loopback hosts.
    direct: Option<reqwest::blocking::Client>,
    options: HttpOptions,
}

impl HttpSource {
    /// A provider with `options`.
    pub fn new(options: HttpOptions) -> Result<Self, SourceError> {
        let build = |direct: bool| {
            let mut b = reqwest::blocking::Client::builder()
                .timeout(options.timeout)
                .connect_timeout(options.connect_timeout)
                .user_agent(concat!("kresym/", env!("CARGO_PKG_VERSION")));
            if direct {
                b = b.no_proxy();
            }
            b.build().map_err(SourceError::Client)
        };
        let (client, direct) = if options.offline {
            (None, None)
        } else {
            (Some(build(false)?), Some(build(true)?))
        };
        Ok(HttpSource {
            client,
            direct,
            options,
        })
    }

    fn download(&self, url: &str, encoding: RawEncoding) -> Result<String, SourceError> {
        let loopback = [
            "http://127.",
            "https://127.",
            "http://localhost",
            "http://[::1]",
        ]
        .iter()
        .any(|p| url.starts_with(p));
        let client = if loopback { &self.direct } else { &self.client };
        let client = client
            .as_ref()
            .ok_or_else(|| SourceError::NotCached(url.to_string()))?;
        let map_err = |e: reqwest::Error| {
            if e.is_timeout() {
                SourceError::Timeout(url.to_string())
            } else {
                SourceError::Fetch {
                    url: url.to_string(),
                    error: e,
                }
            }
        };
        let deadline = Instant::now() + self.options.timeout;
        // reqwest's request timeout is a deadline for the whole body too;
        // the loop below checks it as well after every read.
        let mut resp = client
            .get(url)
            .timeout(self.options.timeout)
            .send()
            .map_err(map_err)?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(SourceError::NotFound(Missing::Url(url.to_string())));
        }
        if !status.is_success() {
            return Err(SourceError::Status {
                status: status.as_u16(),
                url: url.to_string(),
            });
        }
        // Base64 needs a third more; past twice the cap, the file is refused anyway.
        let cap = MAX_FILE_BYTES * 2 + 1;
        let mut body = Vec::new();
        let mut chunk = vec![0; 64 * 1024];
        loop {
            let n = match resp.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut || is_timeout(&e) => {
                    return Err(SourceError::Timeout(url.to_string()));
                }
                Err(error) => {
                    return Err(SourceError::Read {
                        url: url.to_string(),
                        error,
                    });
                }
            };
            body.extend_from_slice(&chunk[..n]);
            if Instant::now() >= deadline {
                return Err(SourceError::Timeout(url.to_string()));
            }
            if body.len() as u64 >= cap {
                break;
            }
        }
        let bytes = match encoding {
            RawEncoding::Plain => body,
            RawEncoding::Base64 => {
                let compact: Vec<u8> = body
                    .into_iter()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                base64::engine::general_purpose::STANDARD
                    .decode(&compact)
                    .map_err(|e| SourceError::Garbage {
                        url: url.to_string(),
                        why: NotSource::Base64(e),
                    })?
            }
        };
        bytes_to_source(&bytes, url)
    }
}

/// Whether a read error is reqwest's timeout.
fn is_timeout(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .and_then(|e| e.downcast_ref::<reqwest::Error>())
        .is_some_and(reqwest::Error::is_timeout)
}

impl SourceProvider for HttpSource {
    fn fetch(&self, repo: Option<&Repo>, commit: &str, path: &str) -> Result<String, SourceError> {
        let repo = repo.ok_or(SourceError::NoRepo)?;
        let path = safe_relative_path(path)?;
        let key = repo.key();
        if let Some(cache) = &self.options.cache
            && let Some(text) = cache.get(&key, commit, path)
        {
            return Ok(text);
        }
        let (url, encoding) = repo.raw_url(commit, path);
        if self.options.offline {
            return Err(SourceError::NotCached(url));
        }
        let text = self.download(&url, encoding)?;
        if let Some(cache) = &self.options.cache {
            // A cache that cannot be written only costs a refetch.
            let _ = cache.put(&key, commit, path, &text);
        }
        Ok(text)
    }
}
