//! Source snippets around a frame's line, and whether the line fits its frame.

use serde::Serialize;

/// A few lines of a source file around a frame's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// 1-based number of the first line in `lines`.
    pub first_line: u32,
    /// The lines, without terminators.
    pub lines: Vec<String>,
    /// 1-based number of the frame's own line.
    pub target_line: u32,
    /// Whether the line fits its frame's function, when a function is known.
    pub fit: Option<Fit>,
}

impl Snippet {
    /// Each line with its 1-based number and whether it is the frame's own line.
    pub fn numbered(&self) -> impl Iterator<Item = (usize, bool, &str)> {
        let first = self.first_line as usize;
        let target = self.target_line as usize;
        self.lines
            .iter()
            .enumerate()
            .map(move |(i, line)| (first + i, first + i == target, line.as_str()))
    }

    /// The frame's own line, when it is inside the file.
    pub fn target_text(&self) -> Option<&str> {
        let i = self.target_line.checked_sub(self.first_line)? as usize;
        self.lines.get(i).map(String::as_str)
    }
}

/// How a source line relates to the function its frame names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fit {
    /// The line is inside the function's definition.
    Defined,
    /// The function is named near the line (called there), outside its own definition.
    Called,
    /// Neither: the frame probably points at the wrong file or line.
    Mismatch {
        /// Why, for people.
        message: String,
    },
}

/// Cut a snippet of `context` lines either side of `line` out of `text`, and
/// check it against `function` when given. `None` when `line` is 0 or past
/// the end of the file.
pub fn make_snippet(
    text: &str,
    line: u32,
    context: u32,
    function: Option<&str>,
) -> Option<Snippet> {
    let all: Vec<&str> = text.lines().collect();
    let n = all.len() as u32;
    if line == 0 || line > n {
        return None;
    }
    let first = line.saturating_sub(context).max(1);
    let last = line.saturating_add(context).min(n);
    let lines = all[(first - 1) as usize..last as usize]
        .iter()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect();
    let fit = function.map(|f| check_fit(&all, line, f));
    Some(Snippet {
        first_line: first,
        lines,
        target_line: line,
        fit,
    })
}

/// The name to look for in source: clone suffixes (`.cold`, `.isra.0`,
/// `.constprop.0`, `.part.0`) dropped.
pub fn source_name(function: &str) -> &str {
    function.split('.').next().unwrap_or(function)
}

/// Syscall entry points are defined by `SYSCALL_DEFINEn(name, ...)`.
fn syscall_name(function: &str) -> Option<&str> {
    let rest = function.strip_prefix("__")?;
    let (_, name) = rest.split_once("sys_")?;
    let prefix = &rest[..rest.len() - name.len() - 4];
    let known = [
        "do_",
        "se_",
        "x64_",
        "ia32_",
        "arm64_",
        "riscv_",
        "s390x_",
        "s390_",
        "x64_compat_",
        "ia32_compat_",
        "do_compat_",
        "se_compat_",
        "arm64_compat_",
    ];
    known.contains(&prefix).then_some(name)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `name` occurs in `line` as a whole identifier.
fn has_ident(line: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let bytes = line.as_bytes();
    let mut from = 0;
    while let Some(i) = line[from..].find(name) {
        let start = from + i;
        let end = start + name.len();
        let before_ok = start == 0 || !is_ident_byte(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_ident_byte(bytes[end]);
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

/// How far back to look for the start of the enclosing definition.
const MAX_FUNCTION_LINES: usize = 3000;
/// How near the line a mention counts as a call.
const CALL_WINDOW: usize = 2;

/// Check line `line` (1-based, inside `lines`) against `function`.
pub fn check_fit(lines: &[&str], line: u32, function: &str) -> Fit {
    let name = source_name(function);
    let idx = (line as usize).saturating_sub(1);
    if idx >= lines.len() {
        return Fit::Mismatch {
            message: format!(
                "line {line} is past the end of the file ({} lines)",
                lines.len()
            ),
        };
    }
    let lo = idx.saturating_sub(CALL_WINDOW);
    let hi = (idx + CALL_WINDOW).min(lines.len() - 1);
    let syscall = syscall_name(name);
    let names_it = |l: &str| has_ident(l, name) || syscall.is_some_and(|s| has_ident(l, s));
    // Walk up to the start of the enclosing top-level definition.
    let stop = idx.saturating_sub(MAX_FUNCTION_LINES);
    for i in (stop..=idx).rev() {
        let l = lines[i];
        let Some(first) = l.bytes().next() else {
            continue;
        };
        if first.is_ascii_whitespace() {
            continue;
        }
        if i != idx && l.starts_with('}') {
            // Left the previous definition: the line is not inside one named so.
            break;
        }
        if l.starts_with('#') || l.starts_with("/*") || l.starts_with("//") || l.starts_with('*') {
            continue;
        }
        let defines = if let Some(sys) = syscall {
            l.contains("SYSCALL_DEFINE") && has_ident(l, sys)
        } else {
            has_ident(l, name)
        };
        if defines && !l.trim_end().ends_with(';') {
            return Fit::Defined;
        }
    }
    if lines[lo..=hi].iter().any(|l| names_it(l)) {
        return Fit::Called;
    }
    Fit::Mismatch {
        message: format!("`{name}` is neither defined nor called here"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "\
#include <linux/fs.h>

static void helper(int x)
{
\tdo_thing(x);
}

void send_sigio(struct fown_struct *fown, int fd, int band)
{
\tstruct task_struct *p;
\tint group = 1;

\tread_lock(&tasklist_lock);
\tdo_send_sig(p);
}

SYSCALL_DEFINE3(fcntl, unsigned int, fd, unsigned int, cmd, unsigned long, arg)
{
\tint err = -EBADF;

\treturn err;
}
";

    #[test]
    fn snippet_context_is_clamped() {
        let s = make_snippet(SRC, 2, 3, None).unwrap();
        assert_eq!(s.first_line, 1);
        assert_eq!(s.lines.len(), 5);
        assert_eq!(s.target_text(), Some(""));
        let s = make_snippet(SRC, 13, 2, None).unwrap();
        assert_eq!(s.first_line, 11);
        assert_eq!(s.target_text(), Some("\tread_lock(&tasklist_lock);"));
        assert!(make_snippet(SRC, 0, 3, None).is_none());
        assert!(make_snippet(SRC, 1000, 3, None).is_none());
    }

    #[test]
    fn defined_called_and_mismatch() {
        let lines: Vec<&str> = SRC.lines().collect();
        assert_eq!(check_fit(&lines, 13, "send_sigio"), Fit::Defined);
        assert_eq!(check_fit(&lines, 14, "do_send_sig"), Fit::Called);
        assert_eq!(check_fit(&lines, 13, "send_sigio.cold"), Fit::Defined);
        assert!(matches!(
            check_fit(&lines, 13, "kthread"),
            Fit::Mismatch { .. }
        ));
        // `helper` ended before line 13.
        assert!(matches!(
            check_fit(&lines, 13, "helper"),
            Fit::Mismatch { .. }
        ));
        assert_eq!(check_fit(&lines, 21, "__do_sys_fcntl"), Fit::Defined);
        assert_eq!(check_fit(&lines, 21, "__x64_sys_fcntl"), Fit::Defined);
        assert!(matches!(check_fit(&lines, 99, "x"), Fit::Mismatch { .. }));
    }

    #[test]
    fn identifiers_are_whole_words() {
        assert!(has_ident("a = kthread(x);", "kthread"));
        assert!(!has_ident("a = kthread_run(x);", "kthread"));
        assert!(!has_ident("a = __kthread(x);", "kthread"));
        assert_eq!(source_name("foo.isra.0"), "foo");
        assert_eq!(syscall_name("__se_sys_read"), Some("read"));
        assert_eq!(syscall_name("__sys_sendmsg"), None);
    }
}
