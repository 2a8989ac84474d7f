//! The kernel release (`uname -r`) a line names, in the shapes the kernel
//! prints it:
//!
//! - `CPU: 0 PID: 1 Comm: x Not tainted 6.1.0-53-cloud-amd64 #1` (and 6.12's
//!   `CPU: 1 UID: 0 PID: 1 Comm: x ...`, and old `Pid: 1, comm: x ...`);
//! - `CPU: 0 PID: 1 Comm: x Tainted: G        W  L  6.1.0-rc1-syzkaller #0`:
//!   the taint flags are single letters, the release is the word after them;
//! - the hung-task line `      Not tainted 6.1.0 #1`, without `CPU:`;
//! - lockdep's `6.1.0 #1 Not tainted`;
//! - the boot banner `Linux version 6.1.0-53-cloud-amd64 (builder@host) ... #1 SMP ...`.
//!
//! The version (`#1`, `#0 PREEMPT(full)`) must follow the release, so that
//! neither a taint letter nor the `#0` is ever taken for it. syzbot's
//! kernels print `Not tainted syzkaller #0`: their release is `syzkaller`.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// What both taint markers hold: most lines have neither, and one search
/// built once tells (a `str` pattern builds its searcher at every call).
static TAINT_MARKER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("ainted"));

/// What a CPU line holds before its release.
static PID: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("PID: "));

/// The release named by a console message (prefix removed), if any.
pub fn kernel_release(message: &str) -> Option<&str> {
    if let Some(release) = boot_release(message) {
        return Some(release);
    }
    TAINT_MARKER.find(message.as_bytes())?;
    for (position, marker) in markers(message) {
        let before: Vec<&str> = message[..position].split_whitespace().collect();
        // lockdep: `RELEASE #N Not tainted`.
        if let [release, version] = before.as_slice()
            && is_version(version)
        {
            return Some(release);
        }
        let mut words = message[position + marker.len()..].split_whitespace();
        let mut release = words.next()?;
        if marker == "Tainted: " {
            while is_taint_flag(release) {
                release = words.next()?;
            }
        }
        // Old ARM: `CPU: 0    Not tainted  (3.4.0 #1)`.
        let release = release.strip_prefix('(').unwrap_or(release);
        if !release.is_empty() && !release.starts_with('#') && words.next().is_some_and(is_version)
        {
            return Some(release);
        }
    }
    None
}

/// The release of a boot banner: `Linux version RELEASE (...`.
pub fn boot_release(message: &str) -> Option<&str> {
    let rest = message.trim_start().strip_prefix("Linux version ")?;
    let release = rest.split_whitespace().next()?;
    (!release.starts_with('(') && !release.starts_with('#')).then_some(release)
}

/// Where `Not tainted` and `Tainted: ` start in `message`, in order.
fn markers(message: &str) -> impl Iterator<Item = (usize, &'static str)> + '_ {
    ["Not tainted", "Tainted: "]
        .into_iter()
        .flat_map(move |marker| {
            message
                .match_indices(marker)
                .map(move |(position, _)| (position, marker))
        })
        .filter(|&(position, marker)| {
            // `Not tainted` holds no `Tainted: `; `Tainted: ` is a word start.
            let start = message[..position].chars().next_back();
            marker == "Not tainted" || start.is_none_or(|c| c == ' ' || c == '(')
        })
}

/// A taint flag of `Tainted: G    B   W`: one upper-case letter.
fn is_taint_flag(word: &str) -> bool {
    word.len() == 1 && word.bytes().all(|b| b.is_ascii_uppercase())
}

/// The kernel version after the release: `#1`, `#0`, `#34` (`#1)` in
/// old ARM's parentheses).
fn is_version(word: &str) -> bool {
    let word = word.strip_suffix(')').unwrap_or(word);
    word.strip_prefix('#')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The vmlinux build id a kernel with `CONFIG_STACKTRACE_BUILD_ID` prints
/// at the end of its CPU line (`CPU: 1 PID: 9 Comm: x Not tainted 6.1.0 #1
/// 4f7a...`), as printed: the word after the version, when it has at least
/// 16 characters (whether it is hex is for the caller to check).
pub fn cpu_build_id(message: &str) -> Option<&str> {
    PID.find(message.as_bytes())?;
    let release = kernel_release(message)?;
    let at = message.find(&format!(" {release} #"))? + release.len() + 2;
    let mut words = message[at..].split_whitespace();
    let _version = words.next()?;
    words.next().filter(|id| id.len() >= 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_the_kernel_prints() {
        let cases = [
            (
                "CPU: 0 PID: 1 Comm: x Not tainted 6.1.0-53-cloud-amd64 #1",
                Some("6.1.0-53-cloud-amd64"),
            ),
            (
                "CPU: 1 UID: 0 PID: 1 Comm: systemd Not tainted 6.12.0-rc7 #1",
                Some("6.12.0-rc7"),
            ),
            (
                "CPU: 1 UID: 0 PID: 17677 Comm: kworker/1:3 Not tainted syzkaller #0 PREEMPT(full) ",
                Some("syzkaller"),
            ),
            (
                "CPU: 0 PID: 1 Comm: x Tainted: G        W          6.1.0-rc1-syzkaller #0",
                Some("6.1.0-rc1-syzkaller"),
            ),
            (
                "CPU: 0 PID: 321 Comm: insmod Tainted: G           O      6.1.0-kresym-sample #1",
                Some("6.1.0-kresym-sample"),
            ),
            (
                "      Not tainted 6.1.0-53-cloud-amd64 #1 Debian 6.1.187-1",
                Some("6.1.0-53-cloud-amd64"),
            ),
            (
                "      Tainted: G             L     syzkaller #0",
                Some("syzkaller"),
            ),
            ("      Tainted: G L syzkaller #0", Some("syzkaller")),
            ("4.19.0-rc1+ #1 Not tainted", Some("4.19.0-rc1+")),
            ("6.1.0 #1 Tainted: G        W", Some("6.1.0")),
            (
                "Pid: 1, comm: swapper Not tainted 2.6.32-5-amd64 #1 Dell Inc.",
                Some("2.6.32-5-amd64"),
            ),
            ("CPU: 0    Not tainted  (3.4.0 #1)", Some("3.4.0")),
            (
                "Linux version 6.1.0-53-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP PREEMPT_DYNAMIC Debian 6.1.187-1",
                Some("6.1.0-53-cloud-amd64"),
            ),
            (
                "Linux version 4.20.0-rc3+ (syzkaller@ci) (gcc version 8.0.1) #34",
                Some("4.20.0-rc3+"),
            ),
            // Never a taint letter, never the version, never a taint description.
            ("CPU: 0 PID: 1 Comm: x Tainted: G W #1", None),
            ("Tainted: [L]=SOFTLOCKUP", None),
            ("Tainted: [W]=WARN, [L]=SOFTLOCKUP", None),
            (
                "BUG kmalloc-64 (Tainted: G    B          ): Object already free",
                None,
            ),
            (
                "BUG fasync_cache (Tainted: G    B          ): kasan: bad access detected",
                None,
            ),
            ("CPU: 0 PID: 1 Comm: x Not tainted #1", None),
            ("the word Tainted: appears here", None),
            ("Comm: x Not tainted 6.1", None),
            ("Linux version", None),
        ];
        for (line, release) in cases {
            assert_eq!(kernel_release(line), release, "{line}");
        }
    }

    #[test]
    fn build_id_is_read_from_cpu_lines() {
        assert_eq!(
            cpu_build_id(
                "CPU: 1 PID: 9 Comm: x Not tainted 6.1.0-53-cloud-amd64 #1 4F7A1c2b3d4e5f60718293a4b5c6d7e8f9001122"
            ),
            Some("4F7A1c2b3d4e5f60718293a4b5c6d7e8f9001122")
        );
        assert_eq!(
            cpu_build_id("CPU: 1 PID: 9 Comm: x Not tainted 6.1.0 #1"),
            None
        );
        assert_eq!(
            cpu_build_id("CPU: 1 PID: 9 Comm: x Not tainted 6.1.0 #1 Debian"),
            None
        );
        // Not a CPU line: the banner prints no build id.
        assert_eq!(
            cpu_build_id("Linux version 6.1.0 (b@h) #1 4f7a1c2b3d4e5f60718293a4b5c6d7e8f9001122"),
            None
        );
    }
}
