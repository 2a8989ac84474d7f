//! What `kresym parse` shows: the reports and titles, frames, bisection
//! steps and email headers the parser found, as readable text or JSON.

use kresym_link::{ReportMaintainers, maintainers};
use kresym_report::{Document, Frame, Line, LineKind, PcKind, Report};
use serde_json::{Value, json};

/// The report each line belongs to, if any.
fn report_of_line(doc: &Document) -> Vec<Option<usize>> {
    let mut of = vec![None; doc.lines.len()];
    for (i, r) in doc.reports.iter().enumerate() {
        for slot in of.iter_mut().take(r.lines.end).skip(r.lines.start) {
            *slot = Some(i);
        }
    }
    of
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn pc_kind(kind: PcKind) -> &'static str {
    match kind {
        PcKind::ExactPc => "exact_pc",
        PcKind::ReturnAddress => "return_address",
    }
}

/// A model value (an enum, headers) as JSON.
macro_rules! enum_name {
    ($value:expr) => {
        serde_json::to_value($value).unwrap_or(Value::Null)
    };
}

fn frame_json(doc: &Document, line: &Line, f: &Frame, report: Option<usize>) -> Value {
    json!({
        "line": line.number,
        "report": report,
        "function": f.function,
        "offset": f.offset,
        "size": f.size,
        "module": f.module,
        "build_id": f.build_id,
        "reliable": f.reliable,
        "pc_kind": pc_kind(f.pc_kind),
        "address": f.address.map(|a| format!("0x{a:x}")),
        "annotation": f.annotation.as_ref().map(|a| json!({
            "file": a.file, "line": a.line, "column": a.column,
        })),
        "prefix": lossy(doc.frame_prefix(line, f)),
        "spans": {
            "function": [f.spans.function.start, f.spans.function.end],
            "symbol": [f.spans.symbol.start, f.spans.symbol.end],
            "annotation": f.spans.annotation.as_ref().map(|r| [r.start, r.end]),
            "module": f.spans.module.as_ref().map(|r| [r.start, r.end]),
        },
    })
}

fn report_json(
    doc: &Document,
    index: usize,
    r: &Report,
    maintainers: Option<&[ReportMaintainers]>,
) -> Value {
    let lines = doc.report_lines(r);
    let frames = lines
        .iter()
        .filter(|l| matches!(l.kind, LineKind::Frame(_)))
        .count();
    json!({
        "index": index,
        "title": r.title,
        "kind": enum_name!(&r.kind),
        "first_line": lines.first().map(|l| l.number),
        "last_line": lines.last().map(|l| l.number),
        "kernel_release": r.kernel_release,
        "alt_titles": r.alt_titles,
        "type": r.crash_type,
        "corrupted": r.corrupted,
        "title_frame": r.title_function,
        "title_frame_line": r.title_frame.and_then(|i| doc.lines.get(i)).map(|l| l.number),
        "guilty_file": r.guilty_file,
        "maintainers": maintainers.map(|m| sections_of(m, index).collect::<Vec<_>>()),
        "frame_count": frames,
    })
}

/// The `MAINTAINERS` sections covering report `index`'s guilty file.
fn sections_of(
    maintainers: &[ReportMaintainers],
    index: usize,
) -> impl Iterator<Item = &maintainers::Section> {
    maintainers
        .iter()
        .filter(move |m| m.report == index)
        .flat_map(|m| &m.sections)
}

/// The people (maintainers, then reviewers) and lists of `sections`, each once.
fn people_and_lists<'a>(
    sections: impl Iterator<Item = &'a maintainers::Section>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let (mut people, mut lists): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    for section in sections {
        for person in section.maintainers.iter().chain(&section.reviewers) {
            if !people.contains(&person.as_str()) {
                people.push(person);
            }
        }
        for list in &section.lists {
            if !lists.contains(&list.as_str()) {
                lists.push(list);
            }
        }
    }
    (people, lists)
}

/// The JSON view of a document printed by `kresym parse --format json`;
/// with `maintainers` (a tree was given), each report lists the
/// `MAINTAINERS` sections of its guilty file.
pub fn to_json(doc: &Document, input: &str, maintainers: Option<&[ReportMaintainers]>) -> Value {
    let of = report_of_line(doc);
    let mut frames = Vec::new();
    let mut inline = Vec::new();
    let mut raw = Vec::new();
    for (i, line) in doc.lines.iter().enumerate() {
        match &line.kind {
            LineKind::Frame(f) => frames.push(frame_json(doc, line, f, of[i])),
            LineKind::InlineFrame(f) => inline.push(json!({
                "line": line.number,
                "report": of[i],
                "function": f.function,
                "file": f.location.file,
                "file_line": f.location.line,
                "column": f.location.column,
                "module": f.module,
            })),
            LineKind::RawAddress(a) => raw.push(json!({
                "line": line.number,
                "report": of[i],
                "address": format!("0x{:x}", a.address),
                "reliable": a.reliable,
            })),
            _ => {}
        }
    }
    let bisection = doc.bisection.as_ref().map(|b| {
        json!({
            "fixing": b.fixing,
            "start_commit": b.start_commit,
            "tests": b.tests.iter().map(|t| json!({
                "line": doc.lines.get(t.line).map(|l| l.number),
                "commit": t.commit,
                "release": t.release,
                "compiler": t.compiler,
                "kernel_signature": t.kernel_signature,
                "results": t.results,
                "verdict": t.verdict.as_ref().map(|v| enum_name!(v)),
            })).collect::<Vec<_>>(),
            "culprit": b.culprit.as_ref().map(|c| json!({
                "commit": c.commit, "subject": c.subject, "author": c.author, "date": c.date,
            })),
            "revisions_tested": b.revisions_tested,
            "crash_title": b.crash_title,
            "final_report": b.final_report,
            "final_report_commit": b.final_report_commit,
        })
    });
    json!({
        "input": input,
        "line_count": doc.lines.len(),
        "reports": doc.reports.iter().enumerate().map(|(i, r)| report_json(doc, i, r, maintainers)).collect::<Vec<_>>(),
        "frames": frames,
        "inline_frames": inline,
        "raw_addresses": raw,
        "bisection": bisection,
        "email": doc.email.as_ref().map(|e| enum_name!(e)),
        "warnings": doc.warnings.iter().map(|w| json!({"line": w.line, "message": w.message})).collect::<Vec<_>>(),
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The readable view printed by `kresym parse`; with `maintainers`, each
/// report names the maintainers and lists of its guilty file.
pub fn render_text(
    doc: &Document,
    input: &str,
    maintainers: Option<&[ReportMaintainers]>,
) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let frames = doc.frames().count();
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        o,
        "{input}: {}, {}, {}, {}",
        count(doc.lines.len(), "line"),
        count(doc.reports.len(), "report"),
        count(frames, "frame"),
        count(doc.warnings.len(), "warning"),
    );
    if let Some(e) = &doc.email {
        let _ = writeln!(o, "\nsyzbot email:");
        for (k, v) in [
            (
                "HEAD commit",
                e.head_commit.as_ref().map(|c| match &e.head_subject {
                    Some(s) => format!("{c} {s}"),
                    None => c.clone(),
                }),
            ),
            ("git tree", e.git_tree.clone()),
            ("kernel config", e.kernel_config.clone()),
            ("dashboard link", e.dashboard_link.clone()),
            ("console output", e.console_output.clone()),
            ("compiler", e.compiler.clone()),
            ("syz repro", e.syz_repro.clone()),
            ("C reproducer", e.c_repro.clone()),
        ] {
            if let Some(v) = v {
                let _ = writeln!(o, "  {k:<15} {v}");
            }
        }
    }
    if let Some(b) = &doc.bisection {
        let what = if b.fixing { "fix" } else { "cause" };
        let _ = writeln!(
            o,
            "\nbisection ({what}) from {}: {} commits tested",
            b.start_commit.as_deref().map_or("?", short),
            b.tests.len()
        );
        for t in &b.tests {
            let verdict = t.verdict.map_or("-", |v| match v {
                kresym_report::BisectVerdict::Good => "good",
                kresym_report::BisectVerdict::Bad => "bad",
                kresym_report::BisectVerdict::Skip => "skip",
            });
            let result = match t.results.as_slice() {
                [] => String::new(),
                [one] => one.clone(),
                many => {
                    let crashed = many.iter().filter(|r| r.contains("crashed")).count();
                    format!("{crashed}/{} runs crashed", many.len())
                }
            };
            let _ = writeln!(
                o,
                "  L{:<5} {} {:<8} {:<5} {}",
                t.line + 1,
                short(&t.commit),
                t.release.as_deref().unwrap_or(""),
                verdict,
                result
            );
        }
        if let Some(c) = &b.culprit {
            let _ = writeln!(
                o,
                "  culprit: {} {}{}",
                c.commit,
                c.subject.as_deref().unwrap_or(""),
                c.author
                    .as_ref()
                    .map_or(String::new(), |a| format!(" ({a})"))
            );
        }
        if let Some(n) = b.revisions_tested {
            let _ = writeln!(o, "  revisions tested: {n}");
        }
        if let Some(r) = b.final_report {
            let _ = writeln!(
                o,
                "  final report: #{} at {}",
                r + 1,
                b.final_report_commit.as_deref().unwrap_or("?")
            );
        }
    }
    let of = report_of_line(doc);
    for (i, r) in doc.reports.iter().enumerate() {
        let lines = doc.report_lines(r);
        let (first, last) = (
            lines.first().map_or(0, |l| l.number),
            lines.last().map_or(0, |l| l.number),
        );
        let kind = enum_name!(&r.kind);
        let _ = writeln!(
            o,
            "\nreport #{}: {} [{}] L{first}-L{last}{}{}",
            i + 1,
            r.title.as_deref().unwrap_or("(no title)"),
            kind.as_str().unwrap_or("?"),
            r.kernel_release
                .as_ref()
                .map_or(String::new(), |k| format!(", kernel {k}")),
            r.guilty_file
                .as_ref()
                .map_or(String::new(), |f| format!(", guilty file {f}"))
        );
        if r.title.is_some() {
            let corrupted = r
                .corrupted
                .as_ref()
                .map_or(String::new(), |why| format!(", corrupted: {why}"));
            let _ = writeln!(o, "  type {}{corrupted}", r.crash_type.name());
            if !r.alt_titles.is_empty() {
                let _ = writeln!(o, "  alt titles: {}", r.alt_titles.join(" | "));
            }
        }
        if let Some(maintainers) = maintainers
            && r.guilty_file.is_some()
        {
            let (people, lists) = people_and_lists(sections_of(maintainers, i));
            let none = |v: &[&str]| {
                if v.is_empty() {
                    "(none)".to_string()
                } else {
                    v.join(", ")
                }
            };
            let _ = writeln!(o, "  maintainers: {}", none(&people));
            let _ = writeln!(o, "  lists: {}", none(&lists));
        }
        for line in lines {
            write_frame_line(&mut o, line);
        }
    }
    let outside: Vec<&Line> = doc
        .lines
        .iter()
        .zip(&of)
        .filter(|(l, r)| r.is_none() && !matches!(l.kind, LineKind::Text))
        .map(|(l, _)| l)
        .collect();
    if !outside.is_empty() {
        let _ = writeln!(o, "\noutside reports:");
        for line in outside {
            write_frame_line(&mut o, line);
        }
    }
    if !doc.warnings.is_empty() {
        let _ = writeln!(o, "\nwarnings:");
        for w in &doc.warnings {
            let _ = writeln!(o, "  L{}: {}", w.line, w.message);
        }
    }
    o
}

fn write_frame_line(o: &mut String, line: &Line) {
    use std::fmt::Write as _;
    match &line.kind {
        LineKind::Frame(f) => {
            let mut s = format!("{}+0x{:x}/0x{:x}", f.function, f.offset, f.size);
            if let Some(m) = &f.module {
                s.push_str(&format!(" [{m}]"));
            }
            if let Some(a) = &f.annotation {
                s.push_str(&format!(" ({}:{})", a.file, a.line));
            }
            let mark = match (f.pc_kind, f.reliable) {
                (PcKind::ExactPc, _) => "pc ",
                (_, false) => "?  ",
                _ => "   ",
            };
            let _ = writeln!(o, "  L{:<6}{mark}{s}", line.number);
        }
        LineKind::InlineFrame(f) => {
            let _ = writeln!(
                o,
                "  L{:<6}   {} ({}:{}) [inline]",
                line.number, f.function, f.location.file, f.location.line
            );
        }
        LineKind::RawAddress(a) => {
            let _ = writeln!(o, "  L{:<6}   0x{:x}", line.number, a.address);
        }
        LineKind::Marker(m) => {
            let v = serde_json::to_value(m).unwrap_or(Value::Null);
            let _ = writeln!(o, "  L{:<6}-- {}", line.number, v.as_str().unwrap_or("?"));
        }
        LineKind::Text => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INPUT: &[u8] = b"[    1.0] BUG: KASAN: use-after-free in foo+0x10/0x20 [m]\n\
[    1.1] Read of size 8 at addr ffff by task x/1\n\
[    1.2] Call Trace:\n\
[    1.3]  dump_stack+0x1/0x2\n\
[    1.4]  bar inc/b.h:3 [inline]\n\
[    1.5]  foo+0x10/0x20 a/b.c:12 [m]\n\
[    1.6]  broken+0x12/\n";

    #[test]
    fn json_frames_have_the_documented_keys() {
        let doc = kresym_report::parse(INPUT);
        let v = to_json(&doc, "in.txt", None);
        let frames = v["frames"].as_array().unwrap();
        assert_eq!(frames.len(), 3);
        let f = &frames[2];
        assert_eq!(f["line"], 6);
        assert_eq!(f["function"], "foo");
        assert_eq!(f["offset"], 0x10);
        assert_eq!(f["size"], 0x20);
        assert_eq!(f["module"], "m");
        assert_eq!(f["annotation"]["file"], "a/b.c");
        assert_eq!(f["annotation"]["line"], 12);
        assert_eq!(f["reliable"], true);
        assert_eq!(f["pc_kind"], "return_address");
        assert_eq!(f["report"], 0);
        assert_eq!(
            v["reports"][0]["title"],
            "KASAN: use-after-free Read in foo"
        );
        assert_eq!(v["reports"][0]["first_line"], 1);
        // b.h is a header: syzkaller's rules blame a/b.c.
        assert_eq!(v["reports"][0]["guilty_file"], "a/b.c");
        assert_eq!(v["inline_frames"][0]["line"], 5);
        assert_eq!(v["warnings"][0]["line"], 7);
    }

    #[test]
    fn text_view_lists_reports_frames_and_warnings() {
        let doc = kresym_report::parse(INPUT);
        let text = render_text(&doc, "in.txt", None);
        assert!(text.contains(
            "report #1: KASAN: use-after-free Read in foo [kasan] L1-L7, guilty file a/b.c"
        ));
        assert!(
            text.contains("L6        foo+0x10/0x20 [m] (a/b.c:12)"),
            "{text}"
        );
        assert!(text.contains("L7: malformed frame"), "{text}");
    }
}
