//! The config codec: JSON text ↔ R values, byte-exact with Python's `json.dumps`.
//!
//! The core's codec is the pure parser and printer (tested and fuzzed without R); `rbuild` builds R
//! values from the parser, `rwalk` feeds R values to the printer (in its objects mode,
//! serializing Keras objects on the way with the fast serializer's checks, fast/write.rs); this
//! file is the extendr seam. Failures a user can cause come back as `kc_rust_error` lists (see
//! lib.rs), never as panics.

use extendr_api::prelude::*;
use extendr_ffi::{cetype_t, Rf_mkCharLenCE, Rf_protect, Rf_unprotect, RAW, SEXPTYPE, STRING_ELT, TYPEOF, XLENGTH};
use std::os::raw::{c_char, c_int};

pub(crate) mod rapi;
mod rbuild;
mod rwalk;

use kerasconfig_core::{parse_json, to_json};
use rbuild::RBuilder;
use rwalk::RValue;

/// The R condition class of every codec failure.
const JSON_ERROR: &str = "kerasconfig_json_error";

/// Parses JSON text, given as a raw vector of its bytes or a single string, into R values.
/// Returns a `kc_rust_error` list with `line` and `column` when the text is not valid.
#[extendr]
fn rs_json_parse(x: Robj) -> Robj {
    // SAFETY: `x` is a `.Call` argument, alive for the whole call.
    let input = match unsafe { input_bytes(&x) } {
        Ok(bytes) => bytes,
        Err(problem) => return rust_error(JSON_ERROR, &format!("`json` is {problem}."), Vec::new()),
    };
    // SAFETY: on R's main thread (inside `.Call`); `builder` is the last thing to unprotect, as
    // it is dropped at the end of this function, after its result is in extendr's keeping.
    let mut builder = unsafe { RBuilder::new(input.len()) };
    match parse_json(input, &mut builder) {
        Ok(()) => unsafe { Robj::from_sexp(builder.finish()) },
        Err(e) => {
            let (line, column) = e.location(input);
            let message = format!("Invalid JSON at line {line}, column {column}: {}.", e.kind.message());
            rust_error(JSON_ERROR, &message, vec![("line", r_int(line)), ("column", r_int(column))])
        }
    }
}

/// Writes R values as JSON text, compact or (`pretty`) in Python's `indent=2` layout. Returns a
/// `kc_rust_error` list with the `path` of the element that cannot be written.
#[extendr]
fn rs_json_write(x: Robj, pretty: bool) -> Robj {
    // SAFETY: on R's main thread; `x` is a `.Call` argument, protected for the whole call.
    let source = unsafe { RValue::new(x.get()) };
    match to_json(&source, pretty) {
        Ok(text) => string_robj(&text),
        Err(e) => {
            let path = e.path();
            let message = format!("Cannot write {} as JSON, at {path}.", e.problem);
            rust_error(JSON_ERROR, &message, vec![("path", path.into())])
        }
    }
}

/// `config_to_json(x)` for a value that holds Keras objects: the text of
/// `config_to_json(serialize_keras_object(x))` in one walk, without the R lists in between, or
/// `kc_fallback` when R must do it in two steps (R serializes, or the writer refuses what it gives,
/// and R reports that) or when `x` holds no instance (R writes it as it is). For a value of plain
/// lists and vectors it is the plain writer. `twice`: `NULL` outside an object-sharing scope;
/// inside one, `kc_twice_keys` (as for `rs_fast_serialize()`), and `x` is a whole top-level value.
#[extendr]
fn rs_json_write_objects(x: Robj, pretty: bool, twice: Robj) -> Robj {
    // SAFETY: on R's main thread; `x` and `twice` are `.Call` arguments, protected for the whole call.
    let source = unsafe { RValue::objects(x.get(), twice.get()) };
    match to_json(&source, pretty) {
        Ok(text) => string_robj(&text),
        Err(_) => crate::fast::fallback(),
    }
}

/// Whether `x` holds an instance in its lists: whether `config_to_json()` serializes it first.
#[extendr]
fn rs_holds_instance(x: Robj) -> bool {
    // SAFETY: as above.
    unsafe { crate::fast::holds_instance(x.get()) }
}

/// The bytes of a raw vector, or the UTF-8 bytes of a single string.
///
/// # Safety
/// The bytes borrow from `x` (or from R's transient memory, for a translated string): use them
/// only while `x` is alive and within the current `.Call`.
unsafe fn input_bytes(x: &Robj) -> std::result::Result<&[u8], &'static str> {
    let sexp = x.get();
    match TYPEOF(sexp) {
        SEXPTYPE::RAWSXP => {
            let len = XLENGTH(sexp) as usize;
            Ok(if len == 0 { &[] } else { std::slice::from_raw_parts(RAW(sexp), len) })
        }
        SEXPTYPE::STRSXP if XLENGTH(sexp) == 1 && !x.is_na() => rapi::char_utf8(STRING_ELT(sexp, 0)),
        _ => Err("`json` must be a raw vector or a single string."),
    }
}

/// A character(1) of ASCII `text`, made without extendr's per-object bookkeeping; a classed
/// error when R cannot allocate it.
fn string_robj(text: &str) -> Robj {
    let Ok(len) = c_int::try_from(text.len()) else {
        return rust_error(JSON_ERROR, "The JSON text is longer than R's string limit (2^31 - 1 bytes).", Vec::new());
    };
    // SAFETY: the CHARSXP is protected by `Rf_ScalarString`, the vector by `Rf_protect` until
    // extendr holds it; the text has no NUL (the printer escapes every control character).
    // Large texts are allocated guarded: an allocation error must not leak `text` itself.
    unsafe {
        let mut make = || rapi::Rf_ScalarString(Rf_mkCharLenCE(text.as_ptr() as *const c_char, len, cetype_t::CE_UTF8));
        let made = if text.len() < GUARDED_ALLOCATION { Some(make()) } else { rapi::guarded_alloc(&mut make) };
        let Some(made) = made else {
            return rust_error(
                JSON_ERROR,
                &format!("R could not allocate the {} bytes of JSON text.", text.len()),
                Vec::new(),
            );
        };
        let s = Rf_protect(made);
        let robj = Robj::from_sexp(s);
        Rf_unprotect(1);
        robj
    }
}

/// From this size on, R objects made from large Rust buffers are allocated guarded
/// (`rapi::guarded_alloc`); below it, R failing to allocate means R is failing anyway.
pub(crate) const GUARDED_ALLOCATION: usize = 1 << 20;

/// A `kc_rust_error` list: `class`, `message`, then `fields`.
fn rust_error(class: &str, message: &str, fields: Vec<(&str, Robj)>) -> Robj {
    let (mut names, mut values) = (vec!["class", "message"], vec![Robj::from(class), Robj::from(message)]);
    for (name, value) in fields {
        names.push(name);
        values.push(value);
    }
    let mut list = List::from_names_and_values(names, values).expect("as many names as values");
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

fn r_int(n: usize) -> Robj {
    Robj::from(i32::try_from(n).unwrap_or(i32::MAX))
}

extendr_module! {
    mod json;
    fn rs_json_parse;
    fn rs_json_write;
    fn rs_json_write_objects;
    fn rs_holds_instance;
}
