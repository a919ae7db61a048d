//! The `call()` signatures of Keras' layer and model classes, for R (R/masking.R, functional
//! nodes).

use extendr_api::prelude::*;
use kerasconfig_core::call_signature;

/// R: the call() signature of a built-in class as JSON text, or NULL.
#[extendr]
fn rs_call_signature(class: &str) -> Robj {
    match call_signature(class) {
        Some(s) => r!(s),
        None => r!(NULL),
    }
}

extendr_module! {
    mod callsig;
    fn rs_call_signature;
}
