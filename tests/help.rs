//! What kresym says about itself: `--help` of every command (examples and
//! exit statuses, readable on an 80-column terminal), shell completions,
//! manual pages, and the summary lines' plurals.

use std::process::Output;

mod common;
use common::{kresym, samples};

fn run(args: &[&str]) -> Output {
    // clap wraps help to $COLUMNS: the narrowest usual terminal.
    kresym().args(args).env("COLUMNS", "80").output().unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "kresym {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The commands `kresym --help` lists (but `help`).
fn commands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .split("\n\n")
        .next()
        .unwrap();
    let commands: Vec<String> = list
        .lines()
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .filter(|name| name != "help")
        .collect();
    for expected in ["symbolize", "verify", "link", "parse", "index", "lookup"] {
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
    }
    commands
}

#[test]
fn every_help_has_examples_that_fit_and_exit_statuses() {
    let mut helps = vec![(String::from("kresym"), stdout(&["--help"]))];
    for command in commands() {
        helps.push((command.clone(), stdout(&[&command, "--help"])));
    }
    for (command, help) in helps {
        assert!(help.contains("\nExamples:\n"), "{command}: no examples");
        assert!(
            help.contains("\nExit status: 0 "),
            "{command}: no exit status"
        );
        let examples = help.split("\nExamples:\n").nth(1).unwrap();
        let mut continued = false;
        for line in examples.split("\n\n").next().unwrap().lines() {
            // Each example is a command line; a long one continues after
            // `\` or `|`. Anything else is a line clap had to wrap.
            assert!(
                continued || line.contains("kresym") || line.ends_with('\\'),
                "{command}: example line {line:?} is cut"
            );
            assert!(line.len() <= 80, "{command}: {line:?} is too wide");
            continued = line.ends_with('\\') || line.ends_with('|');
        }
    }
}

/// An unreadable input among others ends the run with the status every
/// `Exit status:` paragraph of the command's help gives it. Before, the
/// closing paragraphs of `parse --help` and `link --help` said 2 where the
/// commands exit 1 (and the lines above them said 1).
#[test]
fn an_unreadable_input_exits_as_the_help_says() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let missing = missing.to_str().unwrap();
    let report = samples().join("reports/kasan-tcp.txt");
    let report = report.to_str().unwrap();
    let link = ["link", "--repo", "upstream", "--commit", "v6.1"];
    for args in [&["parse"][..], &link[..]] {
        let command = args[0];
        let output = run(&[args, &[report, missing]].concat());
        assert_eq!(output.status.code(), Some(1), "{command}");
        let help = stdout(&[command, "--help"]);
        let paragraphs: Vec<String> = help
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| p.starts_with("Exit status:"))
            .collect();
        assert_eq!(paragraphs.len(), 2, "{command}: {paragraphs:?}");
        for paragraph in paragraphs {
            assert!(
                paragraph.contains(", 1 when an input could not be"),
                "{command}: {paragraph}"
            );
            assert!(!paragraph.contains("unreadable"), "{command}: {paragraph}");
            assert!(
                !paragraph.contains("input that cannot be read"),
                "{command}: {paragraph}"
            );
        }
    }
}

#[test]
fn completions_are_generated_for_each_shell() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&["completions", shell]);
        for command in &commands {
            assert!(script.contains(command.as_str()), "{shell}: no {command}");
        }
        assert!(script.contains("kaslr-offset"), "{shell}: no lookup flags");
    }
    if kresym_test_support::tool("bash") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kresym.bash");
        std::fs::write(&path, stdout(&["completions", "bash"])).unwrap();
        let checked = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "{}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn manual_pages_are_generated_for_every_command() {
    let page = stdout(&["man"]);
    assert!(page.contains(".TH kresym 1"), "{page}");
    assert!(page.contains("kresym\\-lookup(1)"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    stdout(&["man", "--out-dir", out.to_str().unwrap()]);
    for command in commands() {
        let path = out.join(format!("kresym-{command}.1"));
        let page =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(page.contains(&format!(".TH kresym-{command} 1")), "{page}");
        assert!(page.contains("Exit status"), "{command}: {page}");
    }
    assert!(out.join("kresym.1").is_file());
}

#[test]
fn summaries_say_1_report_and_1_frame() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.txt");
    std::fs::write(
        &one,
        "WARNING: CPU: 0 PID: 1 at kernel/kthread.c:53 kthread+0x10/0x30\n",
    )
    .unwrap();
    let parsed = stdout(&["parse", one.to_str().unwrap()]);
    let first = parsed.lines().next().unwrap();
    assert!(
        first.ends_with(": 1 line, 1 report, 1 frame, 0 warnings"),
        "{first}"
    );
    let vmlinux = samples().join("build/vmlinux-dwarf5");
    let out = run(&[
        "symbolize",
        "--no-index",
        "--vmlinux",
        vmlinux.to_str().unwrap(),
        one.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("kresym: 1 input, 1 report, 1 frame: 1 resolved"),
        "{stderr}"
    );
}
