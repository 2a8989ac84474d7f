//! syzbot bisection logs: lines built from the shapes the bisection parser
//! looks for (with fuzzed commits, numbers and text) mixed with raw bytes,
//! through the same parser; the bisection's indexes must point inside the
//! document.
#![no_main]

use kresym_report::parse;
use libfuzzer_sys::fuzz_target;

/// Line shapes of a bisection log; `{}` takes fuzzed bytes.
const SHAPES: &[&str] = &[
    "bisecting cause commit starting from {}",
    "bisecting fixing commit starting from {}",
    "testing commit {} with gcc (GCC) 8.1.0",
    "testing commit {}",
    "testing release v{}",
    "compiler: {}",
    "kernel signature: {}",
    "all runs: {}",
    "run #{}: crashed: possible deadlock in send_sigio",
    "# git bisect good {}",
    "# git bisect bad {}",
    "# git bisect skip {}",
    "{} is the first bad commit",
    "commit {}",
    "Author: {}",
    "Date:   {}",
    "    {}",
    "",
    "revisions tested: {}, total time: 3h",
    "first bad commit: {}",
    "crash: {}",
    "WARNING: possible circular locking dependency detected{}",
    "BUG: KASAN: use-after-free in {}",
    " {}+0x10/0x20",
    "{}",
];

fuzz_target!(|data: &[u8]| {
    // Each line: a shape byte, a length byte, then that many fuzzed bytes.
    let mut log = Vec::new();
    let mut rest = data;
    while let [shape, len, tail @ ..] = rest {
        let len = (*len as usize).min(tail.len());
        let (fill, tail) = tail.split_at(len);
        let fill = if fill.first() == Some(&b'#') {
            // A real-looking sha, so the regexes match.
            b"7bc3e6e55acf065500a24621f3b313e7e5998acf".as_slice()
        } else {
            fill
        };
        let shape = SHAPES[*shape as usize % SHAPES.len()].as_bytes();
        let at = shape.windows(2).position(|w| w == b"{}");
        match at {
            Some(at) => {
                log.extend_from_slice(&shape[..at]);
                log.extend_from_slice(fill);
                log.extend_from_slice(&shape[at + 2..]);
            }
            None => log.extend_from_slice(shape),
        }
        log.push(b'\n');
        rest = tail;
    }
    log.extend_from_slice(rest);
    let doc = parse(log.clone());
    assert_eq!(doc.render_unchanged(), log);
    if let Some(b) = &doc.bisection {
        for test in &b.tests {
            assert!(test.line < doc.lines.len());
        }
        if let Some(line) = b.crash_line {
            assert!(line <= doc.lines.len());
        }
        if let Some(report) = b.final_report {
            assert!(doc.reports[report].lines.start >= b.crash_line.unwrap());
        }
    }
});
