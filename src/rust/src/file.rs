//! What kind of file a path names, without opening it: R cannot tell a FIFO or a device from a
//! regular file before opening it, and opening a FIFO blocks until a writer comes.
use extendr_api::prelude::*;
use extendr_ffi::{R_CHAR, STRING_ELT};
use std::ffi::CStr;

/// `"file"`, `"directory"`, `"other"` (FIFO, socket, device) or `"missing"` for the path
/// `path` (a string in the native encoding, as R hands paths to the system), following links.
#[extendr]
fn rs_file_kind(path: Robj) -> &'static str {
    if path.len() != 1 || !path.is_string() || path.is_na() {
        return "missing";
    }
    // SAFETY: `path` is a character vector of length 1 (checked), alive for the call.
    let bytes = unsafe { CStr::from_ptr(R_CHAR(STRING_ELT(path.get(), 0))) }.to_bytes();
    let Some(path) = native_path(bytes) else { return "missing" };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => "file",
        Ok(m) if m.is_dir() => "directory",
        Ok(_) => "other",
        Err(_) => "missing",
    }
}

#[cfg(unix)]
fn native_path(bytes: &[u8]) -> Option<&std::path::Path> {
    use std::os::unix::ffi::OsStrExt;
    Some(std::path::Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

#[cfg(not(unix))]
fn native_path(bytes: &[u8]) -> Option<&std::path::Path> {
    std::str::from_utf8(bytes).ok().map(std::path::Path::new)
}

extendr_module! {
    mod file;
    fn rs_file_kind;
}
