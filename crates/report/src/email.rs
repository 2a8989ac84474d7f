//! syzbot email headers (`HEAD commit:`, `git tree:`, `dashboard link:`...).

use crate::{Document, EmailHeaders};

/// Parse the syzbot email headers in `doc`, if it has any.
///
/// Needs at least one of `HEAD commit:`, `git tree:` or `dashboard link:`;
/// the first occurrence of each header wins.
pub fn parse_email(doc: &Document) -> Option<EmailHeaders> {
    let mut h = EmailHeaders::default();
    let mut found = false;
    const KEYS: &[&[u8]] = &[
        b"HEAD commit:",
        b"git tree:",
        b"dashboard link:",
        b"console output:",
        b"kernel config:",
        b"compiler:",
        b"syz repro:",
        b"C reproducer:",
    ];
    for line in &doc.lines {
        let message = doc.line_message(line);
        if !KEYS.iter().any(|k| message.starts_with(k)) {
            continue;
        }
        let raw = String::from_utf8_lossy(message);
        let text = raw.trim_end_matches('\r');
        let Some((key, value)) = text.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let slot = match key.trim() {
            "HEAD commit" => {
                if h.head_commit.is_none() {
                    let (sha, subject) =
                        value.split_once(char::is_whitespace).unwrap_or((value, ""));
                    h.head_commit = Some(sha.to_string());
                    let subject = subject.trim();
                    h.head_subject = (!subject.is_empty()).then(|| subject.to_string());
                    found = true;
                }
                continue;
            }
            "git tree" => {
                found = true;
                &mut h.git_tree
            }
            "dashboard link" => {
                found = true;
                &mut h.dashboard_link
            }
            "console output" => &mut h.console_output,
            "kernel config" => &mut h.kernel_config,
            "compiler" => &mut h.compiler,
            "syz repro" => &mut h.syz_repro,
            "C reproducer" => &mut h.c_repro,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }
    found.then_some(h)
}

#[cfg(test)]
mod tests {
    #[test]
    fn headers() {
        let doc = crate::parse(
            "Hello,\r\n\r\nsyzbot found the following issue on:\r\n\r\nHEAD commit:    3b07ec4c Merge tag 'x'\r\ngit tree:       upstream\r\nconsole output: https://syzkaller.appspot.com/x/log.txt?x=1\r\nkernel config:  https://syzkaller.appspot.com/x/.config?x=2\r\ndashboard link: https://syzkaller.appspot.com/bug?extid=3\r\ncompiler:       gcc (GCC) 10.1.0-syz 20200507\r\nC reproducer:   https://syzkaller.appspot.com/x/repro.c?x=4\r\n",
        );
        let h = doc.email.expect("email");
        assert_eq!(h.head_commit.as_deref(), Some("3b07ec4c"));
        assert_eq!(h.head_subject.as_deref(), Some("Merge tag 'x'"));
        assert_eq!(h.git_tree.as_deref(), Some("upstream"));
        assert_eq!(
            h.kernel_config.as_deref(),
            Some("https://syzkaller.appspot.com/x/.config?x=2")
        );
        assert_eq!(
            h.dashboard_link.as_deref(),
            Some("https://syzkaller.appspot.com/bug?extid=3")
        );
        assert_eq!(h.compiler.as_deref(), Some("gcc (GCC) 10.1.0-syz 20200507"));
        assert_eq!(
            h.c_repro.as_deref(),
            Some("https://syzkaller.appspot.com/x/repro.c?x=4")
        );
        assert!(h.syz_repro.is_none());
    }
}
