//! A Functional model's layer entries split into the layers' names and their own configs, as
//! `kc_functional_from_config()` (R/models.R) splits them when Rust leaves the model to R.

use extendr_api::prelude::*;
use extendr_ffi::{
    R_NaString, R_NamesSymbol, R_NilValue, Rf_allocVector, Rf_getAttrib, Rf_setAttrib, SET_STRING_ELT, SET_VECTOR_ELT,
    SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};

use super::rapi::{ensure, is_object, is_string, only_names, Fallback, Fast};
use super::rcache::consts;

/// `list(names, layers)`: each entry's `name`, and the entry without its `name` and
/// `inbound_nodes` (the layer's object config), as R's `entry$name <- NULL` leaves it. A
/// fallback for anything R must look at itself: an entry that is not a plain named list, a
/// name that is not a string, a key given twice or missing (R then raises its error).
///
/// # Safety
/// On R's main thread, with `layers` alive for the whole call.
pub unsafe fn split(layers: SEXP) -> Fast<Robj> {
    let c = consts();
    ensure(TYPEOF(layers) == SEXPTYPE::VECSXP && !is_object(layers))?;
    let n = XLENGTH(layers);
    // Held by the `Robj`s (extendr protects what it wraps).
    let names = Robj::from_sexp(Rf_allocVector(SEXPTYPE::STRSXP, n));
    let configs = Robj::from_sexp(Rf_allocVector(SEXPTYPE::VECSXP, n));
    for i in 0..n {
        let entry = VECTOR_ELT(layers, i);
        ensure(TYPEOF(entry) == SEXPTYPE::VECSXP && !is_object(entry) && only_names(entry))?;
        let keys = Rf_getAttrib(entry, R_NamesSymbol);
        ensure(keys != R_NilValue)?;
        let len = XLENGTH(entry);
        let (mut name_at, mut nodes_at) = (None, None);
        for j in 0..len {
            let key = STRING_ELT(keys, j);
            ensure(key != R_NaString)?;
            let slot = if key == c.chr_name {
                &mut name_at
            } else if key == c.chr_inbound_nodes {
                &mut nodes_at
            } else {
                continue;
            };
            ensure(slot.replace(j).is_none())?;
        }
        let name = VECTOR_ELT(entry, name_at.ok_or(Fallback)?);
        ensure(is_string(name))?;
        SET_STRING_ELT(names.get(), i, STRING_ELT(name, 0));
        let kept = len - 1 - isize::from(nodes_at.is_some());
        let config = Robj::from_sexp(Rf_allocVector(SEXPTYPE::VECSXP, kept));
        let config_keys = Robj::from_sexp(Rf_allocVector(SEXPTYPE::STRSXP, kept));
        for (j, k) in (0..len).filter(|&j| Some(j) != name_at && Some(j) != nodes_at).zip(0..) {
            SET_VECTOR_ELT(config.get(), k, VECTOR_ELT(entry, j));
            SET_STRING_ELT(config_keys.get(), k, STRING_ELT(keys, j));
        }
        Rf_setAttrib(config.get(), R_NamesSymbol, config_keys.get());
        SET_VECTOR_ELT(configs.get(), i, config.get());
    }
    let out = Robj::from_sexp(Rf_allocVector(SEXPTYPE::VECSXP, 2));
    SET_VECTOR_ELT(out.get(), 0, names.get());
    SET_VECTOR_ELT(out.get(), 1, configs.get());
    Ok(out)
}
