//! Conformance over the shared corpus (`../shared/corpus`, beside the
//! checkout): round trip, syzkaller's frame pattern as an oracle, titles,
//! guilty files.
//! Skipped, with a message, when the corpus is absent; under CI, failed
//! (see `kresym_test_support`).

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::{oracle, oracle_doc, split_test_file};
use kresym_report::parse;

mod common;

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    kresym_test_support::require(dir.is_dir(), &format!("the corpus at {}", dir.display()))
        .then_some(dir)
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_file_round_trips_and_matches_syzkaller_frames() {
    let Some(dir) = corpus() else { return };
    let all = files(&dir);
    assert!(!all.is_empty());
    let (mut frames, mut matched, mut failures) = (0, 0, Vec::new());
    for path in &all {
        let text = fs::read(path).unwrap();
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let doc = std::panic::catch_unwind(|| parse(text.clone()))
            .unwrap_or_else(|_| panic!("parser panicked on {name}"));
        assert!(doc.render_unchanged() == text, "{name} does not round-trip");
        let mut start = 0;
        for line in &doc.lines {
            assert_eq!(line.range.start, start, "{name}: lines do not tile");
            start = line.range.end;
        }
        assert_eq!(start, text.len(), "{name}: lines do not cover the input");
        let (f, m, fail) = oracle(&text, &name);
        frames += f;
        matched += m;
        failures.extend(fail);
    }
    // Written to stderr directly so that it shows without --nocapture.
    let _ = writeln!(
        std::io::stderr(),
        "corpus: {} files, {frames} frames found by kresym, {matched} lines found by syzkaller's pattern, {} disagreements",
        all.len(),
        failures.len()
    );
    for f in failures.iter().take(30) {
        println!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{} lines syzkaller finds are not frames",
        failures.len()
    );
    assert!(matched > 30_000, "the corpus should hold many frames");
}

#[test]
fn oracle_can_fail() {
    // A line the pattern finds must be a frame with the same name, offset
    // and size: a parser that misses it, or reads it wrong, fails.
    let (_, matched, failures) = oracle(b" foo+0x1/0x2\n", "ok");
    assert_eq!((matched, failures.len()), (1, 0));
    let (_, matched, failures) = oracle(b" foo+0x3/0x2\n", "offset > size");
    assert_eq!(
        (matched, failures.len()),
        (1, 0),
        "offset > size must be a warning"
    );

    let mut missed = parse(&b" foo+0x1/0x2\n"[..]);
    missed.lines[0].kind = kresym_report::LineKind::Text;
    assert_eq!(oracle_doc(&missed, "missed").2.len(), 1);

    let mut misread = parse(&b" foo+0x1/0x2\n"[..]);
    if let kresym_report::LineKind::Frame(f) = &mut misread.lines[0].kind {
        f.offset = 2;
    }
    assert_eq!(oracle_doc(&misread, "misread").2.len(), 1);
}

/// Agreement with syzkaller on one header: files that carry it, and
/// files where kresym says the same.
#[derive(Default)]
struct Agreement {
    carried: usize,
    equal: usize,
    misses: Vec<String>,
}

impl Agreement {
    fn check(&mut self, name: &str, carried: bool, want: &str, got: &str) {
        if !carried {
            return;
        }
        self.carried += 1;
        if want == got {
            self.equal += 1;
        } else {
            self.misses
                .push(format!("{name}: want {want:?}, got {got:?}"));
        }
    }

    fn percent(&self) -> f64 {
        100.0 * self.equal as f64 / self.carried.max(1) as f64
    }

    fn line(&self, what: &str) -> String {
        format!(
            "{what} {}/{} ({:.1}%)",
            self.equal,
            self.carried,
            self.percent()
        )
    }
}

#[test]
fn titles_and_classification_match_syzkaller() {
    let Some(dir) = corpus() else { return };
    let (mut negatives, mut quiet_negatives) = (0, 0);
    let [mut title, mut alt, mut kind, mut corrupted, mut frame] =
        std::array::from_fn(|_| Agreement::default());
    for path in files(&dir.join("syzkaller-report")) {
        let text = fs::read(&path).unwrap();
        let (headers, log) = split_test_file(&text);
        let name = path.display().to_string();
        let values = |key: &str| -> Vec<String> {
            headers
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .collect()
        };
        // No TITLE header (or an empty one): syzkaller finds no report.
        let want_title = values("TITLE").concat();
        let doc = parse(log.to_vec());
        let report = doc.reports.iter().find(|r| r.title.is_some());
        if want_title.is_empty() {
            negatives += 1;
            quiet_negatives += usize::from(report.is_none());
            continue;
        }
        let got_title = report.and_then(|r| r.title.clone()).unwrap_or_default();
        title.check(&name, true, &want_title, &got_title);
        let mut want_alt = values("ALT");
        want_alt.sort();
        let mut got_alt = report.map(|r| r.alt_titles.clone()).unwrap_or_default();
        got_alt.sort();
        alt.check(
            &name,
            !want_alt.is_empty(),
            &want_alt.join(" | "),
            &got_alt.join(" | "),
        );
        let want_type = values("TYPE").concat();
        let got_type = report.map_or("UNKNOWN", |r| r.crash_type.name());
        kind.check(&name, !want_type.is_empty(), &want_type, got_type);
        let want_corrupted = values("CORRUPTED").concat() == "Y";
        let got_corrupted = report.and_then(|r| r.corrupted.clone());
        corrupted.check(
            &name,
            !values("CORRUPTED").is_empty(),
            if want_corrupted { "Y" } else { "N" },
            // The reason is kresym's own (syzkaller's tests only say Y).
            if got_corrupted.is_some() { "Y" } else { "N" },
        );
        let want_frame = values("FRAME").concat();
        let got_frame = report
            .and_then(|r| r.title_function.clone())
            .unwrap_or_default();
        frame.check(&name, !want_frame.is_empty(), &want_frame, &got_frame);
    }
    let _ = writeln!(
        std::io::stderr(),
        "titles: {}; {}; {}; {}; {}; negatives without a title: {quiet_negatives}/{negatives} (misses: --nocapture)",
        title.line("exact"),
        alt.line("ALT"),
        kind.line("TYPE"),
        corrupted.line("CORRUPTED"),
        frame.line("FRAME"),
    );
    for (what, a) in [
        ("title", &title),
        ("alt", &alt),
        ("type", &kind),
        ("corrupted", &corrupted),
        ("frame", &frame),
    ] {
        for m in &a.misses {
            println!("  {what} {m}");
        }
    }
    assert!(
        title.carried > 700,
        "the corpus should hold the title tests"
    );
    assert!(
        title.percent() >= 97.0,
        "title match fell to {:.1}%",
        title.percent()
    );
    for (what, a) in [
        ("ALT", &alt),
        ("TYPE", &kind),
        ("CORRUPTED", &corrupted),
        ("FRAME", &frame),
    ] {
        assert!(
            a.percent() >= 95.0,
            "{what} match fell to {:.1}%",
            a.percent()
        );
    }
}

#[test]
fn reports_are_ordered_and_disjoint_so_report_of_finds_each_line() {
    let Some(dir) = corpus() else { return };
    let (mut lines, mut in_reports) = (0, 0);
    for path in files(&dir) {
        let doc = parse(fs::read(&path).unwrap());
        for pair in doc.reports.windows(2) {
            assert!(
                pair[0].lines.end <= pair[1].lines.start,
                "{}: reports overlap or are out of order",
                path.display()
            );
        }
        for line in 0..doc.lines.len() {
            let scanned = doc.reports.iter().position(|r| r.lines.contains(&line));
            assert_eq!(
                doc.report_of(line),
                scanned,
                "{} line {line}",
                path.display()
            );
            lines += 1;
            in_reports += usize::from(scanned.is_some());
        }
    }
    assert!(
        in_reports > 10_000 && lines > in_reports,
        "{in_reports} of {lines}"
    );
}

#[test]
fn guilty_files_match_syzkaller() {
    let Some(dir) = corpus() else { return };
    let (mut total, mut exact) = (0, 0);
    let mut misses = Vec::new();
    for path in files(&dir.join("syzkaller-guilty")) {
        let text = fs::read(&path).unwrap();
        let (headers, log) = split_test_file(&text);
        let Some((_, expected)) = headers.iter().find(|(k, _)| k == "FILE") else {
            continue;
        };
        total += 1;
        let doc = parse(log.to_vec());
        // An empty FILE: syzkaller names no file.
        let got = doc.reports.first().and_then(|r| r.guilty_file.clone());
        if got.as_deref().unwrap_or_default() == expected.as_str() {
            exact += 1;
        } else {
            misses.push(format!(
                "{}: want {expected:?}, got {got:?}",
                path.display()
            ));
        }
    }
    let pct = 100.0 * exact as f64 / total.max(1) as f64;
    let _ = writeln!(
        std::io::stderr(),
        "guilty files: {exact}/{total} exact ({pct:.1}%)"
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(total >= 60, "the corpus should hold the guilty tests");
    assert!(pct >= 95.0, "guilty file match fell to {pct:.1}%");
}
