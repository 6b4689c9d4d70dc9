//! `hunt-bench`: bounded load runs against a redis-server with the hunt module. Each run stops
//! by itself and, by default, starts and stops its own server.

mod benchmark;
mod cpu;
mod load;
mod message;
mod path;
mod players;
mod push;
mod resp;
mod server;
mod stall;

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
    /// HUNT.PATH under N closed-loop connections on a road map (local and random pairs), next to
    /// PING and GET in the same run: throughput, p50 / p99 / p99.9 latency, every reply checked
    Path(path::PathArgs),
    /// Main-thread stalls: PING and HUNT.CLUE latency from a probe while far-pair HUNT.PATH runs
    /// nonstop, with offloading on and off; then HUNT.PATH throughput with 0, 1 and 2 workers
    Stall(stall::StallArgs),
    /// 50,000 players: a primary and replicas (each under the open-files cap), players spread over
    /// several load processes with their own loopback source addresses, each subscribed to its
    /// hunt's board on a replica, every board updated every 500 ms, some players asking HUNT.PATH;
    /// connections held, every delivery checked, latency, memory and CPU per server
    Players(players::PlayersArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Push(args) => push::main(args),
        Command::Path(args) => path::main(args),
        Command::Stall(args) => stall::main(args),
        Command::Players(args) => players::main(args),
    }
}
