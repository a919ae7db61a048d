//! The R seam of the npz reader: `rs_npz_read()` gives the tree `rs_hdf5_read()` gives for
//! `model.weights.h5`, or a `kc_rust_error` of class `kerasconfig_error_npz`.

use extendr_api::prelude::*;

use crate::hdf5::rhdf5::group_to_r;
use kerasconfig_core::{read_npz, ErrorKind as Kind};

fn rust_error(kind: Kind, message: &str) -> Robj {
    let subclass = match kind {
        Kind::Corrupt => "kerasconfig_error_npz_corrupt",
        Kind::Unsupported => "kerasconfig_error_npz_unsupported",
        Kind::Limit => "kerasconfig_error_npz_limit",
    };
    let mut list = list!(class = r!([subclass, "kerasconfig_error_npz"]), message = message);
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

/// Reads Keras' `model.weights.npz` from memory (`bytes`, a raw vector); its members may
/// inflate to at most `limit` bytes. Returns the root group, as `rs_hdf5_read()` does.
#[extendr]
fn rs_npz_read(bytes: Robj, limit: f64) -> Robj {
    let Some(data) = bytes.as_raw_slice() else {
        return rust_error(Kind::Corrupt, "`bytes` must be a raw vector");
    };
    let cap = if limit.is_finite() && limit >= 0.0 { limit as u64 } else { u64::MAX };
    match read_npz(data, cap) {
        Ok(root) => group_to_r(&root),
        Err(e) => rust_error(e.kind, &e.message),
    }
}

extendr_module! {
    mod rnpz;
    fn rs_npz_read;
}
