//! Snippets from a local git checkout and from a plain source tree, and
//! path safety.

use std::path::Path;
use std::process::Command;

use kresym_link::{
    DirSource, Fit, GitSource, LinkOptions, Linker, SourceChoice, SourceError, SourceProvider,
};

const REPO: &str = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const V1: &str = "int a;\nvoid f(void)\n{\n\tg();\n}\n";
const V2: &str = "/* moved */\n\nint a;\nvoid f(void)\n{\n\th();\n}\n";

#[test]
fn git_checkout_reads_the_blob_at_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(&d.join("kernel/f.c"), V1);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "one"]);
    let first = git(d, &["rev-parse", "HEAD"]);
    write(&d.join("kernel/f.c"), V2);
    git(d, &["commit", "-q", "-am", "two"]);

    let src = GitSource::new(d).unwrap();
    assert_eq!(src.fetch(None, &first, "kernel/f.c").unwrap(), V1);
    assert_eq!(src.fetch(None, "HEAD", "kernel/f.c").unwrap(), V2);
    assert!(matches!(
        src.fetch(None, &first, "kernel/nope.c"),
        Err(SourceError::NotFound(_))
    ));
    assert!(matches!(
        src.fetch(None, &first, "../x.c"),
        Err(SourceError::UnsafePath(_))
    ));
    assert!(src.fetch(None, "--output=/tmp/x", "kernel/f.c").is_err());

    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some(first.clone()),
        snippets: true,
        source: SourceChoice::Git(d.to_path_buf()),
        context: 1,
        ..Default::default()
    })
    .unwrap();
    let doc = kresym_report::parse(" f+0x1/0x10 kernel/f.c:4\n g+0x1/0x10 kernel/f.c:4\n");
    let links = linker.link_document(&doc);
    let all: Vec<_> = links.all_links().collect();
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[0].url.as_deref(),
        Some(format!("{REPO}/tree/kernel/f.c?id={first}#n4").as_str())
    );
    let s = all[0].snippet.as_ref().unwrap();
    assert_eq!(s.target_text(), Some("\tg();"));
    assert_eq!(s.fit, Some(Fit::Defined));
    assert_eq!(all[1].snippet.as_ref().unwrap().fit, Some(Fit::Called));
}

#[test]
fn not_a_git_repo_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        snippets: true,
        source: SourceChoice::Git(dir.path().join("nope")),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn source_dir_stays_inside_the_tree() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("linux");
    write(&root.join("kernel/f.c"), V1);
    write(&outer.path().join("secret.c"), "secret\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outer.path().join("secret.c"), root.join("kernel/link.c"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("kernel/f.c"), root.join("kernel/inside.c")).unwrap();
    }
    let src = DirSource::new(&root).unwrap();
    assert_eq!(src.fetch(None, "x", "kernel/f.c").unwrap(), V1);
    assert_eq!(src.fetch(None, "x", "./kernel/f.c").unwrap(), V1);
    for bad in [
        "../secret.c",
        "kernel/../../secret.c",
        "/etc/passwd",
        "kernel/link.c",
    ] {
        let r = src.fetch(None, "x", bad);
        assert!(matches!(r, Err(SourceError::UnsafePath(_))), "{bad}: {r:?}");
    }
    #[cfg(unix)]
    assert_eq!(src.fetch(None, "x", "kernel/inside.c").unwrap(), V1);
    assert!(matches!(
        src.fetch(None, "x", "kernel/none.c"),
        Err(SourceError::NotFound(_))
    ));
    assert!(matches!(
        src.fetch(None, "x", "kernel"),
        Err(SourceError::NotFound(_))
    ));

    let linker = Linker::new(LinkOptions {
        repo: Some("upstream".into()),
        commit: Some("v6.1".into()),
        snippets: true,
        source: SourceChoice::Dir(root.clone()),
        ..Default::default()
    })
    .unwrap();
    let doc = kresym_report::parse(" f+0x1/0x10 kernel/f.c:4\n x+0x1/0x10 kernel/link.c:1\n");
    let links = linker.link_document(&doc);
    let all: Vec<_> = links.all_links().collect();
    assert!(all[0].snippet.is_some());
    assert_eq!(
        all[0].url.as_deref(),
        Some(format!("{REPO}/tree/kernel/f.c?id=v6.1#n4").as_str())
    );
    assert!(all[1].snippet.is_none());
    assert!(
        all[1].warnings[0].contains("unsafe"),
        "{:?}",
        all[1].warnings
    );
}

#[test]
fn line_past_the_end_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a/b.c"), V1);
    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("abcdef1".into()),
        snippets: true,
        source: SourceChoice::Dir(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let links = linker.link_document(&kresym_report::parse(" f+0x1/0x2 a/b.c:400\n"));
    let l = links.all_links().next().unwrap();
    assert!(l.snippet.is_none());
    assert!(l.warnings[0].contains("past the end"), "{:?}", l.warnings);
}

#[test]
fn bad_options_are_errors() {
    let e = Linker::new(LinkOptions {
        repo: Some("https://mirror.example.org/linux.git".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("--forge"));
    let e = Linker::new(LinkOptions {
        repo: Some("no-such-tree".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("unknown tree"));
    let e = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("$(rm -rf /)".into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("bad commit"));
}

#[test]
fn extra_locations_from_a_symbolizer() {
    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("abcdef1".into()),
        ..Default::default()
    })
    .unwrap();
    let doc = kresym_report::parse("Call Trace:\n tcp_add_backlog+0x476/0xce0\n");
    let extra = [(
        1,
        kresym_report::SourceLocation {
            file: "net/ipv4/tcp_ipv4.c".into(),
            line: 1759,
            column: None,
        },
    )];
    let links = linker.link_locations(&doc, &extra);
    let l = &links.for_line(1)[0];
    assert_eq!(l.span, None);
    assert_eq!(
        l.url.as_deref(),
        Some(format!("{REPO}/tree/net/ipv4/tcp_ipv4.c?id=abcdef1#n1759").as_str())
    );
    assert!(links.for_line(0).is_empty());
    let links = linker.link_locations(&doc, &[(99, extra[0].1.clone())]);
    assert!(links.warnings[0].contains("past the end"));
}

#[test]
fn warning_lines_are_linked_with_their_function() {
    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("abcdef1".into()),
        ..Default::default()
    })
    .unwrap();
    let doc = kresym_report::parse(
        "WARNING: CPU: 1 PID: 3 at mm/usercopy.c:84 usercopy_warn+0xf0/0x110 mm/usercopy.c:78\n\
         kernel BUG at mm/slab.h:420!\n",
    );
    let links = linker.link_document(&doc);
    let first = links.for_line(0);
    assert_eq!(first.len(), 2, "{first:?}");
    assert_eq!(first[0].location.line, 84);
    assert_eq!(first[0].function.as_deref(), Some("usercopy_warn"));
    assert_eq!(first[1].function.as_deref(), Some("usercopy_warn"));
    let second = links.for_line(1);
    assert_eq!(second[0].location.file, "mm/slab.h");
    assert_eq!(second[0].function, None);
    assert_eq!(
        second[0].url.as_deref(),
        Some(format!("{REPO}/tree/mm/slab.h?id=abcdef1#n420").as_str())
    );
}

#[test]
fn located_entries_carry_their_own_function() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("include/net/sock.h"),
        "static inline void sk_add_backlog(void)\n{\n\tx();\n}\n",
    );
    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("abcdef1".into()),
        snippets: true,
        source: SourceChoice::Dir(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let doc = kresym_report::parse(" tcp_add_backlog+0x476/0xce0\n");
    let loc = kresym_report::SourceLocation {
        file: "include/net/sock.h".into(),
        line: 3,
        column: None,
    };
    let with_fn = linker.link_located(
        &doc,
        &[kresym_link::Located {
            line: 0,
            location: loc.clone(),
            function: Some("sk_add_backlog".into()),
            span: None,
        }],
    );
    assert_eq!(
        with_fn.for_line(0)[0].snippet.as_ref().unwrap().fit,
        Some(Fit::Defined)
    );
    let without = linker.link_locations(&doc, &[(0, loc)]);
    assert_eq!(
        without.for_line(0)[0].function.as_deref(),
        Some("tcp_add_backlog")
    );
    assert!(matches!(
        without.for_line(0)[0].snippet.as_ref().unwrap().fit,
        Some(Fit::Mismatch { .. })
    ));
}

/// The maintainers of each report's guilty file come from the tree's
/// MAINTAINERS at the tested commit: a git checkout whose MAINTAINERS
/// changes between two commits answers for the commit asked.
#[test]
fn maintainers_of_the_guilty_file_come_from_the_tree_at_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(&d.join("net/ipv4/tcp.c"), V1);
    write(
        &d.join("MAINTAINERS"),
        "NETWORKING\nM:\tA <a@example.org>\nL:\tnetdev@example.org\nS:\tMaintained\nF:\tnet/\n\n\
         TCP\nM:\tB <b@example.org>\nS:\tMaintained\nF:\tnet/ipv4/tcp*.c\n",
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "one"]);
    let first = git(d, &["rev-parse", "HEAD"]);
    write(
        &d.join("MAINTAINERS"),
        "NETWORKING\nM:\tC <c@example.org>\nF:\tnet/\n",
    );
    git(d, &["commit", "-q", "-am", "two"]);
    // A symbolized report: lib/ is on syzkaller's ignore list.
    let report = "BUG: KASAN: use-after-free in f+0x1/0x10 lib/x.c:3\n\
                  Call Trace:\n f+0x1/0x10 lib/x.c:3\n g+0x1/0x10 net/ipv4/tcp.c:4\n";
    let doc = kresym_report::parse(report);
    assert_eq!(
        doc.reports[0].guilty_file.as_deref(),
        Some("net/ipv4/tcp.c")
    );
    for (commit, expected) in [
        (
            first.as_str(),
            vec![
                ("TCP", "B <b@example.org>"),
                ("NETWORKING", "A <a@example.org>"),
            ],
        ),
        ("HEAD", vec![("NETWORKING", "C <c@example.org>")]),
    ] {
        let linker = Linker::new(LinkOptions {
            repo: Some(REPO.into()),
            commit: Some(commit.into()),
            snippets: true,
            source: SourceChoice::Git(d.to_path_buf()),
            ..Default::default()
        })
        .unwrap();
        let links = linker.link_document(&doc);
        assert_eq!(links.maintainers.len(), 1, "{:?}", links.warnings);
        let found = &links.maintainers[0];
        assert_eq!(
            (found.report, found.guilty_file.as_str()),
            (0, "net/ipv4/tcp.c")
        );
        let got: Vec<_> = found
            .sections
            .iter()
            .map(|s| (s.name.as_str(), s.maintainers[0].as_str()))
            .collect();
        assert_eq!(got, expected, "{commit}");
    }
    // A tree without MAINTAINERS: a warning, no maintainers.
    let bare = tempfile::tempdir().unwrap();
    write(&bare.path().join("net/ipv4/tcp.c"), V1);
    let linker = Linker::new(LinkOptions {
        repo: Some(REPO.into()),
        commit: Some("v6.1".into()),
        snippets: true,
        source: SourceChoice::Dir(bare.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let links = linker.link_document(&doc);
    assert!(links.maintainers.is_empty());
    assert!(
        links.warnings.iter().any(|w| w.contains("MAINTAINERS")),
        "{:?}",
        links.warnings
    );
}
