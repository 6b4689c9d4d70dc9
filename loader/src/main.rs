//! `hunt-load`: streams a road map file into a hunt map.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

/// Load a DIMACS `.gr` or CSV (`from,to,weight`) road map, plain or gzip, into a hunt map.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The key of the map to create or extend.
    key: String,
    /// The map file: `.gr`, `.gr.gz`, `.csv` or `.csv.gz`.
    file: PathBuf,
    /// The Redis server to load into.
    #[arg(long, default_value = "redis://127.0.0.1:6379/")]
    url: String,
    /// Edges per HUNT.ADDEDGES call.
    #[arg(long, default_value_t = 20_000)]
    batch: usize,
    /// Delete the key first instead of adding to what it holds.
    #[arg(long)]
    replace: bool,
    /// A DIMACS coordinate file (`.co`, `.co.gz`) to send with HUNT.NODES after the edges.
    #[arg(long)]
    coordinates: Option<PathBuf>,
    /// Compute this many landmarks (HUNT.LANDMARKS) once loaded.
    #[arg(long)]
    landmarks: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("hunt-load: {why}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let edges = hunt_load::read_edges(&cli.file).map_err(|e| format!("cannot read {}: {e}", cli.file.display()))?;
    let read = started.elapsed();
    let mut con = redis::Client::open(cli.url.as_str())?.get_connection()?;
    if cli.replace {
        redis::cmd("DEL").arg(&cli.key).exec(&mut con)?;
    }
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(edges.len() as u64);
        bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} edges {per_sec} eta {eta}")?);
        bar
    } else {
        ProgressBar::hidden()
    };
    let added = hunt_load::send(&mut con, &cli.key, &edges, cli.batch, |sent| bar.set_position(sent as u64))?;
    bar.finish_and_clear();
    if let Some(path) = &cli.coordinates {
        let nodes = hunt_load::read_coordinates(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        hunt_load::send_coordinates(&mut con, &cli.key, &nodes, cli.batch)?;
        println!("coordinates: {} nodes from {}", nodes.len(), path.display());
    }
    if let Some(count) = cli.landmarks {
        let started = Instant::now();
        redis::cmd("HUNT.LANDMARKS").arg(&cli.key).arg(count).exec(&mut con)?;
        println!("landmarks: {count} in {:.2}s", started.elapsed().as_secs_f64());
    }
    let info: Vec<redis::Value> = redis::cmd("HUNT.MAPINFO").arg(&cli.key).query(&mut con)?;
    let field = |name: &str| -> i64 {
        info.chunks(2)
            .find(|kv| matches!(&kv[0], redis::Value::BulkString(b) if b == name.as_bytes()))
            .and_then(|kv| redis::from_redis_value::<i64>(kv[1].clone()).ok())
            .unwrap_or(-1)
    };
    println!(
        "loaded {} into {}: {} edges sent, {} new; the map has {} nodes, {} edges (read {:.2}s, total {:.2}s)",
        cli.file.display(),
        cli.key,
        edges.len(),
        added,
        field("nodes"),
        field("edges"),
        read.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
