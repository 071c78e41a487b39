//! The `ferry` binary: the runtime's command line with the built-in
//! connectors registered.

mod allocator;

fn main() -> std::process::ExitCode {
    allocator::limit_malloc_arenas();
    let mut plugins = Vec::new();
    plugins.extend(ferry_connector_file::plugins());
    plugins.push(ferry_connector_postgres_cdc::plugin());
    plugins.push(ferry_connector_s3_sink::plugin());
    ferry_runtime::cli::main_with_plugins(plugins)
}
