//! `cargo xtask`: developer tasks for the Ferry workspace.
//!
//! ```text
//! cargo xtask stack up|down|status|env   manage the local Kafka/S3/PostgreSQL stack
//! cargo xtask test [cargo test args]     fmt, clippy, stack up, build, test; without args the demo
//! cargo xtask demo                       PostgreSQL → Kafka → S3 through `ferry standalone`
//! cargo xtask demo file                  file → Kafka → file through `ferry standalone`
//! cargo xtask bench postgres-cdc [--rows N] [--no-schemas] [--producer key=value]...
//!                                        PostgreSQL CDC throughput, start-up, peak RSS
//! cargo xtask bench s3-sink [--records N] [--case a|b|c]...
//!                                        S3 sink throughput, CPU, peak RSS vs a plain consumer
//! ```
//!
//! std only, so it compiles in seconds on every CI run.

mod bench;
mod demo;
mod env;
mod error;
mod http;
mod kafka;
mod psql;
mod stack;
mod test;
mod workspace;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  stack up       start tansu (Kafka), SeaweedFS (S3) and PostgreSQL on 127.0.0.1
  stack down     stop them
  stack status   show what is running
  stack env      print the variables clients read (eval \"$(cargo xtask stack env)\")
  test [args]    fmt, clippy, stack up, build, cargo test --workspace [args],
                 then (without args) the demo
  demo           run the PostgreSQL -> Kafka -> S3 demo through `ferry standalone`
  demo file      run the file -> Kafka -> file demo through `ferry standalone`
  bench postgres-cdc [--rows N] [--no-schemas] [--producer key=value]...
                 PostgreSQL CDC snapshot and streaming throughput, start-up, peak RSS
  bench s3-sink [--records N] [--case a|b|c]...
                 S3 sink records/s, MB/s, CPU s/GB, peak RSS vs a plain rdkafka consumer

environment:
  FERRY_CACHE        cache and state directory (default $HOME/.cache/ferry)
  FERRY_KAFKA_PORT   Kafka port (default 9092)
  FERRY_S3_PORT      S3 port (default 8333)
  FERRY_PG_PORT      PostgreSQL port (default 5433)
  FERRY_PG_DATA      PostgreSQL data directory
  FERRY_TANSU_LOG    RUST_LOG filter for tansu (default warn)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "stack" => stack::main(rest),
        "test" => test::main(rest),
        "demo" => demo::main(rest),
        "bench" => bench::main(rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
