//! `hunt-render` end to end: the binary reads a map from a real server (HUNT.SCAN, HUNT.PATH,
//! HUNT.REACH) and writes the picture. A 3×3 grid with coordinates, drawn as SVG (whose shapes
//! can be counted) and as PNG (whose header gives its size).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// The binary built next to the module (`cargo build --release --workspace`), or `HUNT_RENDER`.
fn render_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HUNT_RENDER") {
        return PathBuf::from(path);
    }
    let path = manifest_dir().join("target/release/hunt-render");
    assert!(path.exists(), "{} is missing: run `cargo build --release --workspace` first", path.display());
    path
}

fn render(server: &Server, args: &[&str]) -> Output {
    let url = format!("redis://127.0.0.1:{}/", server.port);
    Command::new(render_binary()).arg("--url").arg(url).args(args).output().expect("run hunt-render")
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "hunt-render failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "hunt-render succeeded: {}", String::from_utf8_lossy(&output.stdout));
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

/// Nodes 1..=9 in rows of three, 0.01° apart, roads both ways between neighbours (12 roads),
/// each of weight 10; node 10 has no coordinates and one road to node 9.
fn grid(con: &mut redis::Connection, key: &str) {
    let mut edges = Vec::new();
    for n in 1..=9u64 {
        if n % 3 != 0 {
            edges.extend([(n, n + 1, 10), (n + 1, n, 10)]);
        }
        if n <= 6 {
            edges.extend([(n, n + 3, 10), (n + 3, n, 10)]);
        }
    }
    edges.extend([(9, 10, 10), (10, 9, 10)]);
    add_edges(con, key, None, &edges);
    let mut nodes = vec!["HUNT.NODES".to_string(), key.to_string()];
    for n in 1..=9u64 {
        let (col, row) = ((n - 1) % 3, (n - 1) / 3);
        nodes.extend([
            n.to_string(),
            format!("{}", 12.48 + 0.01 * col as f64),
            format!("{}", 41.89 + 0.01 * row as f64),
        ]);
    }
    assert_eq!(int(&ok(con, &nodes)), 9);
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn out(server: &Server, name: &str) -> PathBuf {
    server.dir.join(name)
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn draws_a_path_with_closures_as_svg() {
    let server = Server::start("render-svg", &[]);
    let mut con = server.con();
    grid(&mut con, "city");
    assert_eq!(int(&ok(&mut con, &["HUNT.CLOSE", "city", "1", "2", "2", "1"])), 2);
    let file = out(&server, "path.svg");
    let report = stdout(&render(&server, &["--key", "city", "--path", "1", "9", "--closures", "-o", arg(&file)]));
    assert_eq!(
        report,
        format!("{}: 9 nodes, 11 roads, 2 closed edges, a path of 5 nodes (5 drawn)", file.display()),
        "12 grid roads, the closed one drawn as a closure, the one to node 10 left out"
    );
    let svg = std::fs::read_to_string(&file).expect("the SVG");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(100)]);
    // Roads grey, the closed pair red, the path one blue polyline of five points.
    assert_eq!(count(&svg, "stroke=\"#BEBEBE\""), 11, "{svg}");
    assert_eq!(count(&svg, "stroke=\"#DC1414\""), 2, "{svg}");
    let path_lines: Vec<&str> = svg.lines().filter(|l| l.contains("<polyline") && l.contains("#145AE6")).collect();
    assert_eq!(path_lines.len(), 1, "{svg}");
    let points = path_lines[0].split("points=\"").nth(1).and_then(|s| s.split('"').next()).expect("points");
    assert_eq!(points.split_whitespace().count(), 5, "{}", path_lines[0]);
}

#[test]
fn draws_a_reach_set_as_png_of_the_asked_size() {
    let server = Server::start("render-png", &[]);
    let mut con = server.con();
    grid(&mut con, "city");
    let file = out(&server, "reach.png");
    let report = stdout(&render(
        &server,
        &["--key", "city", "--reach", "5", "10", "--width", "320", "--height", "200", "--page", "4", "-o", arg(&file)],
    ));
    assert_eq!(report, format!("{}: 9 nodes, 12 roads, 5 of 5 reached nodes", file.display()));
    let png = std::fs::read(&file).expect("the PNG");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!((be(16), be(20)), (320, 200), "IHDR width and height");
}

#[test]
fn says_what_it_cannot_draw() {
    let server = Server::start("render-errors", &[]);
    let mut con = server.con();
    add_edges(&mut con, "bare", None, &[(1, 2, 5)]);
    grid(&mut con, "city");
    let file = out(&server, "x.png");
    let why = stderr(&render(&server, &["--key", "bare", "-o", arg(&file)]));
    assert!(why.contains("map bare has 2 nodes and none has coordinates"), "{why}");
    let why = stderr(&render(&server, &["--key", "nothing", "-o", arg(&file)]));
    assert!(why.contains("no map at key nothing"), "{why}");
    let why = stderr(&render(&server, &["--key", "city", "-o", arg(&server.dir.join("x.gif"))]));
    assert!(why.contains("the output must end in .png or .svg"), "{why}");
    // Node 10 is reachable but has no coordinates: drawn without it, and said so.
    let output = render(&server, &["--key", "city", "--path", "1", "10", "-o", arg(&file)]);
    let report = stdout(&output);
    assert!(report.ends_with("a path of 6 nodes (5 drawn)"), "{report}");
    let note = String::from_utf8_lossy(&output.stderr);
    assert!(note.contains("1 of 10 nodes have no coordinates"), "{note}");
    assert!(note.contains("1 path or reach nodes have no coordinates"), "{note}");
    ok(&mut con, &["SET", "plain", "x"]);
    let why = stderr(&render(&server, &["--key", "plain", "-o", arg(&file)]));
    assert!(why.contains("WRONGTYPE"), "{why}");
}
