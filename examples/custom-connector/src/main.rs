//! `ferry-custom`: the `ferry` command line with the sequence source
//! registered beside the built-in connectors.

fn main() -> std::process::ExitCode {
    let mut plugins = ferry_connector_file::plugins();
    plugins.push(ferry_connector_postgres_cdc::plugin());
    plugins.push(ferry_connector_s3_sink::plugin());
    plugins.push(ferry_example_custom_connector::plugin());
    ferry_runtime::cli::main_with_plugins(plugins)
}
