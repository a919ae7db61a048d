//! How deep an R value nests lists, counted as JSON counts arrays and objects: R's depth limit
//! for configs (`kc_max_depth`, R/deserialize.R) checked once on the whole config, before any
//! R code walks it level by level and spends R's C stack on it.
use extendr_api::prelude::*;
use extendr_ffi::{Rf_isObject, SEXP, SEXPTYPE, TYPEOF, VECTOR_ELT, XLENGTH};

/// The 1-based indices leading from `x` to its first list nested deeper than `levels` (`x`
/// itself is level 1), or `NULL` when it nests no deeper. Classed values (arrays, slices and
/// other R values deserialized already) are not entered, as deserialization does not enter them.
#[extendr]
fn rs_nested_beyond(x: Robj, levels: i32) -> Robj {
    let levels = usize::try_from(levels).unwrap_or(0);
    let mut path = Vec::new();
    // SAFETY: on R's main thread; `x` is alive for the whole call and nothing allocates.
    if unsafe { beyond(x.get(), 0, levels, &mut path) } {
        r!(path)
    } else {
        r!(NULL)
    }
}

/// Whether a list below `x` (or `x`, `depth` lists down) is deeper than `levels`; `path` then
/// leads to it. The recursion stops at `levels + 1`, so it is shallow.
unsafe fn beyond(x: SEXP, depth: usize, levels: usize, path: &mut Vec<i32>) -> bool {
    if TYPEOF(x) != SEXPTYPE::VECSXP || Rf_isObject(x).into() {
        return false;
    }
    if depth >= levels {
        return true;
    }
    for i in 0..XLENGTH(x) {
        path.push(i as i32 + 1);
        if beyond(VECTOR_ELT(x, i), depth + 1, levels, path) {
            return true;
        }
        path.pop();
    }
    false
}

extendr_module! {
    mod depth;
    fn rs_nested_beyond;
}
