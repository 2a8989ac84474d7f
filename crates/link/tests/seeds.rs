//! End to end on the seeds: parse, link, check URLs built by hand.

use std::path::PathBuf;

use kresym_link::{CommitSource, Fit, LinkOptions, Linker, SourceChoice};
use kresym_report::BisectVerdict;

const KORG: &str = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
const CULPRIT: &str = "7bc3e6e55acf065500a24621f3b313e7e5998acf";

fn seeds() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/seeds")
}

fn seed(name: &str) -> Option<kresym_report::Document> {
    let path = seeds().join(name);
    match std::fs::read(&path) {
        Ok(bytes) => Some(kresym_report::parse(bytes)),
        Err(e) => {
            kresym_test_support::require(false, &format!("seed {} ({e})", path.display()));
            None
        }
    }
}

fn linker(commit: Option<&str>) -> Linker {
    Linker::new(LinkOptions {
        repo: Some(KORG.into()),
        commit: commit.map(str::to_string),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn send_sigio_links_fcntl_798_at_the_culprit_without_being_told() {
    let Some(doc) = seed("bisect-deadlock-send_sigio.txt") else {
        return;
    };
    let links = linker(None).link_document(&doc);
    let want = format!("{KORG}/tree/fs/fcntl.c?id={CULPRIT}#n798");
    let hits: Vec<_> = links
        .all_links()
        .filter(|l| l.location.file == "fs/fcntl.c" && l.location.line == 798)
        .collect();
    assert!(!hits.is_empty(), "fs/fcntl.c:798 not linked");
    for l in &hits {
        assert_eq!(l.url.as_deref(), Some(want.as_str()));
        assert_eq!(l.function.as_deref(), Some("send_sigio"));
    }
    // Every linked location in the final report points at the culprit.
    let b = doc.bisection.as_ref().expect("bisection parsed");
    let report = &doc.reports[b.final_report.expect("final report")];
    let in_report: Vec<_> = links
        .lines
        .iter()
        .filter(|l| report.lines.contains(&l.line))
        .flat_map(|l| &l.links)
        .collect();
    assert!(in_report.len() > 20, "{}", in_report.len());
    for l in in_report {
        let c = l.commit.as_ref().unwrap();
        assert_eq!(c.commit, CULPRIT);
        assert_eq!(c.source, CommitSource::Culprit);
        assert!(
            l.url
                .as_deref()
                .unwrap()
                .starts_with(&format!("{KORG}/tree/"))
        );
        // The span points at `file:line` in the line's text.
        let line = &doc.lines[links
            .lines
            .iter()
            .find(|x| x.links.iter().any(|y| std::ptr::eq(y, l)))
            .unwrap()
            .line];
        let text = String::from_utf8_lossy(doc.line_bytes(line));
        let span = l.span.clone().expect("span");
        assert_eq!(
            &text[span],
            format!("{}:{}", l.location.file, l.location.line)
        );
    }
}

#[test]
fn bisection_commits_are_linked_with_verdicts() {
    let Some(doc) = seed("bisect-deadlock-send_sigio.txt") else {
        return;
    };
    let links = linker(None).link_document(&doc);
    let b = doc.bisection.as_ref().unwrap();
    assert_eq!(links.tests.len(), b.tests.len());
    assert!(links.tests.len() >= 10);
    for t in &links.tests {
        assert_eq!(
            t.url.as_deref(),
            Some(format!("{KORG}/commit/?id={}", t.commit).as_str())
        );
        assert!(t.verdict.is_some(), "{}", t.commit);
    }
    // The first two (start and release) have verdicts read from their results.
    assert_eq!(links.tests[0].verdict, Some(BisectVerdict::Bad));
    assert_eq!(links.tests[1].verdict, Some(BisectVerdict::Good));
    let culprits: Vec<_> = links.tests.iter().filter(|t| t.culprit).collect();
    assert_eq!(culprits.len(), 1);
    assert_eq!(culprits[0].commit, CULPRIT);
    assert_eq!(
        links.culprit_url.as_deref(),
        Some(format!("{KORG}/commit/?id={CULPRIT}").as_str())
    );
    // Each `testing commit` line has its sha linked.
    for t in &b.tests {
        let c: Vec<_> = links.commits_for_line(t.line).collect();
        assert_eq!(c.len(), 1, "line {}", t.line + 1);
        assert_eq!(c[0].commit, t.commit);
    }
    assert!(
        links
            .commits
            .iter()
            .any(|c| c.culprit && c.commit == CULPRIT)
    );
}

#[test]
fn every_seed_links_without_panicking() {
    let Ok(dir) = std::fs::read_dir(seeds()) else {
        kresym_test_support::require(false, &format!("seeds in {}", seeds().display()));
        return;
    };
    let mut n = 0;
    for e in dir.flatten() {
        let doc = kresym_report::parse(std::fs::read(e.path()).unwrap());
        let with_commit = linker(Some("v5.6")).link_document(&doc);
        assert!(
            with_commit.all_links().count() > 10,
            "{}",
            e.path().display()
        );
        assert!(
            with_commit.all_links().all(|l| l.url.is_some()),
            "{}",
            e.path().display()
        );
        let plain = linker(None).link_document(&doc);
        if doc.bisection.is_some() {
            assert!(
                plain.all_links().all(|l| l.url.is_some()),
                "{}",
                e.path().display()
            );
        } else {
            // No commit in a bare report: no URLs, a clear warning.
            assert!(plain.all_links().all(|l| l.url.is_none()));
            assert!(
                plain.warnings.iter().any(|w| w.contains("--commit")),
                "{:?}",
                plain.warnings
            );
        }
        n += 1;
    }
    assert!(n >= 5, "{n} seeds");
}

#[test]
fn kcsan_snippets_from_a_source_dir() {
    let Some(doc) = seed("kcsan-data-race-tcp.txt") else {
        return;
    };
    // A tree where tcp_ipv4.c:1759 is inside tcp_add_backlog, and
    // aoecmd.c:1253 is not in any `kthread`.
    let dir = tempfile::tempdir().unwrap();
    let mut tcp = String::new();
    for i in 1..1759 {
        tcp.push_str(if i == 1740 {
            "bool tcp_add_backlog(struct sock *sk, struct sk_buff *skb)\n"
        } else if i == 1741 {
            "{\n"
        } else {
            "\tx();\n"
        });
    }
    tcp.push_str("\tif (unlikely(sk_add_backlog(sk, skb, limit))) {\n}\n");
    std::fs::create_dir_all(dir.path().join("net/ipv4")).unwrap();
    std::fs::write(dir.path().join("net/ipv4/tcp_ipv4.c"), tcp).unwrap();
    let mut aoe = String::new();
    for i in 1..1300 {
        aoe.push_str(if i == 1240 {
            "static void aoecmd_cfg(void)\n"
        } else if i == 1241 {
            "{\n"
        } else {
            "\ty();\n"
        });
    }
    std::fs::create_dir_all(dir.path().join("drivers/block/aoe")).unwrap();
    std::fs::write(dir.path().join("drivers/block/aoe/aoecmd.c"), aoe).unwrap();

    let l = Linker::new(LinkOptions {
        repo: Some("upstream".into()),
        commit: Some("v5.5".into()),
        snippets: true,
        source: SourceChoice::Dir(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let links = l.link_document(&doc);
    let tcp = links
        .all_links()
        .find(|l| l.location.file == "net/ipv4/tcp_ipv4.c" && l.location.line == 1759)
        .unwrap();
    assert_eq!(tcp.snippet.as_ref().unwrap().fit, Some(Fit::Defined));
    let kthread = links
        .all_links()
        .find(|l| l.location.file == "drivers/block/aoe/aoecmd.c")
        .unwrap();
    assert_eq!(kthread.function.as_deref(), Some("kthread"));
    assert!(matches!(
        kthread.snippet.as_ref().unwrap().fit,
        Some(Fit::Mismatch { .. })
    ));
    // Files absent from the tree: warnings, never failures.
    assert!(
        links
            .all_links()
            .any(|l| l.snippet.is_none() && !l.warnings.is_empty())
    );
}

#[test]
fn syzbot_email_gives_repo_and_commit() {
    let Some(report) = std::fs::read_to_string(seeds().join("kcsan-data-race-tcp.txt")).ok() else {
        kresym_test_support::require(false, "seed kcsan-data-race-tcp.txt");
        return;
    };
    let email = format!(
        "Hello,\n\nsyzbot found the following issue on:\n\n\
         HEAD commit:    3b07ec4c1a2b Merge tag 'net-5.5-rc1'\n\
         git tree:       net-next\n\
         dashboard link: https://syzkaller.appspot.com/bug?extid=3\n\n{report}"
    );
    let doc = kresym_report::parse(email);
    let e = doc.email.as_ref().expect("email headers parsed");
    assert_eq!(e.head_commit.as_deref(), Some("3b07ec4c1a2b"));
    let l = Linker::new(LinkOptions::default()).unwrap();
    let links = l.link_document(&doc);
    let net_next = "https://git.kernel.org/pub/scm/linux/kernel/git/netdev/net-next.git";
    assert_eq!(links.repo.as_ref().unwrap().base, net_next);
    let tcp = links
        .all_links()
        .find(|l| l.location.file == "net/ipv4/tcp_ipv4.c" && l.location.line == 1759)
        .unwrap();
    assert_eq!(
        tcp.url.as_deref(),
        Some(format!("{net_next}/tree/net/ipv4/tcp_ipv4.c?id=3b07ec4c1a2b#n1759").as_str())
    );
    assert_eq!(tcp.commit.as_ref().unwrap().source, CommitSource::EmailHead);
    // The HEAD commit in the header is linked to its commit page.
    assert!(
        links.commits.iter().any(|c| c.commit == "3b07ec4c1a2b"
            && c.url == format!("{net_next}/commit/?id=3b07ec4c1a2b"))
    );
    // --repo and --commit win over the email.
    let l = linker(Some("v5.5"));
    let links = l.link_document(&doc);
    assert!(
        links
            .all_links()
            .all(|x| x.url.as_deref().unwrap().starts_with(KORG)
                && x.url.as_deref().unwrap().contains("id=v5.5#"))
    );
}
