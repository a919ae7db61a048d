//! HDF5 files as Keras writes them (`model.weights.h5`, legacy `.h5` models): a strict reader
//! (`read`) and a writer (`write`) of our own, in plain Rust, over the tree in `tree`. The R seam
//! is in `rapi`; the fuzz target includes the rest by path, without R.

pub mod error;
pub mod order;
pub mod read;
pub mod rhdf5;
pub mod tree;
pub mod write;

#[cfg(test)]
mod tests;

pub use error::{Error, Kind};

extendr_api::extendr_module! {
    mod hdf5;
    use rhdf5;
}
