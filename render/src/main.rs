//! `hunt-render`: draws a hunt map from a live server, with a path, a reach set or its closures,
//! onto a PNG or an SVG.

mod draw;
mod projection;
mod query;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use draw::{Format, Overlay};

/// Draw a hunt map read from a live server (HUNT.SCAN) onto a PNG or SVG: every road thin grey,
/// closed edges red (--closures), a reach set as nodes coloured from near (orange) to far
/// (purple), a path thick blue from a green start to a black end. Only nodes with coordinates
/// (HUNT.NODES) can be drawn.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The map's key.
    #[arg(long)]
    key: String,
    /// The Redis server to read from.
    #[arg(long, default_value = "redis://127.0.0.1:6379/")]
    url: String,
    /// Draw the least-cost path (HUNT.PATH) between two nodes.
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"])]
    path: Option<Vec<u64>>,
    /// Draw every node within a cost of a node (HUNT.REACH).
    #[arg(long, num_args = 2, value_names = ["FROM", "MAXCOST"])]
    reach: Option<Vec<u64>>,
    /// Draw the closed edges in red.
    #[arg(long)]
    closures: bool,
    /// Picture width in pixels.
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u32).range(32..=20_000))]
    width: u32,
    /// Picture height in pixels.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(32..=20_000))]
    height: u32,
    /// Nodes per HUNT.SCAN call (at most the server's hunt.max-batch).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    page: u64,
    /// The picture to write: `.png` or `.svg`.
    #[arg(short, long)]
    output: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("hunt-render: {why}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    Format::of(&cli.output)?;
    let mut con = redis::Client::open(cli.url.as_str())
        .and_then(|client| client.get_connection())
        .map_err(|e| format!("cannot connect to {}: {e}", cli.url))?;

    let map = scan::read_map(|cursor| {
        redis::cmd("HUNT.SCAN")
            .arg(&cli.key)
            .arg(cursor)
            .arg("COUNT")
            .arg(cli.page)
            .query(&mut con)
            .map_err(|e| format!("HUNT.SCAN {} {cursor}: {e}", cli.key))
    })?;
    if map.nodes == 0 {
        return Err(format!("no map at key {}", cli.key));
    }
    if map.located.is_empty() {
        return Err(format!(
            "map {} has {} nodes and none has coordinates (HUNT.NODES, or hunt-load --coordinates): nothing to draw",
            cli.key, map.nodes
        ));
    }

    let path = match cli.path.as_deref() {
        Some(&[from, to]) => {
            Some(query::path(&mut con, &cli.key, from, to)?.ok_or_else(|| format!("no path from {from} to {to}"))?)
        }
        _ => None,
    };
    let reach = match cli.reach.as_deref() {
        Some(&[from, maxcost]) => Some(query::reach(&mut con, &cli.key, from, maxcost)?),
        _ => None,
    };
    let overlay = Overlay { path, reach, closures: cli.closures };
    let drawn = draw::draw(&cli.output, (cli.width, cli.height), &map, &overlay)?;

    if map.unlocated() > 0 {
        eprintln!(
            "hunt-render: {} of {} nodes have no coordinates and are not drawn, nor are the {} edges at them",
            map.unlocated(),
            map.nodes,
            drawn.edges_unlocated
        );
    }
    if drawn.overlay_unlocated > 0 {
        eprintln!("hunt-render: {} path or reach nodes have no coordinates and are left out", drawn.overlay_unlocated);
    }
    let mut report = format!("{}: {} nodes, {} roads", cli.output.display(), map.located.len(), drawn.roads);
    if overlay.closures {
        report += &format!(", {} closed edges", drawn.closures);
    }
    if let Some(reach) = &overlay.reach {
        report += &format!(", {} of {} reached nodes", drawn.reach_nodes, reach.len());
    }
    if let Some(path) = &overlay.path {
        report += &format!(", a path of {} nodes ({} drawn)", path.len(), drawn.path_points);
    }
    println!("{report}");
    Ok(())
}
