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
    // NY when the shared data is there; otherwise Rome, loaded under enough keys that the
    // server's own fixed costs of a load (dict growth, buffers, ~50 KB) do not swamp it.
    let (file, copies) = match shared_map("USA-road-d.NY.gr.gz") {
        Some(file) => (file, 1),
        None => {
            eprintln!("measuring 16 copies of rome99 instead");
            (rome_path(), 16)
        }
    };
    let server = Server::start("memory", &[]);
    let mut con = server.con();
    let edges = hunt_load::read_edges(&file).expect("read the map");
    let keys: Vec<String> = (0..copies).map(|i| format!("map{i}")).collect();
    let before = used_memory(&mut con);
    {
        // Load on a connection of its own, closed afterwards, so that its query buffers do
        // not count.
        let mut loader = server.con();
        for key in &keys {
            let added = hunt_load::send(&mut loader, key, &edges, 20_000, |_| {}).expect("load");
            assert_eq!(added as usize, edges.len());
        }
    }
    wait_until("the loader's connection to close", Duration::from_secs(5), || {
        info_field(&mut con, "clients", "connected_clients") == "1"
    });
    let after = used_memory(&mut con);
    let heap = after - before;
    let mut usage = 0;
    for key in &keys {
        let one = int(&ok(&mut con, &["MEMORY", "USAGE", key]));
        let info = map_info(&mut con, key);
        assert!(info.memory <= one, "MAPINFO memory {} is part of MEMORY USAGE {one}", info.memory);
        usage += one;
    }
    let info = map_info(&mut con, &keys[0]);
    let error = (usage - heap) as f64 / heap as f64;
    eprintln!(
        "{} x{copies}: {} nodes, {} edges each; used_memory grew by {heap} bytes, MEMORY USAGE says {usage} ({:+.1}%)",
        file.display(),
        info.nodes,
        info.edges,
        100.0 * error
    );
    assert!(error.abs() <= 0.10, "MEMORY USAGE {usage} is {:+.1}% off the {heap} bytes the maps took", 100.0 * error);
}
