//! End-to-end tests of `kresym symbolize` without `--vmlinux`: the vmlinux
//! and modules found in a `--debug-dir` tree built here, by build id in a
//! `.build-id` tree, and through debuginfod from a server on 127.0.0.1
//! (which is all these tests reach).

#[path = "../crates/debuginfo/tests/common/server.rs"]
mod server;

mod common;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use server::{Reply, Server, samples_build};

const RELEASE: &str = "6.1.0-kresym-sample";

fn report(name: &str) -> PathBuf {
    samples_build().join("../reports").join(name)
}

fn build_id(name: &str) -> String {
    kresym_debuginfo::elf::read(&samples_build().join(name))
        .unwrap()
        .build_id
        .unwrap()
}

/// `kresym symbolize ARGS` with debuginfod off unless `env` turns it on.
fn symbolize(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = common::kresym();
    command
        .arg("symbolize")
        .args(args)
        .env_remove("DEBUGINFOD_URLS")
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "kresym failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn failure(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected a usage error; stdout: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A debug root holding only ROOT/boot/vmlinux-`release` (the sample).
fn root_with_vmlinux(release: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let boot = root.path().join("boot");
    std::fs::create_dir_all(&boot).unwrap();
    std::fs::copy(
        samples_build().join("vmlinux-dwarf5"),
        boot.join(format!("vmlinux-{release}")),
    )
    .unwrap();
    root
}

/// ROOT/boot/vmlinux-RELEASE and ROOT/lib/modules/RELEASE/extra/samplemod.ko.
fn debug_root() -> tempfile::TempDir {
    let root = root_with_vmlinux(RELEASE);
    let extra = root.path().join("lib/modules").join(RELEASE).join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::copy(
        samples_build().join("samplemod.ko"),
        extra.join("samplemod.ko"),
    )
    .unwrap();
    root
}

/// A copy of the sample vmlinux with a `linux_banner` naming `release`
/// (the sample has none), made with objcopy; `None` without objcopy.
fn vmlinux_with_banner(dir: &Path, release: &str) -> Option<PathBuf> {
    let banner = dir.join("banner.bin");
    std::fs::write(
        &banner,
        format!("Linux version {release} (kresym@test) #1 SMP\0"),
    )
    .unwrap();
    let out = dir.join(format!("vmlinux-banner-{release}"));
    let status = Command::new("objcopy")
        .arg(format!("--add-section=.banner={}", banner.display()))
        .arg("--set-section-flags=.banner=alloc,readonly,contents,data")
        .arg("--change-section-address=.banner=0x10000000")
        .arg("--add-symbol=linux_banner=.banner:0,global,object")
        .arg(samples_build().join("vmlinux-dwarf5"))
        .arg(&out)
        .stderr(Stdio::null())
        .status();
    let made = status.is_ok_and(|status| status.success());
    kresym_test_support::require(made, "`objcopy --add-section` (binutils)").then_some(out)
}

#[test]
fn debug_dir_finds_the_vmlinux_and_modules_by_release() {
    let root = debug_root();
    let out = success(&symbolize(
        &[
            "--debug-dir",
            "/nonexistent-root",
            "--debug-dir",
            path(root.path()),
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
    assert!(
        out.contains("\n kthread+0x3e/0x70 drivers/block/aoe/aoecmd.c:88\n"),
        "{out}"
    );

    // The module comes from ROOT/lib/modules/RELEASE/ (no --modules); the
    // release from the CPU line of a dump_stack() outside any report.
    let output = symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            path(&report("module-buildid.txt")),
        ],
        &[],
    );
    let out = success(&output);
    assert!(
        out.contains("\n samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]\n"),
        "{out}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "using vmlinux {}",
            root.path()
                .join("boot")
                .join(format!("vmlinux-{RELEASE}"))
                .display()
        )),
        "{stderr}"
    );
}

#[test]
fn debug_dir_works_on_standard_input() {
    let root = debug_root();
    let mut child = common::kresym()
        .args(["symbolize", "--debug-dir", path(root.path())])
        .env_remove("DEBUGINFOD_URLS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = std::fs::read(report("kthread-aoe.txt")).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    let out = success(&output);
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
    assert!(out.starts_with("BUG: sleeping function"), "{out}");
}

#[test]
fn missing_vmlinux_names_every_place_looked_at() {
    let root = debug_root();
    let stderr = failure(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            "--release",
            "6.2.0-other",
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    let boot = root.path().join("boot/vmlinux-6.2.0-other");
    assert!(
        stderr.contains("no vmlinux for kernel 6.2.0-other (--release)"),
        "{stderr}"
    );
    assert!(stderr.contains(&boot.display().to_string()), "{stderr}");
    assert!(stderr.contains("--vmlinux"), "{stderr}");

    // No release anywhere.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bare.txt");
    std::fs::write(&file, "Call Trace:\n kthread+0x2a/0x30\n").unwrap();
    let stderr = failure(&symbolize(
        &["--debug-dir", path(root.path()), path(&file)],
        &[],
    ));
    assert!(stderr.contains("names no kernel release"), "{stderr}");
    assert!(stderr.contains("--release"), "{stderr}");
}

#[test]
fn inputs_from_different_kernels_need_a_vmlinux() {
    let root = debug_root();
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.txt");
    let text = std::fs::read_to_string(report("kthread-aoe.txt")).unwrap();
    std::fs::write(&other, text.replace(RELEASE, "6.2.0-other")).unwrap();
    let stderr = failure(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            path(&report("kthread-aoe.txt")),
            path(&other),
        ],
        &[],
    ));
    assert!(stderr.contains("different kernels"), "{stderr}");
    assert!(
        stderr.contains(RELEASE) && stderr.contains("6.2.0-other"),
        "{stderr}"
    );
}

#[test]
fn release_mismatch_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let Some(vmlinux) = vmlinux_with_banner(dir.path(), "6.9.9-banner") else {
        return;
    };
    // Found by release under the report's name, but built for another one.
    let root = debug_root();
    std::fs::copy(
        &vmlinux,
        root.path().join("boot").join(format!("vmlinux-{RELEASE}")),
    )
    .unwrap();
    let stderr = failure(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(stderr.contains("is kernel 6.9.9-banner"), "{stderr}");
    assert!(
        stderr.contains(&format!("the report is from kernel {RELEASE}")),
        "{stderr}"
    );

    // An explicit --vmlinux is checked too, and --release names the kernel.
    let stderr = failure(&symbolize(
        &[
            "--vmlinux",
            path(&vmlinux),
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(
        stderr.contains("6.9.9-banner") && stderr.contains(RELEASE),
        "{stderr}"
    );
    let out = success(&symbolize(
        &[
            "--vmlinux",
            path(&vmlinux),
            "--release",
            "6.9.9-banner",
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
}

#[test]
fn build_id_tree_finds_the_vmlinux() {
    let id = build_id("vmlinux-dwarf5");
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        samples_build().join("vmlinux-dwarf5"),
        dir.join(format!("{}.debug", &id[2..])),
    )
    .unwrap();
    let out = success(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            "--build-id",
            &id,
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );

    // Another build id: not found here, and without debuginfod nothing else to try.
    let other = build_id("vmlinux-dwarf4");
    let stderr = failure(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            "--build-id",
            &other,
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(
        stderr.contains(&format!("no vmlinux with build id {other}")),
        "{stderr}"
    );
    assert!(stderr.contains("DEBUGINFOD_URLS"), "{stderr}");

    // --vmlinux must have the --build-id given.
    let stderr = failure(&symbolize(
        &[
            "--vmlinux",
            path(&samples_build().join("vmlinux-dwarf4")),
            "--build-id",
            &id,
            path(&report("kthread-aoe.txt")),
        ],
        &[],
    ));
    assert!(stderr.contains(&id) && stderr.contains(&other), "{stderr}");
}

#[test]
fn debuginfod_serves_the_vmlinux_and_the_modules_by_build_id() {
    let server = Server::start();
    let vmlinux = build_id("vmlinux-dwarf5");
    let module = build_id("samplemod.ko");
    server.debuginfo(&vmlinux, &samples_build().join("vmlinux-dwarf5"));
    server.debuginfo(&module, &samples_build().join("samplemod.ko"));
    let cache = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let env = [
        ("DEBUGINFOD_URLS", server.url.as_str()),
        ("DEBUGINFOD_CACHE_PATH", path(cache.path())),
    ];
    let input = report("module-buildid.txt");
    let args = [
        "--debug-dir",
        path(empty.path()),
        "--build-id",
        &vmlinux,
        path(&input),
    ];
    let out = success(&symbolize(&args, &env));
    assert!(
        out.contains("\n samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]\n"),
        "{out}"
    );
    assert!(
        out.contains("\n samplemod_mtu_warn+0x20/0x22 drivers/sample/samplemod.c:29 [samplemod]\n"),
        "{out}"
    );
    assert!(cache.path().join(&vmlinux).join("debuginfo").is_file());
    assert!(cache.path().join(&module).join("debuginfo").is_file());
    assert_eq!(server.requests(), 2);

    // The second run is served from the cache.
    let again = success(&symbolize(&args, &env));
    assert_eq!(again, out);
    assert_eq!(server.requests(), 2);

    // A module with that build id in --modules is not downloaded.
    let other = Server::start();
    let fresh = tempfile::tempdir().unwrap();
    let with_modules = success(&symbolize(
        &[
            "--vmlinux",
            path(&samples_build().join("vmlinux-dwarf5")),
            "--modules",
            path(&samples_build()),
            path(&input),
        ],
        &[
            ("DEBUGINFOD_URLS", other.url.as_str()),
            ("DEBUGINFOD_CACHE_PATH", path(fresh.path())),
        ],
    ));
    assert_eq!(with_modules, out);
    assert_eq!(other.requests(), 0);
}

#[test]
fn debuginfod_serving_the_wrong_file_is_an_error_naming_both_build_ids() {
    let server = Server::start();
    let wanted = build_id("vmlinux-dwarf5");
    let served = build_id("vmlinux-dwarf4");
    server.debuginfo(&wanted, &samples_build().join("vmlinux-dwarf4"));
    let cache = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let stderr = failure(&symbolize(
        &[
            "--debug-dir",
            path(empty.path()),
            "--build-id",
            &wanted,
            path(&report("kthread-aoe.txt")),
        ],
        &[
            ("DEBUGINFOD_URLS", server.url.as_str()),
            ("DEBUGINFOD_CACHE_PATH", path(cache.path())),
        ],
    ));
    assert!(
        stderr.contains(&wanted) && stderr.contains(&served),
        "{stderr}"
    );
    assert!(stderr.contains(&server.url), "{stderr}");
    assert!(!cache.path().join(&wanted).join("debuginfo").exists());
}

#[test]
fn debuginfod_404_and_slow_answers_are_clear_errors() {
    let server = Server::start();
    let id = build_id("vmlinux-dwarf5");
    let cache = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let env = [
        ("DEBUGINFOD_URLS", server.url.as_str()),
        ("DEBUGINFOD_CACHE_PATH", path(cache.path())),
        ("DEBUGINFOD_TIMEOUT", "0.3"),
    ];
    let input = report("kthread-aoe.txt");
    let args = [
        "--debug-dir",
        path(empty.path()),
        "--build-id",
        &id,
        path(&input),
    ];
    let stderr = failure(&symbolize(&args, &env));
    assert!(
        stderr.contains(&format!("no vmlinux with build id {id}")),
        "{stderr}"
    );
    assert!(stderr.contains("404"), "{stderr}");
    assert_eq!(server.requests(), 2);
    let stderr = failure(&symbolize(&args, &env));
    assert!(stderr.contains("cached miss"), "{stderr}");
    assert_eq!(server.requests(), 2);

    let body = std::fs::read(samples_build().join("vmlinux-dwarf5")).unwrap();
    server.route(
        &id,
        "debuginfo",
        Reply::Slow(std::time::Duration::from_secs(5), body),
    );
    let fresh = tempfile::tempdir().unwrap();
    let env = [
        ("DEBUGINFOD_URLS", server.url.as_str()),
        ("DEBUGINFOD_CACHE_PATH", path(fresh.path())),
        ("DEBUGINFOD_TIMEOUT", "0.3"),
    ];
    let stderr = failure(&symbolize(&args, &env));
    assert!(stderr.contains("DEBUGINFOD_TIMEOUT"), "{stderr}");
}

#[test]
fn module_is_found_by_its_build_id_in_a_build_id_tree() {
    // Only ROOT/boot and ROOT/.build-id: no module directory at all.
    let root = root_with_vmlinux(RELEASE);
    let id = build_id("samplemod-dwarf4.ko");
    let dir = root.path().join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        samples_build().join("samplemod-dwarf4.ko"),
        dir.join(format!("{}.debug", &id[2..])),
    )
    .unwrap();
    let out = success(&symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            path(&report("module-buildid-dwarf4.txt")),
        ],
        &[],
    ));
    assert!(
        out.contains("\n samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]\n"),
        "{out}"
    );
}

/// kthread-aoe.txt as printed by a kernel with CONFIG_STACKTRACE_BUILD_ID:
/// the CPU line ends with the vmlinux build id.
fn report_with_build_id(dir: &Path, id: &str) -> PathBuf {
    let text = std::fs::read_to_string(report("kthread-aoe.txt")).unwrap();
    let file = dir.join("with-build-id.txt");
    std::fs::write(
        &file,
        text.replace(&format!("{RELEASE} #1\n"), &format!("{RELEASE} #1 {id}\n")),
    )
    .unwrap();
    file
}

#[test]
fn build_id_printed_in_the_report_finds_and_checks_the_vmlinux() {
    let id = build_id("vmlinux-dwarf5");
    let other = build_id("vmlinux-dwarf4");
    let dir = tempfile::tempdir().unwrap();
    let input = report_with_build_id(dir.path(), &id);

    // Found in a .build-id tree with no --build-id.
    let root = tempfile::tempdir().unwrap();
    let ids = root.path().join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&ids).unwrap();
    std::fs::copy(
        samples_build().join("vmlinux-dwarf5"),
        ids.join(format!("{}.debug", &id[2..])),
    )
    .unwrap();
    let output = symbolize(&["--debug-dir", path(root.path()), path(&input)], &[]);
    let out = success(&output);
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("build id {id}")), "{stderr}");

    // Not there: found by release, and checked against the build id.
    let root = debug_root();
    let out = success(&symbolize(
        &["--debug-dir", path(root.path()), path(&input)],
        &[],
    ));
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
    let wrong = report_with_build_id(dir.path(), &other);
    let stderr = failure(&symbolize(
        &["--debug-dir", path(root.path()), path(&wrong)],
        &[],
    ));
    assert!(stderr.contains(&id) && stderr.contains(&other), "{stderr}");
    assert!(stderr.contains("printed in the report"), "{stderr}");

    // An explicit --vmlinux is checked against it too.
    let stderr = failure(&symbolize(
        &[
            "--vmlinux",
            path(&samples_build().join("vmlinux-dwarf5")),
            path(&wrong),
        ],
        &[],
    ));
    assert!(stderr.contains(&id) && stderr.contains(&other), "{stderr}");
}

/// The sample report's call trace after `header` lines (no CPU line).
fn report_with_header(header: &str) -> String {
    let sample = std::fs::read_to_string(report("kthread-aoe.txt")).unwrap();
    let trace = &sample[sample.find("Call Trace:").unwrap()..];
    format!("{header}{trace}")
}

#[test]
fn the_release_is_found_in_every_shape_the_kernel_prints() {
    let cases = [
        // A hung task prints the release without `CPU:`.
        (
            "6.1.0-53-cloud-amd64",
            "INFO: task kworker/0:1:12 blocked for more than 120 seconds.\n      Not tainted 6.1.0-53-cloud-amd64 #1 Debian 6.1.187-1\n\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n",
        ),
        // 6.12 prints the uid.
        (
            "6.12.0-rc7-syzkaller-00012-g3022e9d00ebe",
            "BUG: sleeping function called from invalid context at drivers/block/aoe/aoecmd.c:53\nCPU: 1 UID: 0 PID: 5830 Comm: syz-executor175 Not tainted 6.12.0-rc7-syzkaller-00012-g3022e9d00ebe #0\n",
        ),
        // Taint letters before the release.
        (
            "6.1.0-rc1-syzkaller",
            "BUG: sleeping function called from invalid context at drivers/block/aoe/aoecmd.c:53\nCPU: 0 PID: 1 Comm: x Tainted: G        W          6.1.0-rc1-syzkaller #0\n",
        ),
        // syzbot's kernels are released as `syzkaller`: not the taint letter L.
        (
            "syzkaller",
            "INFO: task syz.0.1:5830 blocked for more than 143 seconds.\n      Tainted: G             L     syzkaller #0\n",
        ),
        // A console log: the boot banner names the release of a report that does not.
        (
            "6.1.0-53-cloud-amd64",
            "[    0.000000] Linux version 6.1.0-53-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.187-1 (2025-01-01)\n[    1.000000] booting\nBUG: sleeping function called from invalid context at drivers/block/aoe/aoecmd.c:53\n",
        ),
    ];
    for (release, header) in cases {
        let root = root_with_vmlinux(release);
        let file = root.path().join("report.txt");
        std::fs::write(&file, report_with_header(header)).unwrap();
        let output = symbolize(&["--debug-dir", path(root.path()), path(&file)], &[]);
        let out = success(&output);
        assert!(
            out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
            "{release}: {out}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!(
                "using vmlinux {}",
                root.path()
                    .join(format!("boot/vmlinux-{release}"))
                    .display()
            )),
            "{release}: {stderr}"
        );
    }
}

#[test]
fn debug_dir_modules_behind_directory_symlinks_are_found_and_loops_end() {
    // ROOT/lib/modules/RELEASE/kernel -> ELSEWHERE/kernel (holding
    // samplemod.ko), with a loop back up inside it.
    let root = root_with_vmlinux(RELEASE);
    let elsewhere = tempfile::tempdir().unwrap();
    let kernel = elsewhere.path().join("kernel/drivers");
    std::fs::create_dir_all(&kernel).unwrap();
    std::fs::copy(
        samples_build().join("samplemod.ko"),
        kernel.join("samplemod.ko"),
    )
    .unwrap();
    std::os::unix::fs::symlink("..", kernel.join("loop")).unwrap();
    let modules = root.path().join("lib/modules").join(RELEASE);
    std::fs::create_dir_all(&modules).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("kernel"), modules.join("kernel")).unwrap();
    let output = symbolize(
        &[
            "--debug-dir",
            path(root.path()),
            path(&report("module-buildid.txt")),
        ],
        &[],
    );
    let out = success(&output);
    assert!(
        out.contains("\n samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]\n"),
        "{out}"
    );
}

#[test]
fn a_report_of_another_release_than_the_banner_comes_out_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let Some(vmlinux) = vmlinux_with_banner(dir.path(), RELEASE) else {
        return;
    };
    // Same functions, same sizes: only the release tells the kernels apart.
    let ours = report("kthread-aoe.txt");
    let text = std::fs::read_to_string(&ours).unwrap();
    let theirs = dir.path().join("other-release.txt");
    let other = text.replace(RELEASE, "6.1.0-other");
    std::fs::write(&theirs, &other).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = symbolize(
        &[
            // The sample's index (same build id) was made without a banner.
            "--no-index",
            "--vmlinux",
            path(&vmlinux),
            "--out-dir",
            path(out.path()),
            path(&ours),
            path(&theirs),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let annotated = std::fs::read_to_string(out.path().join("kthread-aoe.txt")).unwrap();
    assert!(
        annotated.contains(" kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{annotated}"
    );
    let unchanged = std::fs::read_to_string(out.path().join("other-release.txt")).unwrap();
    assert_eq!(unchanged, other);
    assert_eq!(stderr.matches("did not produce").count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "the report is from kernel 6.1.0-other, the vmlinux is {RELEASE}"
        )),
        "{stderr}"
    );
}
