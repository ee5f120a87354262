//! Transparent huge pages for the commands that search big state spaces.
//!
//! The compact engine's fingerprint table is probed at random, so with 4 KiB
//! pages nearly every probe of a large table misses the TLB as well as the
//! cache, and in a virtual machine a TLB miss is a two-level page walk.
//! Measured on original-fixed N=4 (30 s, one thread, 2-core VM): 13.7 M
//! states with ordinary pages, 19.5 M with huge pages. glibc gives every
//! allocation of a process huge pages (where the kernel's
//! `transparent_hugepage` mode is `madvise` or `always`) when its tunable
//! `glibc.malloc.hugetlb=1` is set, and tunables are read only at start-up:
//! so these commands re-execute the binary once with it set.
//! `OVERLAY_HUGEPAGES=0` turns this off.

/// Re-executes the process with huge pages on, when they are available and
/// not already on; returns (doing nothing) otherwise or when that fails.
pub fn enable() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        const TUNABLE: &str = "glibc.malloc.hugetlb=1";
        if std::env::var_os("OVERLAY_HUGEPAGES").is_some_and(|v| v == "0") {
            return;
        }
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if current.contains("glibc.malloc.hugetlb") {
            return;
        }
        let Ok(mode) = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        else {
            return;
        };
        if mode.contains("[never]") {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let tunables = if current.is_empty() {
            TUNABLE.to_string()
        } else {
            format!("{current}:{TUNABLE}")
        };
        let mut args = std::env::args_os();
        let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        // `exec` returns only when it failed: go on with ordinary pages.
        let _ = std::process::Command::new(exe)
            .arg0(argv0)
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .exec();
    }
}
