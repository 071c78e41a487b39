//! `cargo xtask bench`: benchmarks against the local stack (none yet).

use crate::error::Result;

/// Placeholder until the benchmarks exist.
pub fn main(_args: &[String]) -> Result<()> {
    println!("no benchmarks yet");
    Ok(())
}
