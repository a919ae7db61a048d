//! Fuzzes the HDF5 reader with arbitrary bytes. Properties:
//! - reading never panics and stays within its byte budget, whatever the bytes;
//! - what it reads, written by the writer, reads back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The HDF5 modules without their R seam, at the crate root: `read` and `write` find `error`
// and `tree` through `super`, as in the main crate.
#[path = "../../core/src/hdf5/error.rs"]
mod error;
#[path = "../../core/src/hdf5/read.rs"]
mod read;
#[allow(dead_code)]
#[path = "../../core/src/hdf5/tree.rs"]
mod tree;
#[path = "../../core/src/hdf5/write.rs"]
mod write;

fuzz_target!(|data: &[u8]| {
    // A small budget (1 MiB) so that the limit checks are reached often.
    let limits = read::Limits::for_file(data.len(), 1 << 20);
    let Ok(root) = read::read(data, limits) else { return };
    let Ok(bytes) = write::write(&root) else { return };
    let again = read::read(&bytes, read::Limits::for_file(bytes.len(), 1 << 30)).expect("a written file reads back");
    // Compared as bytes written again, so that NaN values count as equal.
    assert_eq!(write::write(&again).expect("writes again"), bytes);
});
