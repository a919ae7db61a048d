//! HDF5 files as Keras writes them (`model.weights.h5`, legacy `.h5` models): a strict reader
//! (`read`) and a writer (`write`) of our own, in plain Rust, over the tree in `tree`. The R seam
//! is the package crate's `hdf5::rhdf5`; the fuzz target includes these files by path.

pub mod error;
pub mod order;
pub mod read;
pub mod tree;
pub mod write;

#[cfg(test)]
mod tests;

pub use error::{Error, Kind};
