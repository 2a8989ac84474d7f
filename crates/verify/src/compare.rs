//! Comparing a block's levels with DWARF's: pairing them (by position, by
//! name, or along the longest common subsequence) and finding each pair's
//! most fundamental problem.

use crate::verdict::{Level, LevelCheck, LevelStatus, Problem, VerdictKind};

/// What the report says in one block: inline levels with their line
/// numbers, innermost first, then the frame line's annotation.
pub(crate) struct Found {
    pub(crate) inline: Vec<(usize, Level)>,
    pub(crate) outer: Option<Level>,
    pub(crate) frame_line: usize,
}

/// What DWARF says: inline levels innermost first, then the function's own.
pub(crate) struct Expected {
    pub(crate) inline: Vec<Level>,
    pub(crate) outer: Option<Level>,
}

/// How the report's inline levels pair with DWARF's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Same names in the same order: paired by position.
    Same,
    /// Same names in another order: paired by name.
    Reordered,
    /// As many levels, other names: paired by position.
    Renamed,
    /// Another number of levels: paired along the longest common subsequence.
    Different,
}

/// A report level paired with a DWARF level (indexes; `None` when one side lacks it).
type Pair = (Option<usize>, Option<usize>);

/// Pairs of (report index, DWARF index), in display order.
fn align(found: &[&str], expected: &[&str]) -> (Shape, Vec<Pair>) {
    if found.len() == expected.len() {
        let positional = (0..found.len()).map(|i| (Some(i), Some(i))).collect();
        if found == expected {
            return (Shape::Same, positional);
        }
        let mut a = found.to_vec();
        let mut b = expected.to_vec();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return (Shape::Renamed, positional);
        }
        let mut used = vec![false; expected.len()];
        let pairs = found
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let j = (0..expected.len())
                    .find(|&j| !used[j] && expected[j] == *name)
                    .unwrap_or(i);
                used[j] = true;
                (Some(i), Some(j))
            })
            .collect();
        return (Shape::Reordered, pairs);
    }
    // Longest common subsequence of names.
    let (n, m) = (found.len(), expected.len());
    let mut table = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if found[i] == expected[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let mut pairs = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && found[i] == expected[j] {
            pairs.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
            pairs.push((None, Some(j)));
            j += 1;
        } else {
            pairs.push((Some(i), None));
            i += 1;
        }
    }
    (Shape::Different, pairs)
}

/// Same file, allowing one side to carry leading directories the other
/// lacks (a build directory not stripped).
fn same_file(a: &str, b: &str) -> bool {
    let a = a.strip_prefix("./").unwrap_or(a);
    let b = b.strip_prefix("./").unwrap_or(b);
    a == b
        || (a.len() > b.len() && a.ends_with(b) && a.as_bytes()[a.len() - b.len() - 1] == b'/')
        || (b.len() > a.len() && b.ends_with(a) && b.as_bytes()[b.len() - a.len() - 1] == b'/')
}

/// Compare one paired level; `None` when it agrees.
fn compare_level(
    found: &Level,
    expected: &Level,
    compare_names: bool,
) -> Option<(LevelStatus, VerdictKind)> {
    if compare_names && found.name() != expected.name() {
        Some((LevelStatus::WrongName, VerdictKind::InlineName))
    } else if !same_file(&found.file, &expected.file) {
        Some((LevelStatus::WrongFile, VerdictKind::WrongFile))
    } else if found.line != expected.line {
        Some((LevelStatus::WrongLine, VerdictKind::WrongLine))
    } else {
        None
    }
}

/// The problems of a block, most fundamental first, and every level
/// with what the report and DWARF say.
pub(crate) fn compare(found: &Found, expected: &Expected) -> (Vec<Problem>, Vec<LevelCheck>) {
    let found_names: Vec<&str> = found.inline.iter().map(|(_, l)| l.name()).collect();
    let expected_names: Vec<&str> = expected.inline.iter().map(Level::name).collect();
    let (shape, pairs) = align(&found_names, &expected_names);
    let mut problems = Vec::new();
    let mut levels = Vec::new();
    if shape == Shape::Reordered {
        problems.push(Problem {
            kind: VerdictKind::InlineOrder,
            line: found.frame_line,
            message: format!(
                "{}: report says {}; DWARF says {}",
                VerdictKind::InlineOrder.describe(),
                found_names.join(", "),
                expected_names.join(", ")
            ),
            found: None,
            expected: None,
        });
    }
    for (fi, ei) in pairs {
        let found_level = fi.map(|i| &found.inline[i]);
        let expected_level = ei.map(|j| &expected.inline[j]);
        let line = found_level.map(|(n, _)| *n);
        let (status, problem) = match (found_level, expected_level) {
            (Some((n, f)), None) => (
                LevelStatus::Extra,
                Some(Problem {
                    kind: VerdictKind::ExtraInline,
                    line: *n,
                    message: format!(
                        "{}: L{n} {} [inline] is not in DWARF",
                        VerdictKind::ExtraInline.describe(),
                        f.inline_text()
                    ),
                    found: Some(f.clone()),
                    expected: None,
                }),
            ),
            (None, Some(e)) => (
                LevelStatus::Missing,
                Some(Problem {
                    kind: VerdictKind::MissingInline,
                    line: found.frame_line,
                    message: format!(
                        "{}: DWARF has {} [inline]",
                        VerdictKind::MissingInline.describe(),
                        e.inline_text()
                    ),
                    found: None,
                    expected: Some(e.clone()),
                }),
            ),
            (Some((n, f)), Some(e)) => {
                if shape == Shape::Reordered && fi != ei {
                    (LevelStatus::Moved, None)
                } else {
                    match compare_level(f, e, shape == Shape::Renamed) {
                        None => (LevelStatus::Ok, None),
                        Some((status, kind)) => (
                            status,
                            Some(level_problem(kind, *n, Some(f), Some(e), true)),
                        ),
                    }
                }
            }
            (None, None) => continue,
        };
        problems.extend(problem);
        levels.push(LevelCheck {
            line,
            inline: true,
            status,
            found: found_level.map(|(_, l)| l.clone()),
            expected: expected_level.cloned(),
        });
    }
    // The frame line itself.
    let outer = match (&found.outer, &expected.outer) {
        (Some(f), Some(e)) => compare_level(f, e, false),
        (None, None) => None,
        _ => Some((LevelStatus::WrongFile, VerdictKind::WrongFile)),
    };
    let status = match outer {
        None => LevelStatus::Ok,
        Some((status, kind)) => {
            problems.push(level_problem(
                kind,
                found.frame_line,
                found.outer.as_ref(),
                expected.outer.as_ref(),
                false,
            ));
            status
        }
    };
    levels.push(LevelCheck {
        line: Some(found.frame_line),
        inline: false,
        status,
        found: found.outer.clone(),
        expected: expected.outer.clone(),
    });
    problems.sort_by_key(|p| p.kind);
    (problems, levels)
}

/// A wrong name, file or line at one level.
fn level_problem(
    kind: VerdictKind,
    line: usize,
    found: Option<&Level>,
    expected: Option<&Level>,
    inline: bool,
) -> Problem {
    let say = |level: Option<&Level>, what: &str| match (level, kind) {
        (None, _) => format!("{what} nothing"),
        (Some(l), VerdictKind::InlineName) => format!("{what} {}", l.name()),
        (Some(l), _) => format!("{what} {}", l.location()),
    };
    let at = if inline {
        let name = found.or(expected).map_or("??", Level::name);
        format!(" at L{line} ({name} [inline])")
    } else {
        String::new()
    };
    Problem {
        kind,
        line,
        message: format!(
            "{}{at}: {}, {}",
            kind.describe(),
            say(found, "report says"),
            say(expected, "DWARF says")
        ),
        found: found.cloned(),
        expected: expected.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(function: &str, file: &str, line: u32) -> Level {
        Level {
            function: Some(function.to_owned()),
            file: file.to_owned(),
            line,
        }
    }

    fn found(inline: &[Level], outer: Level) -> Found {
        Found {
            inline: inline
                .iter()
                .enumerate()
                .map(|(i, l)| (10 + i, l.clone()))
                .collect(),
            outer: Some(outer),
            frame_line: 10 + inline.len(),
        }
    }

    fn expected(inline: &[Level], outer: Level) -> Expected {
        Expected {
            inline: inline.to_vec(),
            outer: Some(outer),
        }
    }

    fn chain() -> Vec<Level> {
        vec![
            level("a", "a.h", 1),
            level("b", "b.h", 2),
            level("c", "c.h", 3),
        ]
    }

    fn kinds(problems: &[Problem]) -> Vec<VerdictKind> {
        problems.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn identical_blocks_are_ok() {
        let outer = level("f", "f.c", 9);
        let (problems, levels) =
            compare(&found(&chain(), outer.clone()), &expected(&chain(), outer));
        assert!(problems.is_empty());
        assert_eq!(levels.len(), 4);
        assert!(levels.iter().all(|l| l.status == LevelStatus::Ok));
    }

    #[test]
    fn one_missing_level_does_not_shift_the_others() {
        let outer = level("f", "f.c", 9);
        let mut short = chain();
        short.remove(1);
        let (problems, levels) = compare(&found(&short, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::MissingInline]);
        assert_eq!(problems[0].expected, Some(level("b", "b.h", 2)));
        let statuses: Vec<_> = levels.iter().map(|l| l.status).collect();
        assert_eq!(
            statuses,
            [
                LevelStatus::Ok,
                LevelStatus::Missing,
                LevelStatus::Ok,
                LevelStatus::Ok
            ]
        );
    }

    #[test]
    fn extra_level_and_wrong_line_are_both_kept_most_fundamental_first() {
        let outer = level("f", "f.c", 9);
        let mut long = chain();
        long.insert(0, level("x", "x.h", 7));
        let (problems, _) = compare(
            &found(&long, level("f", "f.c", 8)),
            &expected(&chain(), outer),
        );
        assert_eq!(
            kinds(&problems),
            [VerdictKind::ExtraInline, VerdictKind::WrongLine]
        );
        assert_eq!(problems[0].line, 10);
        assert_eq!(problems[1].expected.as_ref().map(|l| l.line), Some(9));
    }

    #[test]
    fn reordered_levels_are_out_of_order_not_renamed() {
        let outer = level("f", "f.c", 9);
        let mut swapped = chain();
        swapped.swap(0, 2);
        let (problems, _) = compare(&found(&swapped, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::InlineOrder]);
        assert!(
            problems[0]
                .message
                .contains("report says c, b, a; DWARF says a, b, c")
        );
    }

    #[test]
    fn renamed_level_is_a_name_problem() {
        let outer = level("f", "f.c", 9);
        let mut renamed = chain();
        renamed[1].function = Some("z".to_owned());
        let (problems, _) = compare(&found(&renamed, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::InlineName]);
        assert_eq!(problems[0].line, 11);
        assert_eq!(
            problems[0].message,
            "inline function name differs at L11 (z [inline]): report says z, DWARF says b"
        );
    }

    #[test]
    fn wrong_file_wins_over_wrong_line() {
        let (problems, _) = compare(
            &found(&[], level("kthread", "kernel/kthread.c", 55)),
            &expected(&[], level("kthread", "drivers/block/aoe/aoecmd.c", 88)),
        );
        assert_eq!(kinds(&problems), [VerdictKind::WrongFile]);
        assert_eq!(
            problems[0].message,
            "wrong file: report says kernel/kthread.c:55, DWARF says drivers/block/aoe/aoecmd.c:88"
        );
    }

    #[test]
    fn build_directories_do_not_make_files_differ() {
        assert!(same_file(
            "net/ipv4/tcp_ipv4.c",
            "/build/linux/net/ipv4/tcp_ipv4.c"
        ));
        assert!(same_file("./net/ipv4/tcp_ipv4.c", "net/ipv4/tcp_ipv4.c"));
        assert!(!same_file("net/ipv4/tcp_ipv4.c", "ipv4/tcp_ipv4.c.orig"));
        assert!(!same_file("kernel/kthread.c", "drivers/block/aoe/aoecmd.c"));
        assert!(!same_file("a/xkthread.c", "kthread.c"));
    }

    #[test]
    fn align_handles_empty_sides() {
        let (shape, pairs) = align(&[], &["a", "b"]);
        assert_eq!(shape, Shape::Different);
        assert_eq!(pairs, [(None, Some(0)), (None, Some(1))]);
        let (_, pairs) = align(&["a"], &[]);
        assert_eq!(pairs, [(Some(0), None)]);
    }
}
