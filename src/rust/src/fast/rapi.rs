//! R's C API as the fast path uses it: declarations extendr-ffi 0.9 leaves out (all public entry
//! points of `Rinternals.h`, exported by libR), reading values without evaluating anything, and a
//! protected stack that keeps what a walk makes alive.
//!
//! Nothing here evaluates R code: environments are read only after checking that the binding
//! exists and is neither active nor a promise. The only R errors possible are allocation
//! failures.

use extendr_ffi::{
    cetype_t, R_ClassSymbol, R_NaString, R_NamesSymbol, R_NilValue, R_PreserveObject, R_UnboundValue, Rboolean,
    Rf_allocVector, Rf_cons, Rf_getAttrib, Rf_install, Rf_mkCharLenCE, Rf_protect, Rf_unprotect, CAR, CDR, LENGTH,
    MARK_NOT_MUTABLE, R_CHAR, SET_STRING_ELT, SET_TAG, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TAG, TYPEOF,
    VECTOR_ELT, XLENGTH,
};
use std::os::raw::{c_char, c_int};

pub type ProtectIndex = c_int;

// `SEXP` points to a struct extendr-ffi declares opaque; only the pointer crosses the boundary.
#[allow(improper_ctypes)]
extern "C" {
    pub fn ATTRIB(x: SEXP) -> SEXP;
    pub fn SET_ATTRIB(x: SEXP, v: SEXP);
    pub fn OBJECT(x: SEXP) -> c_int;
    pub fn CLOENV(x: SEXP) -> SEXP;
    pub fn FORMALS(x: SEXP) -> SEXP;
    pub fn BODY(x: SEXP) -> SEXP;
    pub fn Rf_shallow_duplicate(x: SEXP) -> SEXP;
    pub fn R_ClosureExpr(x: SEXP) -> SEXP;
    pub fn R_existsVarInFrame(rho: SEXP, symbol: SEXP) -> Rboolean;
    pub fn R_BindingIsActive(symbol: SEXP, rho: SEXP) -> Rboolean;
    pub fn Rf_findVarInFrame3(rho: SEXP, symbol: SEXP, do_get: Rboolean) -> SEXP;
    pub fn Rf_getCharCE(x: SEXP) -> cetype_t;
    pub fn Rf_ScalarLogical(x: c_int) -> SEXP;
    pub fn Rf_ScalarReal(x: f64) -> SEXP;
    pub fn Rf_ScalarString(x: SEXP) -> SEXP;
    pub fn R_ProtectWithIndex(s: SEXP, index: *mut ProtectIndex);
    pub fn R_Reprotect(s: SEXP, index: ProtectIndex);
    pub fn Rf_allocSExp(kind: SEXPTYPE) -> SEXP;
    pub fn SET_FORMALS(x: SEXP, v: SEXP);
    pub fn SET_BODY(x: SEXP, v: SEXP);
    pub fn SET_CLOENV(x: SEXP, v: SEXP);
}

pub use extendr_ffi::{R_NewEnv, Rf_ScalarInteger, Rf_defineVar};

/// Why the fast path hands a value back to R.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

pub type Fast<T> = Result<T, Fallback>;

/// Turns a condition into a fallback.
pub fn ensure(ok: bool) -> Fast<()> {
    if ok {
        Ok(())
    } else {
        Err(Fallback)
    }
}

/// A UTF-8 CHARSXP of `text` (no NUL, shorter than 2^31 bytes: the fast path only makes names
/// and short texts).
pub unsafe fn mkchar(text: &str) -> SEXP {
    Rf_mkCharLenCE(text.as_ptr() as *const c_char, text.len() as c_int, cetype_t::CE_UTF8)
}

pub unsafe fn install(name: &str) -> SEXP {
    let c = std::ffi::CString::new(name).expect("symbol names hold no NUL");
    Rf_install(c.as_ptr())
}

/// The text of a CHARSXP when it is ASCII or marked UTF-8; `None` for `NA`, other encodings
/// (which R would translate) and invalid UTF-8.
pub unsafe fn char_str<'a>(c: SEXP) -> Option<&'a str> {
    if c == R_NaString {
        return None;
    }
    let bytes = std::slice::from_raw_parts(R_CHAR(c) as *const u8, LENGTH(c) as usize);
    let encoding = Rf_getCharCE(c);
    if encoding == cetype_t::CE_UTF8 || (encoding != cetype_t::CE_BYTES && bytes.is_ascii()) {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// `kc_is_string()`: a character vector of length 1, not `NA` (attributes allowed).
pub unsafe fn is_string(x: SEXP) -> bool {
    TYPEOF(x) == SEXPTYPE::STRSXP && XLENGTH(x) == 1 && STRING_ELT(x, 0) != R_NaString
}

/// The text of `kc_is_string()` value, when the fast path can read it.
pub unsafe fn string_text<'a>(x: SEXP) -> Option<&'a str> {
    if is_string(x) {
        char_str(STRING_ELT(x, 0))
    } else {
        None
    }
}

pub unsafe fn is_object(x: SEXP) -> bool {
    OBJECT(x) != 0
}

/// Whether `x`'s only attribute, if any, is `names`.
pub unsafe fn only_names(x: SEXP) -> bool {
    let mut a = ATTRIB(x);
    while a != R_NilValue {
        if TAG(a) != R_NamesSymbol {
            return false;
        }
        a = CDR(a);
    }
    true
}

/// Whether the class attribute of `x` holds the CHARSXP `class` (compared by pointer: R keeps
/// one CHARSXP per ASCII text).
pub unsafe fn has_class(x: SEXP, class: SEXP) -> bool {
    if !is_object(x) {
        return false;
    }
    let cls = Rf_getAttrib(x, R_ClassSymbol);
    if TYPEOF(cls) != SEXPTYPE::STRSXP {
        return false;
    }
    (0..XLENGTH(cls)).any(|i| STRING_ELT(cls, i) == class)
}

/// The environment of an instance: `x` itself, or the environment of a callable one (a layer or
/// a model: a closure of class `callable`, see R/callable.R); `None` for anything else.
pub unsafe fn instance_env(x: SEXP, callable: SEXP) -> Option<SEXP> {
    match TYPEOF(x) {
        SEXPTYPE::ENVSXP => Some(x),
        SEXPTYPE::CLOSXP if has_class(x, callable) => {
            let env = CLOENV(x);
            (TYPEOF(env) == SEXPTYPE::ENVSXP).then_some(env)
        }
        _ => None,
    }
}

/// The value bound to `symbol` in the frame of `env`, when it can be read without evaluating:
/// `Ok(None)` when unbound, a fallback for active bindings and promises.
pub unsafe fn binding(env: SEXP, symbol: SEXP) -> Fast<Option<SEXP>> {
    // R reads a frame's fields without checking the type: a closure (a callable layer) given
    // for its environment would be read as garbage.
    ensure(TYPEOF(env) == SEXPTYPE::ENVSXP)?;
    if !bool::from(R_existsVarInFrame(env, symbol)) {
        return Ok(None);
    }
    if bool::from(R_BindingIsActive(symbol, env)) {
        return Err(Fallback);
    }
    let value = Rf_findVarInFrame3(env, symbol, Rboolean::TRUE);
    if value == R_UnboundValue || TYPEOF(value) == SEXPTYPE::PROMSXP {
        return Err(Fallback);
    }
    Ok(Some(value))
}

/// `env[[name]]` as R reads it when the value is used: `NULL` when unbound.
pub unsafe fn binding_or_null(env: SEXP, symbol: SEXP) -> Fast<SEXP> {
    Ok(binding(env, symbol)?.unwrap_or(R_NilValue))
}

/// Position of the first name equal to the CHARSXP `name` in the `names` vector `names`; `None`
/// when there are no names (`NULL`: XLENGTH of it is an R error, a long jump over Rust frames).
pub unsafe fn find_name(names: SEXP, name: SEXP) -> Option<isize> {
    if TYPEOF(names) != SEXPTYPE::STRSXP {
        return None;
    }
    (0..XLENGTH(names)).find(|&i| STRING_ELT(names, i) == name)
}

/// `x[[name, exact = TRUE]]` for a list with names `names`: `NULL` when absent.
pub unsafe fn element(x: SEXP, names: SEXP, name: SEXP) -> SEXP {
    find_name(names, name).map_or(R_NilValue, |i| VECTOR_ELT(x, i))
}

/// Marks an object R must copy before modifying, however it is reached, with everything it
/// holds. For values the fast path hands out more than once.
pub unsafe fn freeze(x: SEXP) {
    MARK_NOT_MUTABLE(x);
    if TYPEOF(x) == SEXPTYPE::VECSXP {
        for i in 0..XLENGTH(x) {
            freeze(VECTOR_ELT(x, i));
        }
    }
}

/// Keeps `x` alive for the rest of the session, unmodifiable. For caches.
pub unsafe fn preserve(x: SEXP) -> SEXP {
    R_PreserveObject(x);
    freeze(x);
    x
}

/// A character vector of `texts`, preserved for the session.
pub unsafe fn preserved_strings(texts: &[&str]) -> SEXP {
    let v = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, texts.len() as isize));
    for (i, t) in texts.iter().enumerate() {
        SET_STRING_ELT(v, i as isize, mkchar(t));
    }
    preserve(v);
    Rf_unprotect(1);
    v
}

/// A CHARSXP preserved for the session (R's string cache drops unused ones).
pub unsafe fn preserved_char(text: &str) -> SEXP {
    STRING_ELT(preserved_strings(&[text]), 0)
}

/// Every object a walk makes, kept alive by one protected list that only grows, so Rust can hold
/// bare pointers to them until the walk ends. The list is made on first use (a walk that falls
/// back at once makes nothing) and takes one slot of R's protection stack, released on drop: drop
/// it before anything protected after it is unprotected (in practice, keep it the last thing made
/// in a `.Call`).
pub struct Keep {
    vector: Option<SEXP>,
    slot: ProtectIndex,
    len: usize,
}

impl Keep {
    pub fn new() -> Keep {
        Keep { vector: None, slot: 0, len: 0 }
    }

    /// Keeps `x`, which may be unprotected (it is protected while the list is made or grows);
    /// returns it.
    pub unsafe fn keep(&mut self, x: SEXP) -> SEXP {
        let vector = match self.vector {
            None => {
                Rf_protect(x);
                let vector = Rf_allocVector(SEXPTYPE::VECSXP, 64);
                Rf_unprotect(1);
                R_ProtectWithIndex(vector, &mut self.slot);
                self.vector = Some(vector);
                vector
            }
            Some(vector) if self.len == XLENGTH(vector) as usize => {
                Rf_protect(x);
                let bigger = Rf_allocVector(SEXPTYPE::VECSXP, (self.len * 2) as isize);
                // The old list's items are unprotected from here until copied; nothing allocates.
                R_Reprotect(bigger, self.slot);
                for i in 0..self.len {
                    SET_VECTOR_ELT(bigger, i as isize, VECTOR_ELT(vector, i as isize));
                }
                self.vector = Some(bigger);
                Rf_unprotect(1);
                bigger
            }
            Some(vector) => vector,
        };
        SET_VECTOR_ELT(vector, self.len as isize, x);
        self.len += 1;
        x
    }
}

impl Drop for Keep {
    fn drop(&mut self) {
        if self.vector.is_some() {
            // SAFETY: the slot `keep` took is on top: every protect made after it is balanced.
            unsafe { Rf_unprotect(1) }
        }
    }
}

/// A closure of no arguments: `function() <body>`, enclosed by `env`.
pub unsafe fn closure(body: SEXP, env: SEXP) -> SEXP {
    let f = Rf_allocSExp(SEXPTYPE::CLOSXP);
    SET_FORMALS(f, R_NilValue);
    SET_BODY(f, body);
    SET_CLOENV(f, env);
    f
}

/// A closure with `template`'s arguments and body, enclosed by `env` (`environment(f) <- env`).
pub unsafe fn rebound(template: SEXP, env: SEXP) -> SEXP {
    let f = Rf_allocSExp(SEXPTYPE::CLOSXP);
    SET_FORMALS(f, FORMALS(template));
    SET_BODY(f, BODY(template));
    SET_CLOENV(f, env);
    f
}

/// The expression of a closure's body (through its byte code, when compiled).
pub unsafe fn closure_expr(f: SEXP) -> SEXP {
    R_ClosureExpr(f)
}

/// The first argument of the call `call`, or `None` when it has none.
pub unsafe fn first_arg(call: SEXP) -> Option<SEXP> {
    let rest = CDR(call);
    (rest != R_NilValue).then(|| CAR(rest))
}

/// Whether the class attribute of `x` is exactly `class`.
pub unsafe fn is_only_class(x: SEXP, class: SEXP) -> bool {
    let cls = Rf_getAttrib(x, R_ClassSymbol);
    TYPEOF(cls) == SEXPTYPE::STRSXP && XLENGTH(cls) == 1 && STRING_ELT(cls, 0) == class
}

/// A new list with `x`'s names holding `values`: a list walk's result when an element changed.
/// The walks keep `x` itself when nothing did, so parsed values stay shared.
pub unsafe fn rebuilt(keep: &mut Keep, x: SEXP, values: &[SEXP]) -> SEXP {
    let out = keep.keep(Rf_allocVector(SEXPTYPE::VECSXP, values.len() as isize));
    for (i, &value) in values.iter().enumerate() {
        SET_VECTOR_ELT(out, i as isize, value);
    }
    let names = Rf_getAttrib(x, R_NamesSymbol);
    if names != R_NilValue {
        set_names(out, names);
    }
    out
}

/// `names(x) <- names` for a new vector `x` without attributes and a character vector `names` of
/// its length and without `NA`: what `Rf_setAttrib()` ends up doing then, without its checks and
/// coercions (a tenth of a model's serialization time). `x` must be protected.
pub unsafe fn set_names(x: SEXP, names: SEXP) {
    let cell = Rf_cons(names, R_NilValue);
    SET_TAG(cell, R_NamesSymbol);
    SET_ATTRIB(x, cell);
}

/// Whether R's `eval()` gives `x` back as it is (a constant, a list, a function, an
/// environment), so `do.call()` may pass it without quoting: anything else is code R would run.
pub unsafe fn self_evaluating(x: SEXP) -> bool {
    matches!(
        TYPEOF(x),
        SEXPTYPE::NILSXP
            | SEXPTYPE::LGLSXP
            | SEXPTYPE::INTSXP
            | SEXPTYPE::REALSXP
            | SEXPTYPE::CPLXSXP
            | SEXPTYPE::STRSXP
            | SEXPTYPE::RAWSXP
            | SEXPTYPE::VECSXP
            | SEXPTYPE::ENVSXP
            | SEXPTYPE::CLOSXP
            | SEXPTYPE::BUILTINSXP
            | SEXPTYPE::SPECIALSXP
    )
}
