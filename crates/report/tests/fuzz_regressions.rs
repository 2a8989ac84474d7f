//! Inputs found by the fuzzers in `fuzz/` (see the README), kept as
//! regression tests.

use kresym_report::parse;

/// `fuzz/fuzz_targets/bisection.rs`: a bisection log whose last line is its
/// `crash:` line. `crash_line` is the line after it, so it equals the line
/// count (it was documented as the `crash:` line itself); no report follows.
#[test]
fn bisection_log_ending_with_its_crash_line() {
    let log = b"bisecting cause commit starting from bef7b2a7be28638770972ab2709adf11d601c11a\n\
testing commit bef7b2a7be28638770972ab2709adf11d601c11a with gcc (GCC) 8.1.0\n\
kernel signature: 9a82\n\
crash: igio\x186WARNING: possible circular locking dependency detected\n";
    let doc = parse(&log[..]);
    assert_eq!(doc.render_unchanged(), log);
    let bisection = doc.bisection.as_ref().expect("a bisection log");
    assert_eq!(bisection.crash_line, Some(doc.lines.len()));
    assert_eq!(bisection.final_report, None);
    assert!(doc.reports.is_empty());
    // With a report after it, the report starts at `crash_line`.
    let mut longer = log.to_vec();
    longer.extend_from_slice(b"WARNING: possible circular locking dependency detected\n");
    let doc = parse(longer);
    let bisection = doc.bisection.as_ref().unwrap();
    assert_eq!(bisection.crash_line, Some(4));
    assert_eq!(doc.reports[bisection.final_report.unwrap()].lines.start, 4);
}
