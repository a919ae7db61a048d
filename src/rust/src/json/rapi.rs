//! Pieces of R's C API the codec needs beyond `extendr-ffi` 0.9: declarations of public entry
//! points (`Rinternals.h`, all exported by libR) that it leaves out, and reading an R string's
//! bytes as UTF-8.

use extendr_ffi::{cetype_t, Rboolean, Rf_mkCharLenCE, Rf_protect, Rf_unprotect, LENGTH, R_CHAR, SEXP};
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
    pub fn R_tryCatchError(
        body: unsafe extern "C" fn(*mut c_void) -> SEXP,
        body_data: *mut c_void,
        handler: unsafe extern "C" fn(SEXP, *mut c_void) -> SEXP,
        handler_data: *mut c_void,
    ) -> SEXP;
    pub fn vmaxset(ptr: *const c_void);
}

/// The UTF-8 bytes of the CHARSXP `c` (not `NA`), translated when R marks it as another encoding.
/// Strings marked `"bytes"` are refused: R will not translate them, and they have no declared
/// encoding to translate from. Unmarked non-ASCII strings are in the native encoding: in a UTF-8
/// locale their bytes are used as they are, for the caller to validate (R's translation would
/// quietly turn invalid bytes into `<ff>` escapes); elsewhere R translates them.
///
/// # Safety
/// `c` must be a live CHARSXP, and the bytes are only valid while it is, or, when translated,
/// until R's transient memory is released (`vmaxset`, or the end of the `.Call`).
pub unsafe fn char_utf8<'a>(c: SEXP) -> Result<&'a [u8], &'static str> {
    let own = R_CHAR(c);
    let bytes = std::slice::from_raw_parts(own as *const u8, LENGTH(c) as usize);
    match Rf_getCharCE(c) {
        cetype_t::CE_BYTES => Err("a string marked as \"bytes\" (its encoding is unknown)"),
        cetype_t::CE_UTF8 => Ok(bytes),
        // Not validated here: every caller does (the parser reporting where).
        cetype_t::CE_NATIVE if bytes.is_ascii() || native_is_utf8() => Ok(bytes),
        // Latin-1 strings, and native ones in another locale, are translated.
        _ => {
            let ptr = Rf_translateCharUTF8(c);
            Ok(if ptr == own { bytes } else { CStr::from_ptr(ptr).to_bytes() })
        }
    }
}

/// Whether R's native encoding is UTF-8: "é" written in UTF-8 and marked native translates to
/// itself only then. Asked once; the locale's encoding does not change within a session.
fn native_is_utf8() -> bool {
    static NATIVE_UTF8: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *NATIVE_UTF8.get_or_init(|| unsafe {
        let probe = Rf_protect(Rf_mkCharLenCE(c"\u{e9}".as_ptr(), 2, cetype_t::CE_NATIVE));
        let same = CStr::from_ptr(Rf_translateCharUTF8(probe)).to_bytes() == "\u{e9}".as_bytes();
        Rf_unprotect(1);
        same
    })
}

/// Runs `make`, one R allocation, so that R failing to allocate comes back as `None` instead of
/// an R error: that error would long-jump over the caller's frames and leak what they own (a
/// large buffer, most often the very data the allocation was for). Worth its cost (R's
/// `tryCatch` machinery) for large allocations only. The result is unprotected.
///
/// # Safety
/// On R's main thread. `make` must own nothing that needs dropping: on failure R jumps out of
/// it to `R_tryCatchError`.
pub unsafe fn guarded_alloc(make: &mut dyn FnMut() -> SEXP) -> Option<SEXP> {
    unsafe extern "C" fn body(data: *mut c_void) -> SEXP {
        let make = &mut *(data as *mut &mut dyn FnMut() -> SEXP);
        make()
    }
    unsafe extern "C" fn failed(_condition: SEXP, _data: *mut c_void) -> SEXP {
        extendr_ffi::R_NilValue
    }
    let mut make = make;
    let result = R_tryCatchError(body, &mut make as *mut _ as *mut c_void, failed, std::ptr::null_mut());
    (result != extendr_ffi::R_NilValue).then_some(result)
}
