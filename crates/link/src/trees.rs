//! Well-known kernel tree names, as syzbot emails write them in `git tree:`,
//! and the repositories they stand for.

const KORG: &str = "https://git.kernel.org/pub/scm/linux/kernel/git";

/// `(name, path under git.kernel.org's kernel/git/)`.
const KORG_TREES: &[(&str, &str)] = &[
    ("upstream", "torvalds/linux.git"),
    ("mainline", "torvalds/linux.git"),
    ("torvalds", "torvalds/linux.git"),
    ("linux", "torvalds/linux.git"),
    ("linux-next", "next/linux-next.git"),
    ("next", "next/linux-next.git"),
    ("net", "netdev/net.git"),
    ("net-next", "netdev/net-next.git"),
    ("bpf", "bpf/bpf.git"),
    ("bpf-next", "bpf/bpf-next.git"),
    ("stable", "stable/linux.git"),
    ("linux-stable", "stable/linux.git"),
    ("mm", "akpm/mm.git"),
    ("mmots", "akpm/mm.git"),
    ("mm-stable", "akpm/mm.git"),
    ("mm-unstable", "akpm/mm.git"),
    ("mm-hotfixes", "akpm/mm.git"),
    ("kvm", "virt/kvm/kvm.git"),
    ("kvm-next", "virt/kvm/kvm.git"),
    ("usb", "gregkh/usb.git"),
    ("usb-testing", "gregkh/usb.git"),
    ("tip", "tip/tip.git"),
    ("arm64", "arm64/linux.git"),
    ("arm64-next", "arm64/linux.git"),
    ("nf", "netfilter/nf.git"),
    ("nf-next", "netfilter/nf-next.git"),
    ("wireless", "wireless/wireless.git"),
    ("wireless-next", "wireless/wireless-next.git"),
    ("rcu", "paulmck/linux-rcu.git"),
    ("jfs", "kleikamp/linux-shaggy.git"),
];

/// Trees hosted elsewhere.
const OTHER_TREES: &[(&str, &str)] = &[
    ("kmsan", "https://github.com/google/kmsan.git"),
    ("kcsan", "https://github.com/google/ktsan.git"),
];

/// The clone URL of a well-known tree name (`upstream`, `linux-next`,
/// `net-next`, `linux-6.1.y`, `android14-6.1`, ...), case-insensitive.
pub fn tree_url(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    if let Some((_, path)) = KORG_TREES.iter().find(|(n, _)| *n == name) {
        return Some(format!("{KORG}/{path}"));
    }
    if let Some((_, url)) = OTHER_TREES.iter().find(|(n, _)| *n == name) {
        return Some((*url).to_string());
    }
    // Stable branches: `linux-6.1.y`, `linux-5.15`.
    if let Some(v) = name.strip_prefix("linux-")
        && v.chars().next().is_some_and(|c| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'y')
    {
        return Some(format!("{KORG}/stable/linux.git"));
    }
    // Android common kernels: `android-5.10`, `android14-6.1`, `android-mainline`.
    if name.starts_with("android") {
        return Some("https://android.googlesource.com/kernel/common".to_string());
    }
    None
}

/// Resolve what a `git tree:` header or `--repo` says: a tree name or a
/// clone URL, possibly followed by a branch (`URL branch`). Returns the
/// clone URL.
pub fn resolve_tree(value: &str) -> Option<String> {
    let first = value.split_whitespace().next()?;
    if first.contains("://") || first.contains('@') || first.contains('/') {
        return Some(first.to_string());
    }
    tree_url(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names() {
        assert_eq!(
            tree_url("upstream").unwrap(),
            "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git"
        );
        assert_eq!(
            tree_url("net-next").unwrap(),
            "https://git.kernel.org/pub/scm/linux/kernel/git/netdev/net-next.git"
        );
        assert_eq!(
            tree_url("BPF-next").unwrap(),
            "https://git.kernel.org/pub/scm/linux/kernel/git/bpf/bpf-next.git"
        );
        assert_eq!(
            tree_url("linux-next").unwrap(),
            "https://git.kernel.org/pub/scm/linux/kernel/git/next/linux-next.git"
        );
        assert!(
            tree_url("linux-6.1.y")
                .unwrap()
                .ends_with("/stable/linux.git")
        );
        assert!(tree_url("android14-6.1").unwrap().contains("googlesource"));
        assert_eq!(tree_url("no-such-tree"), None);
    }

    #[test]
    fn resolve() {
        assert_eq!(
            resolve_tree(
                "git://git.kernel.org/pub/scm/linux/kernel/git/arm64/linux.git for-kernelci"
            )
            .unwrap(),
            "git://git.kernel.org/pub/scm/linux/kernel/git/arm64/linux.git"
        );
        assert!(resolve_tree("net").unwrap().ends_with("netdev/net.git"));
        assert_eq!(resolve_tree("  "), None);
    }
}
