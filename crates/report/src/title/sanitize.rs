//! Making titles stable: what varies from run to run (pids, addresses,
//! numbers, offsets) becomes a placeholder, as syzkaller's
//! `dynamicTitleReplacement` and `sanitizeTitle` (`pkg/report/report.go`,
//! Apache-2.0) do, so that equal bugs get equal titles.

use std::sync::LazyLock;

use regex::bytes::Regex;

/// Replacements applied in order, each until nothing changes.
static REPLACEMENTS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Executor pids.
        (r"syz-executor\.?[0-9]+((/|:)[0-9]+)?", "syz-executor"),
        (r"syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller"),
        // Anything that looks like an address.
        (r"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}", "${1}ADDR"),
        (r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})", "IP"),
        (r"(\.\w+)(:[0-9]+)+", "${1}:LINE"),
        // `f+0x10/0x20` is `f`: offsets and sizes change with the build.
        (r"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+", "${1}"),
        (r"CPU#[0-9]+", "CPU"),
        // Numbers, but not those inside names (cfg80211) unless long.
        (r"(\W)(\d+)(\W|$)", "${1}NUM${3}"),
        (r"(\d+){7,}", "NUM"),
    ]
    .into_iter()
    .map(|(re, with)| {
        (
            Regex::new(&format!("(?-u){re}")).expect("replacement regex"),
            with,
        )
    })
    .collect()
});

/// Titles longer than this are cut: corrupted lines can be very long.
const MAX_TITLE_LEN: usize = 120;

/// The stable form of a title.
pub(super) fn sanitize(title: &str) -> String {
    let mut bytes = title.as_bytes().to_vec();
    for (re, with) in REPLACEMENTS.iter() {
        loop {
            let replaced = re.replace_all(&bytes, with.as_bytes());
            if *replaced == *bytes {
                break;
            }
            bytes = replaced.into_owned();
        }
    }
    // Printable ASCII only, tabs as spaces, no runs of spaces.
    let mut out = String::with_capacity(bytes.len().min(MAX_TITLE_LEN));
    let mut prev = b' ';
    for &b in bytes.iter().take(MAX_TITLE_LEN) {
        let b = if b == b'\t' { b' ' } else { b };
        if !(0x20..0x7f).contains(&b) || (b == b' ' && prev == b' ') {
            continue;
        }
        out.push(char::from(b));
        prev = b;
    }
    out.trim().to_owned()
}

/// Fill a format string: `%[N]v` and `%[N]s` are the Nth argument.
pub(super) fn fill(fmt: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(fmt.len() + 32);
    let mut rest = fmt;
    while let Some(at) = rest.find("%[") {
        out.push_str(&rest[..at]);
        let spec = &rest[at + 2..];
        let parsed = spec.find(']').and_then(|close| {
            let n: usize = spec[..close].parse().ok()?;
            let verb = spec[close + 1..]
                .chars()
                .next()
                .filter(|c| matches!(c, 'v' | 's'))?;
            Some((n, close + 1 + verb.len_utf8()))
        });
        match parsed {
            Some((n, len)) => {
                match n.checked_sub(1).and_then(|i| args.get(i)) {
                    Some(arg) => out.push_str(arg),
                    None => out.push_str("%!v(BADINDEX)"),
                }
                rest = &spec[len..];
            }
            None => {
                out.push_str("%[");
                rest = spec;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_what_varies() {
        assert_eq!(
            sanitize("kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)"),
            "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"
        );
        assert_eq!(sanitize("WARNING in foo+0x12/0x340"), "WARNING in foo");
        assert_eq!(
            sanitize("task syz-executor.3:1234 at ffffffff81234567"),
            "task syz-executor at ADDR"
        );
        assert_eq!(
            sanitize("in cfg80211_x at net/x.c:12:3"),
            "in cfg80211_x at net/x.c:LINE"
        );
        assert_eq!(sanitize("  a\t\tb\u{1}\u{e9} "), "a b");
        assert_eq!(sanitize(&"x".repeat(300)).len(), MAX_TITLE_LEN);
    }

    #[test]
    fn fills_arguments() {
        let args = ["a".to_string(), "b".to_string()];
        assert_eq!(fill("%[2]v in %[1]v", &args), "b in a");
        assert_eq!(fill("SYZFATAL%[2]s", &args), "SYZFATALb");
        assert_eq!(fill("%[3]v", &args), "%!v(BADINDEX)");
        assert_eq!(fill("100%[", &args), "100%[");
    }
}
