use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = consol::cli::Cli::parse();
    // CONSOL_LOG (or RUST_LOG) sets the filter; logs go to standard error so
    // command output stays clean.
    let filter = std::env::var("CONSOL_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "info".to_string());
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = consol::cli::run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
