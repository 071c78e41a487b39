//! glibc's allocator settings for a long-running worker.
//!
//! glibc gives each thread that allocates concurrently its own arena (up to
//! 8 per core) and rarely returns their free memory, so a worker whose
//! tokio, librdkafka and fetch threads all allocate grows its resident
//! memory with the number of threads rather than with the data it holds.
//! Measured with `cargo xtask bench postgres-cdc` (1M rows, schemas on):
//! peak RSS 241 MiB with glibc's default, 158 MiB with two arenas, at the
//! same events/s. `MALLOC_ARENA_MAX` in the environment still wins.

/// Caps glibc's malloc arenas at two unless `MALLOC_ARENA_MAX` is set.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    // SAFETY: mallopt only changes allocator tuning; it is called once at
    // start-up, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Other C libraries (musl) have no per-thread arenas to cap.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_malloc_arenas() {}
