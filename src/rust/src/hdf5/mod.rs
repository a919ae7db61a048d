//! HDF5 files for R: the seam (`rhdf5`) between R's weight trees and the core's reader and writer.

pub(crate) mod rhdf5;

extendr_api::extendr_module! {
    mod hdf5;
    use rhdf5;
}
