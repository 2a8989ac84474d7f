//! Plain text with links: the input unchanged, each linked line followed by
//! its URLs, snippets and warnings, indented (`kresym link --format text`).

use std::fmt::Write as _;

use kresym_link::DocumentLinks;
use kresym_report::Document;

/// The input unchanged, each linked line followed by its URLs, snippets and
/// warnings, indented.
pub fn render(doc: &Document, links: &DocumentLinks) -> String {
    let mut out = String::new();
    for (index, line) in doc.lines.iter().enumerate() {
        let bytes = doc.line_bytes(line);
        out.push_str(&String::from_utf8_lossy(bytes));
        if line.terminator_len == 0 {
            out.push('\n');
        }
        for f in links.for_line(index) {
            match &f.url {
                Some(u) => {
                    let _ = writeln!(out, "    -> {u}");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    -> {}:{} (no link)",
                        f.location.file, f.location.line
                    );
                }
            }
            if let Some(s) = &f.snippet {
                for (n, hit, l) in s.numbered() {
                    let mark = if hit { '>' } else { ' ' };
                    let _ = writeln!(out, "       {mark}{n:>6} | {l}");
                }
            }
            for w in &f.warnings {
                let _ = writeln!(out, "    !! {w}");
            }
        }
        if let Some(b) = &doc.bisection
            && let Some(i) = b.tests.iter().position(|t| t.line == index)
            && let Some(t) = links.tests.iter().find(|t| t.test == i)
            && let Some(u) = &t.url
        {
            let verdict = match t.verdict {
                Some(kresym_report::BisectVerdict::Good) => "good",
                Some(kresym_report::BisectVerdict::Bad) => "bad",
                Some(kresym_report::BisectVerdict::Skip) => "skip",
                None => "unknown",
            };
            let culprit = if t.culprit { ", culprit" } else { "" };
            let _ = writeln!(out, "    -> {u} ({verdict}{culprit})");
        }
    }
    out
}
