//! Helpers for the crate's own tests.

use std::path::PathBuf;

/// The Keras reference data (`$KERASCONFIG_REFERENCE`, which `make` sets), for a test named
/// `what`: `None`, said as "skipped", when the variable is unset; a failure when it names a
/// folder that is not there, since a run that asked for the data must not pass without it.
pub fn reference_dir(what: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("KERASCONFIG_REFERENCE") else {
        eprintln!("KERASCONFIG_REFERENCE not set: {what} skipped");
        return None;
    };
    let dir = PathBuf::from(dir);
    assert!(dir.is_dir(), "KERASCONFIG_REFERENCE names {}, which is not a folder", dir.display());
    Some(dir)
}
