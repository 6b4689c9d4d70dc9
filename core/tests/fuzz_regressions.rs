//! Every input saved under `fuzz/regressions/<target>/` (crashes the fuzzers found, and seed
//! inputs so no folder is empty) through the same checks the fuzz targets run, without
//! libFuzzer, so `make test` keeps each finding fixed. The check code is the fuzz crate's own,
//! compiled in here by path (that crate links libFuzzer and stays out of the workspace).

#[allow(dead_code)]
#[path = "../../fuzz/src/alloc.rs"]
mod alloc;
#[allow(dead_code)]
#[path = "../../fuzz/src/checks.rs"]
mod checks;
#[allow(dead_code)]
#[path = "../../fuzz/src/oracle.rs"]
mod oracle;
#[allow(dead_code)]
#[path = "../../fuzz/src/script.rs"]
mod script;
#[allow(dead_code)]
#[path = "../../fuzz/src/session.rs"]
mod session;

use std::path::Path;

/// The same allocation cap as under the fuzzer, so an unbounded allocation aborts here too,
/// and `decode_*` can measure what decoding held.
#[global_allocator]
static ALLOC: alloc::Capped = alloc::Capped;

/// One test for all folders: the allocation peaks the checks measure are process-wide, so the
/// inputs run one after another on one thread.
#[test]
fn every_saved_fuzz_input_passes_its_target_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut folders: Vec<_> = std::fs::read_dir(&root).expect("fuzz/regressions").map(|e| e.unwrap().path()).collect();
    folders.sort();
    let mut counts = Vec::new();
    for folder in folders {
        let target = folder.file_name().unwrap().to_string_lossy().into_owned();
        let check = checks::by_name(&target).unwrap_or_else(|| panic!("{}: not a fuzz target", folder.display()));
        let mut files: Vec<_> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{} fails its {target} check again", file.display());
        }
        counts.push((target, files.len()));
    }
    for target in ["commands", "decode_map", "decode_board", "message"] {
        let count = counts.iter().find(|(t, _)| t == target).map_or(0, |(_, c)| *c);
        assert!(count > 0, "fuzz/regressions/{target}/ has no inputs");
    }
}
