//! Pieces of R's C API the codec needs beyond `extendr-ffi` 0.9: declarations of public entry
//! points (`Rinternals.h`, all exported by libR) that it leaves out, and reading an R string's
//! bytes as UTF-8.

use extendr_ffi::{cetype_t, Rboolean, LENGTH, R_CHAR, SEXP};
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

/// `PROTECT_INDEX`: a slot on R's protection stack that can be re-pointed.
pub type ProtectIndex = c_int;

// `SEXP` points to a struct extendr-ffi declares opaque (non-exhaustive, hence this lint); only
// the pointer crosses the boundary, as in extendr-ffi's own declarations.
#[allow(improper_ctypes)]
extern "C" {
    pub fn R_ProtectWithIndex(s: SEXP, index: *mut ProtectIndex);
    pub fn R_Reprotect(s: SEXP, index: ProtectIndex);
    pub fn Rf_ScalarLogical(x: c_int) -> SEXP;
    pub fn Rf_ScalarReal(x: f64) -> SEXP;
    pub fn Rf_ScalarString(x: SEXP) -> SEXP;
    pub fn Rf_getCharCE(x: SEXP) -> cetype_t;
    pub fn Rf_translateCharUTF8(x: SEXP) -> *const c_char;
    pub fn Rf_inherits(x: SEXP, name: *const c_char) -> Rboolean;
    /// How many references R counts to `x` (`MAYBE_SHARED(x)` is `REFCNT(x) > 1`).
    pub fn REFCNT(x: SEXP) -> c_int;
    pub fn vmaxget() -> *mut c_void;
    pub fn vmaxset(ptr: *const c_void);
}

/// The UTF-8 bytes of the CHARSXP `c` (not `NA`), translated when R marks it as another encoding.
/// Strings marked `"bytes"` are refused: R will not translate them, and they have no declared
/// encoding to translate from.
///
/// # Safety
/// `c` must be a live CHARSXP, and the bytes are only valid while it is, or, when translated,
/// until R's transient memory is released (`vmaxset`, or the end of the `.Call`).
pub unsafe fn char_utf8<'a>(c: SEXP) -> Result<&'a [u8], &'static str> {
    let own = R_CHAR(c);
    let ptr = match Rf_getCharCE(c) {
        cetype_t::CE_BYTES => return Err("a string marked as \"bytes\" (its encoding is unknown)"),
        cetype_t::CE_UTF8 => own,
        // ASCII and UTF-8-locale strings come back as they are; Latin-1 ones are translated.
        _ => Rf_translateCharUTF8(c),
    };
    if ptr == own {
        Ok(std::slice::from_raw_parts(own as *const u8, LENGTH(c) as usize))
    } else {
        Ok(CStr::from_ptr(ptr).to_bytes())
    }
}
