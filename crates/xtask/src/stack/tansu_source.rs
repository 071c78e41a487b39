//! Prepares the tansu 0.6.0 sources the stack builds, with one fix applied.
//!
//! tansu 0.6.0's object-store engine (the one behind `memory://`) answers a
//! fetch from an offset in the middle of a record batch with the batches
//! *after* it: the rest of the containing batch is skipped. Kafka returns
//! the containing batch and the client drops the records before its
//! position. Every consumer that resumes from a committed offset inside a
//! batch would silently lose records, which breaks any crash test. We build
//! tansu from its crates.io sources with a one-line fix in
//! `tansu-storage/src/dynostore.rs` (start at the batch that contains the
//! offset), wired in with `[patch.crates-io]`; everything else is tansu's
//! own locked dependency set.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process;
use crate::bail;
use crate::error::{Context, Result};

/// The tansu release.
pub const VERSION: &str = "0.6.0";

/// Bumped whenever the patch changes, so caches rebuild.
pub const PATCH_LEVEL: &str = "ferry1";

const BUGGY: &str = "        for offset in offsets.split_off(&offset) {";
const FIXED: &str =
    "        // Ferry patch: start at the batch that contains `offset`, as Kafka\n        \
// does, instead of the first batch after it.\n        \
let first = offsets.range(..=offset).next_back().copied().unwrap_or(offset);\n        \
for offset in offsets.split_off(&first) {";

/// Fetches tansu and tansu-storage from crates.io into `dir`, patches them,
/// and returns the path of the tansu package to `cargo install --path`.
pub fn prepare(dir: &Path, log: &Path) -> Result<PathBuf> {
    let tansu = dir.join(format!("tansu-{VERSION}"));
    let storage = dir.join(format!("tansu-storage-{VERSION}"));
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    fetch_crates(dir, log)?;
    for name in ["tansu", "tansu-storage"] {
        let archive = find_crate_archive(name)?;
        let mut tar = Command::new("tar");
        tar.arg("xzf").arg(&archive).arg("-C").arg(dir);
        process::run(&mut tar)?;
    }
    patch_storage(&storage)?;
    patch_manifest(&tansu)?;
    patch_lockfile(&tansu)?;
    Ok(tansu)
}

/// `cargo fetch` of a throwaway package depending on both crates, which
/// puts their `.crate` archives into cargo's registry cache.
fn fetch_crates(dir: &Path, log: &Path) -> Result<()> {
    let fetch = dir.join("fetch");
    std::fs::create_dir_all(fetch.join("src"))?;
    std::fs::write(fetch.join("src/lib.rs"), "")?;
    std::fs::write(
        fetch.join("Cargo.toml"),
        format!(
            "[package]\nname = \"ferry-tansu-fetch\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\ntansu = \"={VERSION}\"\ntansu-storage = \"={VERSION}\"\n\n[workspace]\n"
        ),
    )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("fetch").current_dir(&fetch);
    process::run_logged(&mut cmd, log)
}

/// The downloaded `<name>-<VERSION>.crate` in cargo's registry cache.
fn find_crate_archive(name: &str) -> Result<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let cache = cargo_home.join("registry/cache");
    let file = format!("{name}-{VERSION}.crate");
    for entry in
        std::fs::read_dir(&cache).with_context(|| format!("reading {}", cache.display()))?
    {
        let candidate = entry?.path().join(&file);
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!(
        "{file} not found under {} after cargo fetch",
        cache.display()
    )
}

fn patch_storage(storage: &Path) -> Result<()> {
    let path = storage.join("src/dynostore.rs");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if text.matches(BUGGY).count() != 1 {
        bail!(
            "{}: the code the fetch fix applies to was not found; was tansu {VERSION} changed?",
            path.display()
        );
    }
    std::fs::write(&path, text.replace(BUGGY, FIXED))?;
    Ok(())
}

fn patch_manifest(tansu: &Path) -> Result<()> {
    let path = tansu.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&format!(
        "\n[patch.crates-io]\ntansu-storage = {{ path = \"../tansu-storage-{VERSION}\" }}\n"
    ));
    std::fs::write(&path, text)?;
    Ok(())
}

/// The packaged lock file pins tansu-storage to crates.io; a path package
/// has no source or checksum, so drop those two lines of its entry to keep
/// `--locked` (and thereby every other version) as tansu released it.
fn patch_lockfile(tansu: &Path) -> Result<()> {
    let path = tansu.join("Cargo.lock");
    let text = std::fs::read_to_string(&path)?;
    let mut out = String::with_capacity(text.len());
    let mut in_storage = false;
    let mut found = false;
    for line in text.lines() {
        if line.starts_with("[[package]]") {
            in_storage = false;
        }
        if line == "name = \"tansu-storage\"" {
            in_storage = true;
            found = true;
        }
        if in_storage && (line.starts_with("source = ") || line.starts_with("checksum = ")) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !found {
        bail!("{}: no tansu-storage entry", path.display());
    }
    std::fs::write(&path, out)?;
    Ok(())
}
