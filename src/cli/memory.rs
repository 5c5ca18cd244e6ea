//! What the command line asks of glibc's allocator, the one it is built with on Linux:
//! the library itself leaves the allocator alone.

/// glibc's malloc serves blocks of up to 32 MB from its heaps instead of a mapping of
/// their own once a block that big has been freed (its dynamic mmap threshold), and the
/// space such blocks leave when freed stays resident. A 100,000-node model's statistics
/// (hash tables of tens of MB, grown by doubling) left over 100 MB resident that nothing
/// used. Fixed at 1 MiB, big blocks get their own mapping and go back when freed. To be
/// called first thing, before any other thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_big_blocks() {
    // SAFETY: sets one of the allocator's tunables, before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Gives the free pages of the allocator's heaps back to the system, before a long job.
/// Reading a big scenario frees tens of MB in the heaps of the threads that parsed it, in
/// between blocks the model keeps: at 100,000 subsystems, 45 MB stayed resident through
/// the whole run (a strata run of 3,000 runs peaked at 540 MB, 504 MB with them given
/// back; doing it again every second of the run gained nothing more).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(super) fn give_back() {
    // SAFETY: malloc_trim takes the allocator's own locks; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// See the glibc version.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_big_blocks() {}

/// See the glibc version.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(super) fn give_back() {}
