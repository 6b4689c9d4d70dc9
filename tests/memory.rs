//! `MEMORY USAGE` of a map tells the truth: it is within 10% of what loading the map
//! really took from the server's allocator (`used_memory` in `INFO memory`).

mod common;

use std::time::Duration;

use common::*;

fn used_memory(con: &mut redis::Connection) -> i64 {
    info_field(con, "memory", "used_memory").parse().expect("used_memory")
}

#[test]
fn memory_usage_is_within_10_percent_of_the_heap_a_map_takes() {
    let file = shared_map("USA-road-d.NY.gr.gz").unwrap_or_else(|| {
        eprintln!("measuring rome99 instead");
        rome_path()
    });
    let server = Server::start("memory", &[]);
    let mut con = server.con();
    let edges = hunt_load::read_edges(&file).expect("read the map");
    let before = used_memory(&mut con);
    {
        // Load on a connection of its own, closed afterwards, so that its query buffers do
        // not count.
        let mut loader = server.con();
        let added = hunt_load::send(&mut loader, "map", &edges, 20_000, |_| {}).expect("load");
        assert_eq!(added as usize, edges.len());
    }
    wait_until("the loader's connection to close", Duration::from_secs(5), || {
        info_field(&mut con, "clients", "connected_clients") == "1"
    });
    let after = used_memory(&mut con);
    let heap = after - before;
    let usage = int(&ok(&mut con, &["MEMORY", "USAGE", "map"]));
    let info = map_info(&mut con, "map");
    let error = (usage - heap) as f64 / heap as f64;
    eprintln!(
        "{}: {} nodes, {} edges; used_memory grew by {heap} bytes, MEMORY USAGE says {usage}, HUNT.MAPINFO memory {} ({:+.1}%)",
        file.display(),
        info.nodes,
        info.edges,
        info.memory,
        100.0 * error
    );
    assert!(error.abs() <= 0.10, "MEMORY USAGE {usage} is {:+.1}% off the {heap} bytes the map took", 100.0 * error);
    assert!(info.memory <= usage, "MAPINFO memory {} is part of MEMORY USAGE {usage}", info.memory);
}
