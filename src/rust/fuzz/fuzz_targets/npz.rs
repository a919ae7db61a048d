//! Fuzzes the reader of Keras' npz weights (`.npy` headers and the pickles inside) with
//! arbitrary bytes, as one `.npy` member. Property: it never panics, and an array it returns
//! holds exactly as many values as its shape has elements.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The modules the npz reader uses, without R: `npy` and `pickle` at the crate root (so that
// pickle's `super::npy` is found), the HDF5 error and tree where they name them (`crate::hdf5`).
#[allow(dead_code)]
#[path = "../../core/src/hdf5/error.rs"]
mod hdf5_error;
#[allow(dead_code)]
#[path = "../../core/src/hdf5/tree.rs"]
mod hdf5_tree;
mod hdf5 {
    pub(crate) use crate::hdf5_error as error;
    pub(crate) use crate::hdf5_error::Error;
    pub(crate) use crate::hdf5_tree as tree;
}
#[allow(dead_code)]
#[path = "../../core/src/npz/npy.rs"]
mod npy;
#[path = "../../core/src/npz/pickle.rs"]
mod pickle;

fuzz_target!(|data: &[u8]| {
    let Ok(npy) = npy::parse(data) else { return };
    let arrays = match npy.content {
        // A plain array is checked, not decoded (npz weights never hold one).
        npy::Content::Numeric => Vec::new(),
        npy::Content::Object(p) => match pickle::variables_dict(p) {
            Ok(v) => v.into_iter().map(|(_, a)| a).collect(),
            Err(_) => return,
        },
    };
    for a in arrays {
        assert_eq!(a.values.len() as u64, a.shape.iter().product::<u64>());
    }
});
