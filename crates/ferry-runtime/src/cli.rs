//! The `ferry` command line. A custom binary with extra connectors calls
//! [`main_with_plugins`] with the built-in plugins plus its own.

use std::path::PathBuf;
use std::process::ExitCode;

use ferry_api::ConnectorPlugin;

use crate::plugins::PluginRegistry;

const USAGE: &str = "\
ferry — a Kafka Connect-compatible worker

USAGE:
    ferry standalone <worker.properties> <connector.properties|connector.json>...
    ferry plugins        list the connectors, transforms and predicates of this binary
    ferry version

Logging: RUST_LOG (e.g. RUST_LOG=info,ferry_runtime=debug), FERRY_LOG_FORMAT=json.";

/// Parses the command line and runs; returns the process exit code.
pub fn main_with_plugins(plugins: Vec<ConnectorPlugin>) -> ExitCode {
    main_with_registry(PluginRegistry::new(plugins))
}

/// Like [`main_with_plugins`], for a binary that also registers its own
/// transforms or predicates (`PluginRegistry::register_transform`).
pub fn main_with_registry(registry: PluginRegistry) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("standalone") if args.len() >= 2 => {
            crate::logging::init();
            let worker = PathBuf::from(&args[1]);
            let connectors: Vec<PathBuf> = args[2..].iter().map(PathBuf::from).collect();
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("ferry: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(crate::worker::run_standalone(
                &worker,
                &connectors,
                registry,
            )) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "worker failed");
                    eprintln!("ferry: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("distributed") => {
            eprintln!("ferry: distributed mode is not implemented yet; use `ferry standalone` (see README, Limits)");
            ExitCode::from(2)
        }
        Some("plugins") => {
            for p in registry.connectors() {
                println!("{}\t{}\t{}", p.kind(), p.class, p.version);
            }
            for p in registry.transforms() {
                println!("transformation\t{}\t{}", p.class, p.version);
            }
            for p in registry.predicates() {
                println!("predicate\t{}\t{}", p.class, p.version);
            }
            ExitCode::SUCCESS
        }
        Some("version" | "--version" | "-V") => {
            println!("ferry {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
