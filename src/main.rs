fn main() {
    release_big_blocks();
    std::process::exit(blastradius::cli::main(std::env::args_os()));
}

/// glibc's malloc serves blocks of up to 32 MB from its heaps instead of a mapping of
/// their own once a block that big has been freed (its dynamic mmap threshold), and the
/// space such blocks leave when freed stays resident. A 100,000-node model's statistics
/// (hash tables of tens of MB, grown by doubling) left over 100 MB resident that nothing
/// used. Fixed at 1 MiB, big blocks get their own mapping and go back when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_big_blocks() {
    // SAFETY: sets one of the allocator's tunables, before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_big_blocks() {}
