//! The workspace xtask belongs to and the cargo commands run in it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::bail;
use crate::error::{Context, Result};

/// The workspace root, two levels above this crate's manifest.
///
/// Prefers the `CARGO_MANIFEST_DIR` that `cargo run` sets at run time over
/// the one compiled in: clones sharing one `CARGO_TARGET_DIR` share the
/// xtask binary too, and each must act on its own checkout.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.join("../../Cargo.toml").exists())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("crates/xtask lives two levels below the workspace root")
        .to_path_buf()
}

/// `$CARGO_TARGET_DIR` (made absolute) or `<workspace>/target`.
pub fn target_dir() -> Result<PathBuf> {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => crate::env::absolute(Path::new(&dir)),
        _ => Ok(root().join("target")),
    }
}

/// A `cargo` command in the workspace root, sharing xtask's target dir.
pub fn cargo(args: &[&str]) -> Result<Command> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(args)
        .current_dir(root())
        .env("CARGO_TARGET_DIR", target_dir()?);
    Ok(cmd)
}

/// Runs `cmd` with inherited output as the step `name`; on failure the
/// error says which step failed and, when given, what to do about it.
pub fn run_step(name: &str, cmd: &mut Command, hint: Option<&str>) -> Result<()> {
    println!("==> {name}: {}", crate::stack::process::describe(cmd));
    let started = Instant::now();
    let status = cmd.status().with_context(|| format!("{name}: starting"))?;
    if !status.success() {
        match hint {
            Some(hint) => bail!("{name} failed ({status}); {hint}"),
            None => bail!("{name} failed ({status})"),
        }
    }
    println!("==> {name}: ok ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}
