//! Two settings of glibc's allocator, one of aequo's `unsafe` uses (the others call the
//! bootstrap's AVX2-compiled evaluator and percentile filter after checking the CPU): calls
//! with plain integer arguments that change how free memory is kept, never live allocations.
//! No-ops off glibc.
#![allow(unsafe_code)]

/// Asks the allocator to return free heap memory.
///
/// glibc's allocator keeps the buffers of finished Parquet row groups (whose sizes vary) in its
/// heap instead of returning them, so writing 3·10⁷ rows grew to 210 MB although the writer
/// holds one row group (~10 MB) at a time; `malloc_trim` after each row group keeps it flat.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes a padding size and only releases unused memory; it has no
    // preconditions and does not touch live allocations.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Keeps the scan's batch-sized buffers in the heap between batches.
///
/// By default glibc serves every allocation above 128 KiB with its own `mmap` and returns it
/// with `munmap` when freed; a scan allocates and frees such buffers for every record batch
/// (decoded columns, codes, slots), and the page faults of fresh mappings took twice the CPU of
/// the counting itself (0.3 s of system time per 10⁷ rows). With the thresholds raised, freed
/// buffers are reused by the next batch. Peak memory is unchanged: the scan's live memory is
/// bounded by threads × batch size (see BENCHMARKS.md). Call once, at program start.
pub fn tune_for_scans() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets allocator parameters; it has no memory-safety preconditions and
    // returns 0 (ignored: the defaults stay) when a value is refused.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}
