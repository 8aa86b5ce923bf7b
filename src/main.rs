use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = consol::cli::Cli::parse();
    // Logs go to standard error so command output stays clean.
    if let Err(e) = consol::startup::init_logging() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    if let Err(e) = consol::cli::run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
