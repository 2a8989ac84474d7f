//! What the inputs say about the kernel that printed them, and what their
//! symbolization will ask for, gathered from each parsed input once.

use std::collections::BTreeSet;

use foldhash::HashSet;
use kresym_report::{Document, LineKind, release};
use kresym_symbolize::PrintedFrame;

/// What one input (or a piece of it, see [`Facts::merge`]) holds that a
/// front end needs before symbolizing: the kernel it names, for finding
/// the vmlinux and modules; its frame count, for the index policy; its
/// vmlinux frames, for [`kresym_symbolize::SymbolizerBuilder::prefetch`].
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The releases the reports print (CPU, `Tainted:` or banner lines),
    /// each once, in order.
    pub report_releases: Vec<String>,
    /// The first release any line prints (a `dump_stack()` outside any
    /// report, a console log's boot banner): used when no report names one.
    pub first_release: Option<String>,
    /// vmlinux build ids printed at the end of CPU lines, as printed, each
    /// once, in order.
    pub vmlinux_build_ids: Vec<String>,
    /// `(module, build id as printed)` of every frame printing a build id.
    pub module_build_ids: BTreeSet<(String, String)>,
    /// The distinct vmlinux frames (frames without a module).
    pub vmlinux_frames: HashSet<PrintedFrame>,
    /// How often `+0x` occurs: the frame count that makes a batch.
    pub plus_0x: usize,
}

impl Facts {
    /// The facts of one parsed input.
    pub fn of(document: &Document) -> Facts {
        let mut facts = Facts {
            plus_0x: memchr::memmem::find_iter(&document.text, b"+0x").count(),
            ..Facts::default()
        };
        for report in &document.reports {
            if let Some(release) = &report.kernel_release {
                push_new(&mut facts.report_releases, release);
            }
        }
        for line in &document.lines {
            let message = String::from_utf8_lossy(document.line_message(line));
            if facts.first_release.is_none() {
                facts.first_release = release::kernel_release(&message).map(str::to_owned);
            }
            if let Some(id) = release::cpu_build_id(&message) {
                push_new(&mut facts.vmlinux_build_ids, id);
            }
            if let LineKind::Frame(frame) = &line.kind {
                match (&frame.module, &frame.build_id) {
                    (Some(module), Some(id)) => {
                        facts.module_build_ids.insert((module.clone(), id.clone()));
                    }
                    (Some(_), None) => {}
                    (None, _) => {
                        facts.vmlinux_frames.insert(PrintedFrame {
                            function: frame.function.clone(),
                            offset: frame.offset,
                            size: frame.size,
                            pc_kind: frame.pc_kind,
                        });
                    }
                }
            }
        }
        facts
    }

    /// Add the facts of the next piece of the same input.
    pub fn merge(&mut self, next: Facts) {
        for release in &next.report_releases {
            push_new(&mut self.report_releases, release);
        }
        if self.first_release.is_none() {
            self.first_release = next.first_release;
        }
        for id in &next.vmlinux_build_ids {
            push_new(&mut self.vmlinux_build_ids, id);
        }
        self.module_build_ids.extend(next.module_build_ids);
        self.vmlinux_frames.extend(next.vmlinux_frames);
        self.plus_0x += next.plus_0x;
    }

    /// The releases this input names: its reports', or else the first one
    /// printed anywhere.
    pub fn releases(&self) -> &[String] {
        match (&self.report_releases[..], &self.first_release) {
            ([], Some(first)) => std::slice::from_ref(first),
            (reports, _) => reports,
        }
    }
}

fn push_new(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|i| i == item) {
        list.push(item.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_names_its_kernel_and_frames() {
        let text = b"BUG: KASAN: use-after-free in foo+0x10/0x20\n\
CPU: 1 PID: 9 Comm: x Not tainted 6.1.0-53-cloud-amd64 #1 4f7a1c2b3d4e5f60718293a4b5c6d7e8f9001122\n\
Call Trace:\n\
 foo+0x10/0x20\n\
 foo+0x10/0x20\n\
 bar+0x1/0x2 [m 0123456789abcdef0123456789abcdef01234567]\n";
        let facts = Facts::of(&kresym_report::parse(text.to_vec()));
        assert_eq!(facts.releases(), ["6.1.0-53-cloud-amd64"]);
        assert_eq!(
            facts.vmlinux_build_ids,
            ["4f7a1c2b3d4e5f60718293a4b5c6d7e8f9001122"]
        );
        assert_eq!(
            facts.module_build_ids.iter().collect::<Vec<_>>(),
            [&(
                "m".to_owned(),
                "0123456789abcdef0123456789abcdef01234567".to_owned()
            )]
        );
        // foo twice is one frame to look up; bar is a module's.
        assert_eq!(facts.vmlinux_frames.len(), 1);
        assert_eq!(facts.plus_0x, 4);
    }

    #[test]
    fn a_banner_names_the_kernel_only_when_no_report_does() {
        let banner = kresym_report::parse(b"Linux version 6.2.0 (b@h) #1 SMP\n".to_vec());
        let mut facts = Facts::of(&banner);
        assert_eq!(facts.releases(), ["6.2.0"]);
        let report = kresym_report::parse(
            b"BUG: unable to handle page fault\nCPU: 0 PID: 1 Comm: x Not tainted 6.1.0 #1\n"
                .to_vec(),
        );
        facts.merge(Facts::of(&report));
        assert_eq!(facts.releases(), ["6.1.0"]);
    }
}
