//! Who maintains a source file: the kernel's `MAINTAINERS` file, read the
//! way `scripts/get_maintainer.pl -f FILE` reads it.
//!
//! A section is a title line followed by `X:\tvalue` lines; the sections
//! start at the first such line. A section covers a file when one of its
//! `F:` patterns or `N:` regexes matches the file's path, or one of its
//! `K:` regexes matches the file's text, and none of its `X:` patterns
//! matches the path. `F:`/`X:` patterns are globs (`*`, `?`) matched from
//! the start of the path; a pattern ending in `/` covers everything below
//! that directory, and any other pattern must match a path of the same
//! depth. Sections are listed most specific first: by the depth of the
//! pattern that matched.

use regex::Regex;
use serde::Serialize;

/// Longest regex source accepted from an `N:` or `K:` line; the regex
/// engine bounds the compiled size too.
const MAX_REGEX_LEN: usize = 1024;

/// A parsed `MAINTAINERS` file.
#[derive(Debug, Default)]
pub struct Maintainers {
    sections: Vec<Section>,
}

/// One section of `MAINTAINERS`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    /// The section's title (`NETWORKING [IPv4/IPv6]`).
    pub name: String,
    /// `M:` maintainers, as written (`Name <address>`).
    pub maintainers: Vec<String>,
    /// `R:` reviewers.
    pub reviewers: Vec<String>,
    /// `L:` mailing lists.
    pub lists: Vec<String>,
    /// `S:` status (`Maintained`, `Supported`, `Orphan`, ...).
    pub status: Option<String>,
    /// `T:` trees.
    pub trees: Vec<String>,
    #[serde(skip)]
    files: Vec<Glob>,
    #[serde(skip)]
    excludes: Vec<Glob>,
    #[serde(skip)]
    names: Vec<Regex>,
    #[serde(skip)]
    keywords: Vec<Regex>,
}

/// A section that covers a file, and how specific the match is.
#[derive(Debug, Clone)]
pub struct Covering<'a> {
    /// The section.
    pub section: &'a Section,
    /// The depth of the pattern that matched (deeper is more specific);
    /// `N:` and `K:` matches count as 0.
    pub depth: usize,
}

/// An `F:`/`X:` pattern.
#[derive(Debug, Clone)]
enum Glob {
    /// No `*` or `?`: that file, or everything below that directory.
    Literal(String),
    /// A glob, as get_maintainer.pl turns it into a regex.
    Wildcard {
        regex: Regex,
        directory: bool,
        slashes: usize,
    },
}

impl Glob {
    fn new(pattern: &str) -> Option<Glob> {
        if !pattern.contains(['*', '?']) {
            return Some(Glob::Literal(pattern.to_string()));
        }
        let mut source = String::from("^");
        for c in pattern.chars() {
            match c {
                '*' => source.push_str(".*"),
                '?' => source.push('.'),
                c => source.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        Some(Glob::Wildcard {
            regex: Regex::new(&source).ok()?,
            directory: pattern.ends_with('/'),
            slashes: pattern.matches('/').count(),
        })
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            // A directory named with or without its trailing `/`
            // (get_maintainer.pl adds it after looking at the tree; a path
            // below it shows the same).
            Glob::Literal(p) => match p.strip_suffix('/') {
                Some(dir) => path.strip_prefix(dir).is_some_and(|r| r.starts_with('/')),
                None => {
                    path == p
                        || path
                            .strip_prefix(p.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                }
            },
            Glob::Wildcard {
                regex,
                directory,
                slashes,
            } => regex.is_match(path) && (*directory || path.matches('/').count() == *slashes),
        }
    }

    /// get_maintainer.pl's pattern depth: its slashes, plus one for a file
    /// pattern; a pattern that starts with `*` matches anywhere, depth 0.
    fn depth(&self) -> usize {
        match self {
            Glob::Literal(p) => p.matches('/').count() + usize::from(!p.ends_with('/')),
            Glob::Wildcard { regex, .. } if regex.as_str().starts_with("^.*") => 0,
            Glob::Wildcard {
                directory, slashes, ..
            } => slashes + usize::from(!directory),
        }
    }
}

impl Maintainers {
    /// Parse the text of a `MAINTAINERS` file. Never fails: lines that are
    /// not understood, and `N:`/`K:` regexes that do not compile, are skipped.
    pub fn parse(text: &str) -> Maintainers {
        let mut sections: Vec<Section> = Vec::new();
        let mut title: Option<String> = None;
        let mut open = false;
        for line in text.lines() {
            let line = line.trim_end();
            let Some((tag, value)) = field(line) else {
                open = false;
                title = (!line.trim().is_empty()).then(|| line.trim().to_string());
                continue;
            };
            if !open {
                sections.push(Section {
                    name: title.take().unwrap_or_default(),
                    ..Section::default()
                });
                open = true;
            }
            let Some(section) = sections.last_mut() else {
                continue;
            };
            let value = value.to_string();
            match tag {
                'M' => section.maintainers.push(value),
                'R' => section.reviewers.push(value),
                'L' => section.lists.push(value),
                'S' => section.status = Some(value),
                'T' => section.trees.push(value),
                'F' => section.files.extend(Glob::new(&value)),
                'X' => section.excludes.extend(Glob::new(&value)),
                'N' => section.names.extend(bounded_regex(&value)),
                'K' => section.keywords.extend(bounded_regex(&value)),
                _ => {}
            }
        }
        Maintainers { sections }
    }

    /// The sections covering `path` (tree-relative), most specific first.
    /// `text` is the file's text, for `K:` keywords, when known.
    pub fn covering(&self, path: &str, text: Option<&str>) -> Vec<Covering<'_>> {
        let mut out: Vec<Covering<'_>> = Vec::new();
        for section in &self.sections {
            if section.excludes.iter().any(|g| g.matches(path)) {
                continue;
            }
            let by_file = section
                .files
                .iter()
                .filter(|g| g.matches(path))
                .map(Glob::depth)
                .max();
            let by_name_or_keyword = section.names.iter().any(|r| r.is_match(path))
                || text.is_some_and(|t| section.keywords.iter().any(|r| r.is_match(t)));
            let depth = match (by_file, by_name_or_keyword) {
                (Some(depth), _) => depth,
                (None, true) => 0,
                (None, false) => continue,
            };
            out.push(Covering { section, depth });
        }
        // Stable: equally deep sections keep the file's order.
        out.sort_by_key(|c| std::cmp::Reverse(c.depth));
        out
    }
}

/// A `X:\tvalue` line: one upper-case letter, a colon, then the value.
fn field(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let tag = chars.next().filter(char::is_ascii_uppercase)?;
    let rest = chars.as_str().strip_prefix(':')?;
    Some((tag, rest.trim()))
}

/// An `N:`/`K:` regex (Perl `/x` syntax: whitespace is insignificant).
fn bounded_regex(source: &str) -> Option<Regex> {
    if source.len() > MAX_REGEX_LEN {
        return None;
    }
    regex::RegexBuilder::new(source)
        .ignore_whitespace(true)
        .size_limit(1 << 20)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAINTAINERS: &str = "\
List of maintainers
===================

Descriptions of section entries and preferred order
	M: *Mail* patches to: FullName <address@domain>

3C59X NETWORK DRIVER
M:	Steffen Klassert <klassert@kernel.org>
L:	netdev@vger.kernel.org
S:	Odd Fixes
F:	drivers/net/ethernet/3com/3c59x.c

NETWORKING [GENERAL]
M:	David S. Miller <davem@davemloft.net>
R:	Simon Horman <horms@kernel.org>
L:	netdev@vger.kernel.org
S:	Maintained
T:	git git://git.kernel.org/pub/scm/linux/kernel/git/netdev/net.git
F:	net/
F:	include/linux/net*.h
X:	net/bluetooth/
X:	net/wireless/

NETWORKING [IPv4/IPv6]
M:	David Ahern <dsahern@kernel.org>
L:	netdev@vger.kernel.org
S:	Maintained
F:	net/ipv4/
F:	net/ipv6/

TCP
M:	Eric Dumazet <edumazet@google.com>
S:	Maintained
F:	net/ipv4/tcp*.c

BLUETOOTH SUBSYSTEM
M:	Marcel Holtmann <marcel@holtmann.org>
L:	linux-bluetooth@vger.kernel.org
S:	Supported
F:	net/bluetooth/

RUST
M:	Miguel Ojeda <ojeda@kernel.org>
S:	Supported
N:	rust
K:	\\b(?:rust|kernel::)\\b

THE REST
M:	Linus Torvalds <torvalds@linux-foundation.org>
L:	linux-kernel@vger.kernel.org
S:	Buried alive in reporters
F:	*
F:	*/
";

    fn names(path: &str, text: Option<&str>) -> Vec<String> {
        let m = Maintainers::parse(MAINTAINERS);
        m.covering(path, text)
            .into_iter()
            .map(|c| c.section.name.clone())
            .collect()
    }

    #[test]
    fn most_specific_section_first() {
        assert_eq!(
            names("net/ipv4/tcp_ipv4.c", None),
            [
                "TCP",
                "NETWORKING [IPv4/IPv6]",
                "NETWORKING [GENERAL]",
                "THE REST"
            ]
        );
        let m = Maintainers::parse(MAINTAINERS);
        let tcp = m.covering("net/ipv4/tcp_ipv4.c", None)[0].section;
        assert_eq!(tcp.maintainers, ["Eric Dumazet <edumazet@google.com>"]);
        assert_eq!(tcp.status.as_deref(), Some("Maintained"));
        let general = m.covering("net/socket.c", None)[0].section;
        assert_eq!(general.reviewers, ["Simon Horman <horms@kernel.org>"]);
        assert_eq!(general.lists, ["netdev@vger.kernel.org"]);
        assert_eq!(general.trees.len(), 1);
    }

    #[test]
    fn file_patterns_keep_their_depth_and_excludes_win() {
        // `tcp*.c` does not reach into a subdirectory.
        assert!(!names("net/ipv4/tcp/x.c", None).contains(&"TCP".to_string()));
        // X: net/bluetooth/ takes the general networking section away.
        assert_eq!(
            names("net/bluetooth/hci_core.c", None),
            ["BLUETOOTH SUBSYSTEM", "THE REST"]
        );
        assert_eq!(
            names("include/linux/netdevice.h", None),
            ["NETWORKING [GENERAL]", "THE REST"]
        );
        assert_eq!(
            names("drivers/net/ethernet/3com/3c59x.c", None)[0],
            "3C59X NETWORK DRIVER"
        );
        // A directory named without its trailing `/`.
        let m = Maintainers::parse("D\nF:\tdrivers/net\n");
        assert_eq!(m.covering("drivers/net/x/y.c", None).len(), 1);
        assert_eq!(m.covering("drivers/network.c", None).len(), 0);
        // `.` is literal: 3c59xXc does not match 3c59x.c.
        assert_eq!(
            names("drivers/net/ethernet/3com/3c59xXc", None),
            ["THE REST"]
        );
    }

    #[test]
    fn name_and_keyword_regexes() {
        assert!(names("rust/kernel/lib.rs", None).contains(&"RUST".to_string()));
        assert!(!names("fs/open.c", None).contains(&"RUST".to_string()));
        assert!(names("fs/open.c", Some("use kernel::prelude")).contains(&"RUST".to_string()));
    }

    #[test]
    fn hostile_files_do_not_break_it() {
        // Bad regexes and globs are skipped; nothing panics.
        let m = Maintainers::parse("X\nN:\t(unclosed\nK:\t[\nF:\t[*\nM:\tA <a@b>\n");
        assert_eq!(m.sections.len(), 1);
        assert_eq!(m.covering("[x", None).len(), 1);
        let long = format!("Y\nN:\t{}\n", "a".repeat(MAX_REGEX_LEN + 1));
        assert!(Maintainers::parse(&long).sections[0].names.is_empty());
        // A regex that would compile to a huge program is refused.
        assert!(
            Maintainers::parse("Z\nN:\t\\w{1000}{1000}\n").sections[0]
                .names
                .is_empty()
        );
        assert!(Maintainers::parse("").covering("a.c", None).is_empty());
    }
}
