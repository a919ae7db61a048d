//! NumPy `.npz` weights for R: the seam (`rnpz`) over the core's reader.

mod rnpz;

extendr_api::extendr_module! {
    mod npz;
    use rnpz;
}
