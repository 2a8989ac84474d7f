//! Forges, repository URL normalization and the URLs of source, raw file and
//! commit pages.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::LinkError;

/// The web front end serving a repository, which decides the shape of its URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Forge {
    /// cgit, as on git.kernel.org: `…/tree/PATH?id=SHA#nLINE`.
    Cgit,
    /// GitHub: `…/blob/SHA/PATH#LLINE`.
    GitHub,
    /// GitLab: `…/-/blob/SHA/PATH#LLINE`.
    GitLab,
    /// Gitiles, as on `*.googlesource.com`: `…/+/SHA/PATH#LINE`.
    Gitiles,
}

impl Forge {
    /// The forge's name as accepted by `--forge`.
    pub fn name(self) -> &'static str {
        match self {
            Forge::Cgit => "cgit",
            Forge::GitHub => "github",
            Forge::GitLab => "gitlab",
            Forge::Gitiles => "gitiles",
        }
    }

    /// Guess the forge from a host name, `None` for hosts kresym does not know.
    pub fn detect(host: &str, path: &str) -> Option<Forge> {
        let host = host.to_ascii_lowercase();
        let host = host.split(':').next().unwrap_or_default();
        if host == "github.com" || host == "www.github.com" {
            Some(Forge::GitHub)
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            Some(Forge::GitLab)
        } else if host.ends_with(".googlesource.com") || host == "googlesource.com" {
            Some(Forge::Gitiles)
        } else if KNOWN_CGIT_HOSTS.contains(&host)
            || host.starts_with("cgit.")
            || path.starts_with("/cgit/")
        {
            Some(Forge::Cgit)
        } else {
            None
        }
    }
}

/// Hosts known to serve cgit.
const KNOWN_CGIT_HOSTS: &[&str] = &[
    "git.kernel.org",
    "kernel.org",
    "git.zx2c4.com",
    "git.infradead.org",
    "git.linuxtv.org",
    "git.yoctoproject.org",
    "git.savannah.gnu.org",
    "git.savannah.nongnu.org",
    "git.kernel.dk",
    "git.code.sf.net",
];

impl fmt::Display for Forge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Forge {
    type Err = LinkError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cgit" => Ok(Forge::Cgit),
            "github" => Ok(Forge::GitHub),
            "gitlab" => Ok(Forge::GitLab),
            "gitiles" | "googlesource" => Ok(Forge::Gitiles),
            other => Err(LinkError::UnknownForge(other.to_string())),
        }
    }
}

/// A repository on a forge, normalized from a clone URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Repo {
    /// The forge serving it.
    pub forge: Forge,
    /// The web base URL, e.g.
    /// `https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git`
    /// or `https://github.com/torvalds/linux`; no trailing slash.
    pub base: String,
    /// `https` or `http` (only kept when the input said `http://`).
    pub scheme: String,
    /// Host, with the port when one was given in an `http(s)` URL.
    pub host: String,
    /// Path on the host, starting with `/`, without a trailing slash.
    pub path: String,
}

/// Why a repository URL cannot be used ([`LinkError::BadRepo`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRepoUrl {
    /// Nothing but white space.
    #[error("empty")]
    Empty,
    /// White space or control characters inside.
    #[error("contains whitespace")]
    Whitespace,
    /// A scheme other than https, http, git or ssh (the scheme, lower-cased).
    #[error("unsupported scheme (expected https, http, git or ssh)")]
    Scheme(String),
    /// A port that is not a number from 1 to 65535.
    #[error("bad port")]
    Port,
    /// A host that is not a plain host name or IP address (lower-cased).
    #[error("bad host (expected a host name of letters, digits, `-` and `.`, or an IP address)")]
    Host(String),
    /// A query or fragment.
    #[error("a repository URL has no query (`?`) or fragment (`#`)")]
    QueryOrFragment,
    /// A path segment with other characters, or `.` or `..`.
    #[error("bad path segment {0:?} (expected letters, digits and `-._~+`, no `.` or `..`)")]
    PathSegment(String),
    /// No path after the host.
    #[error("no repository path")]
    NoPath,
    /// What a browser makes of it differs from what was checked.
    #[error("not a plain http(s) URL")]
    NotPlain,
}

impl Repo {
    /// Parse a clone URL in any usual form: `https://host/path(.git)`,
    /// `git://host/path`, `ssh://user@host[:port]/path`, `user@host:path`,
    /// or a bare `host/path`. `forge` forces the URL shape; without it the
    /// forge is recognized from the host, and unknown hosts are an error.
    ///
    /// Every form must come down to a plain `http(s)://host[:port]/path`:
    /// a host name of letters, digits, `-` and `.` (or an IP address), and
    /// path segments of letters, digits and `-._~+`. Anything else (no
    /// query, fragment, `..`, quotes, brackets, `%`, non-ASCII) is refused,
    /// so the URL can be written into Markdown and HTML as it is.
    pub fn parse(url: &str, forge: Option<Forge>) -> Result<Repo, LinkError> {
        let bad = |why| LinkError::BadRepo(url.to_string(), why);
        let s = url.trim();
        if s.is_empty() {
            return Err(bad(BadRepoUrl::Empty));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(BadRepoUrl::Whitespace));
        }
        let (scheme, rest) = match s.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = scheme.to_ascii_lowercase();
                match scheme.as_str() {
                    "https" | "http" | "git" | "ssh" | "git+ssh" | "ssh+git" => {}
                    _ => return Err(bad(BadRepoUrl::Scheme(scheme))),
                }
                (scheme, rest.to_string())
            }
            None => {
                // scp-like `user@host:path` or `host:path`, or a bare `host/path`.
                match s.split_once(':') {
                    Some((h, p)) if !h.contains('/') => (
                        "ssh".to_string(),
                        format!("{h}/{}", p.trim_start_matches('/')),
                    ),
                    _ => ("https".to_string(), s.to_string()),
                }
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest.as_str(), ""),
        };
        // Drop user info.
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let (hostname, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !authority.ends_with(']') => match p.parse::<u16>() {
                Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(n)),
                _ => return Err(bad(BadRepoUrl::Port)),
            },
            _ => (authority, None),
        };
        let hostname = hostname.to_ascii_lowercase();
        if !plain_host(&hostname) {
            return Err(bad(BadRepoUrl::Host(hostname)));
        }
        // Only http(s) ports are web ports; git/ssh ports say nothing of the web.
        let host = match (scheme.as_str(), port) {
            ("http" | "https", Some(p)) => format!("{hostname}:{p}"),
            _ => hostname.clone(),
        };
        let web_scheme = if scheme == "http" { "http" } else { "https" };
        if path.contains(['?', '#']) {
            return Err(bad(BadRepoUrl::QueryOrFragment));
        }
        let mut path = path.trim_end_matches('/').to_string();
        if let Some(seg) = path.split('/').skip(1).find(|seg| !plain_segment(seg)) {
            return Err(bad(BadRepoUrl::PathSegment(seg.to_string())));
        }
        let forge = match forge.or_else(|| Forge::detect(&hostname, &path)) {
            Some(f) => f,
            None => {
                return Err(LinkError::UnknownHost(
                    url.to_string(),
                    hostname.to_string(),
                ));
            }
        };
        match forge {
            Forge::Cgit if hostname == "git.kernel.org" || hostname == "kernel.org" => {
                // kernel.org's cgit names repositories with their `.git`.
                if !path.ends_with(".git") && !path.is_empty() {
                    path.push_str(".git");
                }
            }
            Forge::Cgit => {}
            Forge::GitHub | Forge::GitLab | Forge::Gitiles => {
                if let Some(p) = path.strip_suffix(".git") {
                    path = p.to_string();
                }
            }
        }
        if path.is_empty() || path == "/" {
            return Err(bad(BadRepoUrl::NoPath));
        }
        let base = format!("{web_scheme}://{host}{path}");
        // What a browser makes of it must be exactly what was checked.
        match url::Url::parse(&base) {
            Ok(u) if u.as_str() == base => {}
            _ => return Err(bad(BadRepoUrl::NotPlain)),
        }
        Ok(Repo {
            forge,
            base,
            scheme: web_scheme.to_string(),
            host,
            path,
        })
    }

    /// A stable key naming the repository (host and path), for caches.
    pub fn key(&self) -> String {
        format!("{}{}", self.host, self.path)
    }

    /// The page showing `path` at `commit`, at `line`.
    pub fn source_url(&self, commit: &str, path: &str, line: u32) -> String {
        let path = encode_path(path);
        let commit = encode_path(commit);
        let base = &self.base;
        match self.forge {
            Forge::Cgit => format!("{base}/tree/{path}?id={commit}#n{line}"),
            Forge::GitHub => format!("{base}/blob/{commit}/{path}#L{line}"),
            Forge::GitLab => format!("{base}/-/blob/{commit}/{path}#L{line}"),
            Forge::Gitiles => format!("{base}/+/{commit}/{path}#{line}"),
        }
    }

    /// The URL of the raw file, and how its body is encoded.
    pub fn raw_url(&self, commit: &str, path: &str) -> (String, RawEncoding) {
        let path = encode_path(path);
        let commit = encode_path(commit);
        let base = &self.base;
        match self.forge {
            Forge::Cgit => (
                format!("{base}/plain/{path}?id={commit}"),
                RawEncoding::Plain,
            ),
            Forge::GitHub if self.host == "github.com" || self.host == "www.github.com" => (
                format!(
                    "https://raw.githubusercontent.com{}/{commit}/{path}",
                    self.path
                ),
                RawEncoding::Plain,
            ),
            Forge::GitHub => (format!("{base}/raw/{commit}/{path}"), RawEncoding::Plain),
            Forge::GitLab => (format!("{base}/-/raw/{commit}/{path}"), RawEncoding::Plain),
            Forge::Gitiles => (
                format!("{base}/+/{commit}/{path}?format=TEXT"),
                RawEncoding::Base64,
            ),
        }
    }

    /// The page of one commit.
    pub fn commit_url(&self, commit: &str) -> String {
        let commit = encode_path(commit);
        let base = &self.base;
        match self.forge {
            Forge::Cgit => format!("{base}/commit/?id={commit}"),
            Forge::GitHub => format!("{base}/commit/{commit}"),
            Forge::GitLab => format!("{base}/-/commit/{commit}"),
            Forge::Gitiles => format!("{base}/+/{commit}"),
        }
    }
}

/// A host name of letters, digits and `-` in dot-separated labels, or an
/// IPv4 address, or an IPv6 address in brackets.
fn plain_host(host: &str) -> bool {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A path segment of letters, digits and `-._~+`, not empty, `.` or `..`.
fn plain_segment(seg: &str) -> bool {
    !seg.is_empty()
        && seg != "."
        && seg != ".."
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+'))
}

/// How a raw endpoint encodes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawEncoding {
    /// The bytes of the file.
    Plain,
    /// Base64 of the bytes (gitiles `?format=TEXT`).
    Base64,
}

/// Percent-encode what could break a URL path; `/` is kept.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'+'
            | b','
            | b'@'
            | b'=' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "7bc3e6e55acf065500a24621f3b313e7e5998acf";
    const KORG: &str = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";

    #[test]
    fn kernel_org_forms_normalize_to_one_repo() {
        for url in [
            KORG,
            "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux",
            "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/",
            "git://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git",
            "ssh://git@git.kernel.org:22/pub/scm/linux/kernel/git/torvalds/linux.git",
            "git@git.kernel.org:pub/scm/linux/kernel/git/torvalds/linux.git",
        ] {
            let r = Repo::parse(url, None).unwrap();
            assert_eq!(r.forge, Forge::Cgit, "{url}");
            assert_eq!(r.base, KORG, "{url}");
        }
    }

    #[test]
    fn cgit_urls() {
        let r = Repo::parse(KORG, None).unwrap();
        assert_eq!(
            r.source_url(SHA, "fs/fcntl.c", 798),
            format!("{KORG}/tree/fs/fcntl.c?id={SHA}#n798")
        );
        assert_eq!(
            r.raw_url(SHA, "fs/fcntl.c"),
            (
                format!("{KORG}/plain/fs/fcntl.c?id={SHA}"),
                RawEncoding::Plain
            )
        );
        assert_eq!(r.commit_url(SHA), format!("{KORG}/commit/?id={SHA}"));
    }

    #[test]
    fn github_urls() {
        for url in [
            "https://github.com/torvalds/linux.git",
            "https://github.com/torvalds/linux",
            "git@github.com:torvalds/linux.git",
            "ssh://git@github.com/torvalds/linux",
            "git://github.com/torvalds/linux.git",
        ] {
            let r = Repo::parse(url, None).unwrap();
            assert_eq!(r.forge, Forge::GitHub);
            assert_eq!(
                r.source_url("abc123", "mm/slub.c", 12),
                "https://github.com/torvalds/linux/blob/abc123/mm/slub.c#L12"
            );
            assert_eq!(
                r.raw_url("abc123", "mm/slub.c").0,
                "https://raw.githubusercontent.com/torvalds/linux/abc123/mm/slub.c"
            );
            assert_eq!(
                r.commit_url("abc123"),
                "https://github.com/torvalds/linux/commit/abc123"
            );
        }
    }

    #[test]
    fn gitlab_urls() {
        let r = Repo::parse("git@gitlab.freedesktop.org:drm/kernel.git", None).unwrap();
        assert_eq!(r.forge, Forge::GitLab);
        assert_eq!(
            r.source_url("abc", "drivers/gpu/drm/drm_file.c", 5),
            "https://gitlab.freedesktop.org/drm/kernel/-/blob/abc/drivers/gpu/drm/drm_file.c#L5"
        );
        assert_eq!(
            r.raw_url("abc", "a.c").0,
            "https://gitlab.freedesktop.org/drm/kernel/-/raw/abc/a.c"
        );
        assert_eq!(
            r.commit_url("abc"),
            "https://gitlab.freedesktop.org/drm/kernel/-/commit/abc"
        );
    }

    #[test]
    fn gitiles_urls() {
        let r = Repo::parse("https://android.googlesource.com/kernel/common.git", None).unwrap();
        assert_eq!(r.forge, Forge::Gitiles);
        assert_eq!(
            r.source_url("abc", "kernel/fork.c", 7),
            "https://android.googlesource.com/kernel/common/+/abc/kernel/fork.c#7"
        );
        assert_eq!(
            r.raw_url("abc", "kernel/fork.c"),
            (
                "https://android.googlesource.com/kernel/common/+/abc/kernel/fork.c?format=TEXT"
                    .to_string(),
                RawEncoding::Base64
            )
        );
        assert_eq!(
            r.commit_url("abc"),
            "https://android.googlesource.com/kernel/common/+/abc"
        );
    }

    #[test]
    fn other_cgit_hosts_and_forced_forge() {
        let r = Repo::parse("https://git.zx2c4.com/wireguard-linux", None).unwrap();
        assert_eq!(r.forge, Forge::Cgit);
        assert_eq!(
            r.source_url("abc", "a.c", 1),
            "https://git.zx2c4.com/wireguard-linux/tree/a.c?id=abc#n1"
        );
        let err = Repo::parse("https://mirror.example.org/linux.git", None).unwrap_err();
        assert!(err.to_string().contains("--forge"), "{err}");
        let r = Repo::parse("http://127.0.0.1:8080/linux.git", Some(Forge::Cgit)).unwrap();
        assert_eq!(r.base, "http://127.0.0.1:8080/linux.git");
        assert_eq!(
            r.raw_url("abc", "a.c").0,
            "http://127.0.0.1:8080/linux.git/plain/a.c?id=abc"
        );
        let r = Repo::parse("http://127.0.0.1:8080/o/linux.git", Some(Forge::GitHub)).unwrap();
        assert_eq!(
            r.raw_url("abc", "a.c").0,
            "http://127.0.0.1:8080/o/linux/raw/abc/a.c"
        );
    }

    #[test]
    fn bad_repos_are_errors() {
        for url in [
            "",
            "ftp://x/y",
            "https://github.com",
            "https://a b/c",
            "https://github.com/../x",
        ] {
            assert!(Repo::parse(url, None).is_err(), "{url}");
        }
        assert!("svn".parse::<Forge>().is_err());
        assert_eq!("GitHub".parse::<Forge>().unwrap(), Forge::GitHub);
    }

    /// Each refusal names its reason, in the words the `String`s it
    /// replaced said.
    #[test]
    fn bad_repos_say_why() {
        let why = |url| match Repo::parse(url, Some(Forge::Cgit)) {
            Err(LinkError::BadRepo(_, why)) => why,
            other => panic!("{url}: {other:?}"),
        };
        let cases = [
            (" ", BadRepoUrl::Empty, "empty"),
            (
                "https://a\tb/c",
                BadRepoUrl::Whitespace,
                "contains whitespace",
            ),
            (
                "FTP://x/y",
                BadRepoUrl::Scheme("ftp".into()),
                "unsupported scheme (expected https, http, git or ssh)",
            ),
            ("https://x:0/y", BadRepoUrl::Port, "bad port"),
            (
                "https://X_Y/z",
                BadRepoUrl::Host("x_y".into()),
                "bad host (expected a host name of letters, digits, `-` and `.`, or an IP address)",
            ),
            (
                "https://x/y?z",
                BadRepoUrl::QueryOrFragment,
                "a repository URL has no query (`?`) or fragment (`#`)",
            ),
            (
                "https://x/y/../z",
                BadRepoUrl::PathSegment("..".into()),
                "bad path segment \"..\" (expected letters, digits and `-._~+`, no `.` or `..`)",
            ),
            ("https://x/", BadRepoUrl::NoPath, "no repository path"),
        ];
        for (url, reason, said) in cases {
            assert_eq!(why(url), reason, "{url}");
            assert_eq!(reason.to_string(), said);
        }
        assert_eq!(
            Repo::parse("https://x/", Some(Forge::Cgit))
                .unwrap_err()
                .to_string(),
            "bad repository URL \"https://x/\": no repository path"
        );
    }

    /// Issue #15: a `git tree:` or `--repo` that smuggles Markdown or HTML
    /// into every link. Each of these was accepted before, its text copied
    /// into the base URL.
    #[test]
    fn hostile_repos_are_refused() {
        for url in [
            "https://github.com/a/b)<script>alert(document.cookie)</script>[x](javascript:alert(1))",
            "https://github.com/a/b\"onmouseover=\"alert(1)",
            "https://github.com/a/b'><img src=x onerror=alert(1)>",
            "https://github.com/a/b`code`",
            "https://github.com/a/b%3Cscript%3E",
            "https://github.com/a/b?x=<script>",
            "https://github.com/a/b#<script>",
            "https://github.com/a/[x](y)",
            "https://github.com/a//b",
            "https://github.com/a/./b",
            "https://github.com/a/b\\c",
            "https://github.com/a/b&amp;c",
            "https://github.com/a/\u{441}ode",
            "https://gith<u>b.com/a/b",
            "https://github.com:99999/a/b",
            "https://github.com:x/a/b",
            "https://-github.com/a/b",
            "https://user:pass@git(hub).com/a/b",
            "git@github.com:a/b)<script>",
            "javascript:alert(1)//github.com/a/b",
            "data:text/html,<script>alert(1)</script>",
        ] {
            let err = Repo::parse(url, Some(Forge::GitHub));
            assert!(err.is_err(), "{url} accepted: {err:?}");
            let err = Repo::parse(url, None);
            assert!(err.is_err(), "{url} accepted: {err:?}");
        }
        let err = Repo::parse(
            "https://github.com/a/b)<script>alert(document.cookie)</script>",
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("bad path segment"), "{err}");
    }

    #[test]
    fn plain_hosts_ports_and_paths_are_kept() {
        for (url, base) in [
            (
                "https://GitHub.com/Owner/Re.po_1~x+y",
                "https://github.com/Owner/Re.po_1~x+y",
            ),
            (
                "http://127.0.0.1:8080/linux.git",
                "http://127.0.0.1:8080/linux.git",
            ),
            ("http://[::1]:8080/linux.git", "http://[::1]:8080/linux.git"),
            (
                "https://user@example.org/a/b.git",
                "https://example.org/a/b.git",
            ),
        ] {
            let r = Repo::parse(url, Some(Forge::Cgit)).unwrap();
            assert_eq!(r.base, base, "{url}");
        }
    }

    #[test]
    fn odd_characters_are_encoded() {
        let r = Repo::parse(KORG, None).unwrap();
        assert_eq!(
            r.source_url(SHA, "a b#c?.c", 1),
            format!("{KORG}/tree/a%20b%23c%3F.c?id={SHA}#n1")
        );
    }
}
