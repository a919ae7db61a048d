//! `.keras` archives: a strict in-memory zip reader (`read`) and a writer of stored archives
//! (`write`). No input makes them panic.

pub mod crc32;
pub mod read;
pub mod write;

#[cfg(test)]
mod tests;

mod error;
pub use error::show;
pub use error::Error;
