//! Committed fixtures: a few of syzkaller's console logs (Apache-2.0, see
//! `fixtures/syzkaller/SYZKALLER-LICENSE`) and synthetic inputs. These run
//! without the shared corpus.

use std::fs;
use std::path::Path;

use common::{oracle, split_test_file};
use kresym_report::{LineKind, PcKind, ReportKind, parse};

mod common;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn syzkaller_fixtures_round_trip_match_frames_and_titles() {
    // Titles kresym does not reproduce yet, kept for their frames.
    const TITLE_KNOWN_DIFFERENT: &[&str] = &["338.txt", "guilty-0.txt"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syzkaller");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".txt") {
            continue;
        }
        let text = fs::read(entry.path()).unwrap();
        let doc = parse(text.clone());
        assert!(doc.render_unchanged() == text, "{name}");
        let (frames, matched, failures) = oracle(&text, &name);
        assert!(failures.is_empty(), "{failures:#?}");
        assert!(frames >= matched && matched > 0, "{name}");
        let (headers, log) = split_test_file(&text);
        let title = headers
            .iter()
            .find(|(k, _)| k == "TITLE")
            .map(|(_, v)| v.as_str());
        if let Some(title) = title {
            if !TITLE_KNOWN_DIFFERENT.contains(&name.as_str()) {
                let doc = parse(log.to_vec());
                let got = doc.reports.iter().find_map(|r| r.title.clone());
                assert_eq!(got.as_deref(), Some(title), "{name}");
            }
        }
        checked += 1;
    }
    assert!(checked >= 15);
}

#[test]
fn module_frames() {
    let doc = parse(fixture("syzkaller/338.txt"));
    let f = doc
        .frames()
        .map(|(_, f)| f)
        .find(|f| f.module.is_some())
        .expect("a module frame");
    assert_eq!(f.module.as_deref(), Some("test_kasan"));
}

#[test]
fn arm64_exact_pc_and_link_register() {
    let doc = parse(fixture("syzkaller/525.txt"));
    let pc = doc.frames().find(|(_, f)| f.pc_kind == PcKind::ExactPc);
    assert!(pc.is_some());
}

#[test]
fn synthetic_email_with_crlf_prefixes_and_invalid_utf8() {
    let text = fixture("synthetic-email.txt");
    let doc = parse(text.clone());
    assert_eq!(doc.render_unchanged(), text);
    let email = doc.email.as_ref().expect("email headers");
    assert_eq!(email.head_commit.as_deref(), Some("0123abcd4567"));
    assert_eq!(email.git_tree.as_deref(), Some("net-next"));
    assert_eq!(
        email.dashboard_link.as_deref(),
        Some("https://syzkaller.appspot.com/bug?extid=0000")
    );
    assert!(doc.lines.iter().all(|l| l.terminator_len != 1), "CRLF kept");
    assert_eq!(doc.reports.len(), 2);
    let r = &doc.reports[0];
    assert_eq!(r.kind, ReportKind::GeneralProtectionFault);
    assert_eq!(
        r.title.as_deref(),
        Some("general protection fault in example_gpf")
    );
    assert_eq!(r.kernel_release.as_deref(), Some("6.1.0-syzkaller"));
    let r = &doc.reports[1];
    assert_eq!(r.kind, ReportKind::Warning);
    assert_eq!(r.title.as_deref(), Some("WARNING in example_warn"));
    // The frame after the invalid byte, with a `<4>` level and caller id.
    let (line, f) = doc
        .frames()
        .find(|(_, f)| f.function == "example_caller.isra.0")
        .expect("frame");
    assert_eq!(
        doc.frame_prefix(line, f),
        b"<4>[   12.345680][ T1234]  \xff ".as_slice()
    );
    assert!(line.console_prefix_len > 0);
    assert!(!doc.warnings.is_empty(), "the truncated frame warns");
    let inline = doc
        .lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::InlineFrame(_)))
        .count();
    assert_eq!(inline, 1);
}
