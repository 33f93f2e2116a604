//! Giving the system back memory the desk no longer uses.
//!
//! glibc's allocator keeps what a thread freed in that thread's arena for the next
//! allocation, and returns it to the system only from the top of a heap. The background
//! jobs read many reports at a time (reminders, retention, the dashboards' kept parts) on
//! several threads, so an idle desk stayed resident at their peak: about 5 MB more at
//! 200,000 reports. Elsewhere (musl, other systems) the allocator returns memory itself,
//! or has no such call, and this does nothing.

/// Returns the free pages of every allocator arena to the system. It walks and locks each
/// arena in turn, so call it when the work that freed them is done, not in a request.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn return_freed() {
    let started = std::time::Instant::now();
    // SAFETY: malloc_trim takes no pointers and changes only the allocator's own free
    // lists, under the same arena locks every malloc and free takes.
    let returned = unsafe { libc::malloc_trim(0) } == 1;
    tracing::debug!(
        returned,
        elapsed_us = started.elapsed().as_micros(),
        "freed memory returned to the system"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_freed() {}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Anonymous resident memory of this process, from /proc.
    fn resident_anonymous_mib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("RssAnon:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssAnon in /proc/self/status");
        kib / 1024
    }

    #[test]
    fn memory_freed_below_a_live_allocation_goes_back_to_the_system() {
        // Freed below a block still in use, these pages stay with glibc until trimmed.
        let (freed_and_kept, returned) = std::thread::spawn(|| {
            let blocks: Vec<Vec<u8>> = (0..32 * 1024).map(|_| vec![1_u8; 4000]).collect();
            let live = vec![1_u8; 4000];
            drop(blocks);
            let kept = resident_anonymous_mib();
            return_freed();
            let after = resident_anonymous_mib();
            drop(live);
            (kept, after)
        })
        .join()
        .expect("the allocating thread");
        assert!(
            returned + 64 <= freed_and_kept,
            "{freed_and_kept} MiB before, {returned} MiB after returning the 125 MiB freed"
        );
    }
}
