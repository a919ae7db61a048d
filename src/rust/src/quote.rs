//! Arguments `do.call()` passes as values, never evaluating them, without quoting every one.

use extendr_api::prelude::*;
use extendr_ffi::{
    R_NilValue, R_QuoteSymbol, Rf_cons, Rf_lcons, Rf_protect, Rf_unprotect, SET_VECTOR_ELT, SEXPTYPE, TYPEOF,
    VECTOR_ELT, XLENGTH,
};

use crate::fast::rapi::{self_evaluating, Rf_shallow_duplicate};

/// `args` made ready for `do.call(f, args)` to pass as `do.call(f, args, quote = TRUE)` does:
/// each element R would evaluate as an argument (a symbol, a call, an expression vector, ...)
/// wrapped in `quote()`, the others, which evaluate to themselves, as they are. Most configs
/// hold none: then `args` itself comes back, sparing R a call built per element.
#[extendr]
fn rs_quoted_args(args: Robj) -> Robj {
    // SAFETY: on R's main thread; `args` is alive for the whole call, the copy held by its `Robj`
    // and each new cell protected until stored.
    unsafe {
        let x = args.get();
        if TYPEOF(x) != SEXPTYPE::VECSXP {
            return args;
        }
        let n = XLENGTH(x);
        if !(0..n).any(|i| !self_evaluating(VECTOR_ELT(x, i))) {
            return args;
        }
        let out = Robj::from_sexp(Rf_shallow_duplicate(x));
        for i in 0..n {
            let value = VECTOR_ELT(x, i);
            if !self_evaluating(value) {
                let tail = Rf_protect(Rf_cons(value, R_NilValue));
                SET_VECTOR_ELT(out.get(), i, Rf_lcons(R_QuoteSymbol, tail));
                Rf_unprotect(1);
            }
        }
        out
    }
}

extendr_module! {
    mod quote;
    fn rs_quoted_args;
}
