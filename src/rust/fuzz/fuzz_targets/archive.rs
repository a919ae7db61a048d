//! Fuzzes the `.keras` (zip) reader with arbitrary bytes. Properties:
//! - reading never panics, whatever the bytes, the wanted names and the limit;
//! - every member it returns holds exactly what its entry declares, within the limit, and the
//!   members together stay within it;
//! - what it reads, written again by the writer, reads back to the same members.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The archive modules without their R seam, at the crate root: `read` and `write` find
// `crc32`, `Error` and `show` through `super`, as in the main crate.
#[path = "../../core/src/archive/crc32.rs"]
mod crc32;
#[path = "../../core/src/archive/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../../core/src/archive/read.rs"]
mod read;
#[path = "../../core/src/archive/write.rs"]
mod write;
use error::{show, Error};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the limit, small enough that the limit checks are reached often.
    let Some((&pick, bytes)) = data.split_first() else { return };
    let limit = [0u64, 16, 4096, 1 << 20, 256 << 20][usize::from(pick) % 5];
    let wanted = ["config.json", "metadata.json", "model.weights.h5", "a", ""];
    let Ok(read) = read::read(bytes, &wanted, limit) else { return };
    let mut total = 0u64;
    for (_, content) in &read.members {
        assert!(content.len() as u64 <= limit, "a member passed the limit");
        total += content.len() as u64;
    }
    assert!(total <= limit, "the members together passed the limit");
    let entries: Vec<(&str, &[u8])> = read.members.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    if let Ok(written) = write::write(&entries) {
        let again = read::read(&written, &wanted, limit).expect("what the writer writes reads back");
        assert_eq!(again.members, read.members, "members read back differently");
    }
});
