//! `hunt-bench`: bounded load runs against a redis-server with the hunt module. Each run stops
//! by itself and, by default, starts and stops its own server.

mod benchmark;
mod cpu;
mod message;
mod push;
mod resp;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "hunt-bench", version, about = "Bounded load runs against redis-server with the hunt module")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pub/Sub fan-out: subscribers on one board, a publisher on a fixed tick; delivery latency,
    /// completeness and the server's CPU, then HUNT.CLUE next to GET with redis-benchmark
    Push(push::PushArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Push(args) => push::main(args),
    }
}
