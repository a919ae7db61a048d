//! kerasconfig's R glue. The logic lives in the `kerasconfig-core` crate (core/), plain Rust with
//! its own tests; this crate is the extendr seam: it converts R values, holds the process-wide
//! state, and hands results back to R. It never calls R functions: R code calls R methods with what
//! these return. Each module holds the R functions of one part of the core; `fast` builds and reads
//! R objects directly.
//!
//! Failures a user can cause come back as a list of class `kc_rust_error` (`class`, `message`)
//! that the R side turns into a classed condition; extendr's own errors are unclassed.

use extendr_api::prelude::*;
use parking_lot::Mutex;
use std::sync::LazyLock;

mod archive;
mod callsig;
mod catalog;
mod depth;
mod dot;
mod fast;
mod file;
mod graph;
mod hdf5;
mod json;
mod npz;
mod quote;
mod shape;

use kerasconfig_core::{Id, Kind, Objects, Registered, Registry, Request, Resolved, ScopeStack, Sources};

/// An R object held by the registry or a scope. Holding the `Robj` keeps it protected from R's
/// garbage collector; dropping it releases it.
#[derive(Clone)]
pub(crate) struct RObj(pub(crate) Robj);

// SAFETY: R objects are only ever touched from R's main thread: every entry point below is a
// `.Call` from R. The locks exist because the statics must be `Sync`, not for concurrency, and
// no lock is held across anything that can long-jump: objects leave a lock as raw pointers
// (`RObj::sexp`) and become `Robj`s after its release (`RObj::from_held`).
unsafe impl Send for RObj {}
unsafe impl Sync for RObj {}

static REGISTRY: LazyLock<Mutex<Registry<RObj>>> = LazyLock::new(|| Mutex::new(Registry::new()));
static SCOPES: LazyLock<Mutex<ScopeStack<RObj>>> = LazyLock::new(|| Mutex::new(ScopeStack::default()));
/// Keras' `safe_mode_saving` global: `None` until set; when set it overrides the argument.
static SAFE_MODE: Mutex<Option<bool>> = Mutex::new(None);

/// The registry and the scopes, for the fast path (fast/), which takes the same locks in the same
/// order (scopes, then registry) and never allocates R objects while holding them.
pub(crate) fn registry() -> &'static Mutex<Registry<RObj>> {
    &REGISTRY
}

pub(crate) fn scopes() -> &'static Mutex<ScopeStack<RObj>> {
    &SCOPES
}

impl RObj {
    /// The object itself, for copying out from under a lock. Making an `Robj` protects it, which
    /// can allocate (and long-jump on failure): that happens after the lock is released, while
    /// the registry or scope still holds the object.
    fn sexp(&self) -> extendr_ffi::SEXP {
        unsafe { self.0.get() }
    }

    fn from_held(sexp: extendr_ffi::SEXP) -> RObj {
        RObj(unsafe { Robj::from_sexp(sexp) })
    }
}

/// R identity: the same closure or environment has the same address.
fn identity(obj: &Robj) -> Id {
    unsafe { obj.get() as Id }
}

pub(crate) fn rust_error(class: &str, message: &str) -> Robj {
    let mut l = list!(class = class, message = message);
    l.set_class(&["kc_rust_error"]).expect("a list takes a class");
    l.into()
}

/// The text of the CHARSXP `c` as UTF-8 (translated from its declared encoding), or a classed
/// error naming `what`. extendr's own `&str` conversion trusts the bytes unchecked, so no R string
/// reaches Rust code except through here or `json::rapi::char_utf8`.
fn char_text(c: extendr_ffi::SEXP, what: &str) -> std::result::Result<String, Robj> {
    char_text_named(c, || what.to_owned())
}

/// `char_text`, naming the string only when it must be refused (no message made per name).
fn char_text_named(c: extendr_ffi::SEXP, what: impl Fn() -> String) -> std::result::Result<String, Robj> {
    let refuse = |problem: &str| rust_error("kerasconfig_error_encoding", &format!("{} is {problem}.", what()));
    let bytes = unsafe { json::rapi::char_utf8(c) }.map_err(&refuse)?;
    std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| refuse("a string that is not valid UTF-8"))
}

/// A single string argument (not `NA`), checked and translated to UTF-8.
fn text_arg(x: &Robj, what: &str) -> std::result::Result<String, Robj> {
    use extendr_ffi::{R_NaString, SEXPTYPE, STRING_ELT, TYPEOF, XLENGTH};
    let s = unsafe { x.get() };
    if unsafe { TYPEOF(s) != SEXPTYPE::STRSXP || XLENGTH(s) != 1 || STRING_ELT(s, 0) == R_NaString } {
        return Err(rust_error("kerasconfig_error_type", &format!("{what} must be a single string.")));
    }
    char_text(unsafe { STRING_ELT(s, 0) }, what)
}

/// A character vector without `NA`s, each element checked and translated to UTF-8.
pub(crate) fn texts_arg(x: &Robj, what: &str) -> std::result::Result<Vec<String>, Robj> {
    use extendr_ffi::{R_NaString, SEXPTYPE, STRING_ELT, TYPEOF, XLENGTH};
    let s = unsafe { x.get() };
    if unsafe { TYPEOF(s) } != SEXPTYPE::STRSXP {
        return Err(rust_error("kerasconfig_error_type", &format!("{what} must be a string.")));
    }
    (0..unsafe { XLENGTH(s) })
        .map(|i| {
            let c = unsafe { STRING_ELT(s, i) };
            if c == unsafe { R_NaString } {
                return Err(rust_error("kerasconfig_error_type", &format!("{what} must not be NA.")));
            }
            char_text(c, what)
        })
        .collect()
}

/// `NULL` or a single string.
fn optional_text_arg(x: &Robj, what: &str) -> std::result::Result<Option<String>, Robj> {
    if x.is_null() {
        Ok(None)
    } else {
        text_arg(x, what).map(Some)
    }
}

/// A named list's elements as `(name, object)` pairs; `NULL` gives none.
fn objects_from(list: &Robj, what: &str) -> std::result::Result<Objects<RObj>, Robj> {
    use extendr_ffi::{R_NaString, SEXPTYPE, STRING_ELT, TYPEOF, XLENGTH};
    if list.is_null() {
        return Ok(Vec::new());
    }
    let Some(values) = list.as_list() else {
        return Err(rust_error("kerasconfig_error_type", &format!("`{what}` must be a named list.")));
    };
    let unnamed = || rust_error("kerasconfig_error_type", &format!("Every element of `{what}` must be named."));
    let names = unsafe { extendr_ffi::Rf_getAttrib(list.get(), extendr_ffi::R_NamesSymbol) };
    if !values.is_empty() && unsafe { TYPEOF(names) != SEXPTYPE::STRSXP || XLENGTH(names) as usize != values.len() } {
        return Err(unnamed());
    }
    values
        .values()
        .enumerate()
        .map(|(i, obj)| {
            let c = unsafe { STRING_ELT(names, i as isize) };
            if c == unsafe { R_NaString } {
                return Err(unnamed());
            }
            let name = char_text_named(c, || format!("The name of `{what}`[[{}]]", i + 1))?;
            if name.is_empty() {
                Err(unnamed())
            } else {
                Ok((name, RObj(obj)))
            }
        })
        .collect()
}

/// `custom_objects` and `module_objects` arguments, converted.
fn both_objects(custom: &Robj, module: &Robj) -> std::result::Result<(Objects<RObj>, Objects<RObj>), Robj> {
    Ok((objects_from(custom, "custom_objects")?, objects_from(module, "module_objects")?))
}

fn named_list(pairs: Vec<(String, RObj)>) -> Robj {
    let (names, values): (Vec<String>, Vec<Robj>) = pairs.into_iter().map(|(k, o)| (k, o.0)).unzip();
    List::from_names_and_values(names, values).expect("names match values").into()
}

/// The identity of an R object (its address), as a number R can use as a key.
#[extendr]
fn rs_identity(object: Robj) -> f64 {
    identity(&object) as f64
}

/// Registers `object` under `key`; says whether it was new, the same, or replaced another.
#[extendr]
fn rs_register(key: Robj, object: Robj) -> Robj {
    let key = match text_arg(&key, "A registration key") {
        Ok(k) => k,
        Err(e) => return e,
    };
    let id = identity(&object);
    let outcome = match REGISTRY.lock().register(&key, id, RObj(object)) {
        Registered::New => "new",
        Registered::Same => "same",
        Registered::Replaced => "replaced",
    };
    outcome.into()
}

/// The registry key of `object`, or `NULL`.
#[extendr]
fn rs_registered_name(object: Robj) -> Nullable<String> {
    let name = REGISTRY.lock().name_of(identity(&object)).map(str::to_owned);
    name.map_or(Nullable::Null, Nullable::NotNull)
}

/// The registry as a named list, in registration order.
#[extendr]
fn rs_registry_entries() -> Robj {
    let pairs: Vec<(String, extendr_ffi::SEXP)> =
        REGISTRY.lock().entries().map(|(k, e)| (k.to_owned(), e.object.sexp())).collect();
    named_list(pairs.into_iter().map(|(k, s)| (k, RObj::from_held(s))).collect())
}

/// Empties the registry; returns what it held.
#[extendr]
fn rs_registry_clear() -> Robj {
    let old = REGISTRY.lock().clear();
    named_list(old.into_iter().map(|(k, e)| (k, e.object)).collect())
}

/// Makes `objects` the visible scope; returns the depth for `rs_scope_leave`. With `merged`,
/// the scope is deserialization's merged custom objects (argument < scope < global): the
/// global registry wins over it on a clash.
#[extendr]
fn rs_scope_enter(objects: Robj, merged: bool) -> Robj {
    match objects_from(&objects, "objects") {
        Ok(objects) => r!(scope_enter(objects, merged)),
        Err(e) => e,
    }
}

fn scope_enter(mut objects: Vec<(String, RObj)>, merged: bool) -> i32 {
    if merged {
        let visible: Vec<(String, extendr_ffi::SEXP)> =
            SCOPES.lock().visible().iter().map(|(k, o)| (k.clone(), o.sexp())).collect();
        for (k, v) in visible {
            let v = RObj::from_held(v);
            match objects.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => objects.push((k, v)),
            }
        }
        let global = REGISTRY.lock();
        objects.retain(|(k, _)| !global.contains_key(k));
    }
    SCOPES.lock().enter(objects) as i32
}

#[extendr]
fn rs_scope_leave(depth: i32) {
    SCOPES.lock().leave(depth.max(0) as usize);
}

/// Enters the context a `from_config()` runs in (`kc_with_context()`, R/deserialize.R) in one
/// call: the merged scope of `objects` (as `rs_scope_enter(objects, merged = TRUE)`) and safe
/// mode `safe`. With no objects and no scope open, the merged scope is empty as the visible one
/// is, so none is entered. Returns the token `rs_context_leave()` takes: the scope's depth (0 when
/// none was entered) and the safe mode before (`NA` when unset, else 0 or 1).
#[extendr]
fn rs_context_enter(objects: Robj, safe: bool) -> Robj {
    let objects = match objects_from(&objects, "objects") {
        Ok(o) => o,
        Err(e) => return e,
    };
    let depth = if objects.is_empty() && SCOPES.lock().depth() == 0 { 0 } else { scope_enter(objects, true) };
    let before = SAFE_MODE.lock().replace(safe);
    r!([depth, before.map_or(i32::MIN, i32::from)])
}

/// Leaves what `rs_context_enter()` entered (its `token`): the scope, and the safe mode restored.
#[extendr]
fn rs_context_leave(token: Robj) {
    let Some(&[depth, before]) = token.as_integer_slice() else {
        return;
    };
    if depth > 0 {
        SCOPES.lock().leave(depth as usize);
    }
    *SAFE_MODE.lock() = if before == i32::MIN { None } else { Some(before != 0) };
}

/// The visible scope objects as a named list.
#[extendr]
fn rs_scope_objects() -> Robj {
    let pairs: Vec<(String, extendr_ffi::SEXP)> =
        SCOPES.lock().visible().iter().map(|(k, o)| (k.clone(), o.sexp())).collect();
    named_list(pairs.into_iter().map(|(k, s)| (k, RObj::from_held(s))).collect())
}

/// The safe-mode setting: `NULL` (unset), `TRUE` or `FALSE`.
#[extendr]
fn rs_safe_mode_get() -> Robj {
    // Copied out first: making the `Robj` allocates, and no lock is held across that.
    let value = *SAFE_MODE.lock();
    match value {
        None => ().into(),
        Some(b) => r!(b),
    }
}

/// Sets the safe-mode setting (`NULL` unsets it); returns the previous one.
#[extendr]
fn rs_safe_mode_set(value: Nullable<bool>) -> Robj {
    let previous = rs_safe_mode_get();
    *SAFE_MODE.lock() = match value {
        Nullable::Null => None,
        Nullable::NotNull(b) => Some(b),
    };
    previous
}

/// `get_registered_object()`: the object under `name` (scope → global → custom_objects →
/// module_objects), or `NULL`.
#[extendr]
fn rs_lookup(name: Robj, custom_objects: Robj, module_objects: Robj) -> Robj {
    let (name, custom, module) = match text_arg(&name, "A name")
        .and_then(|n| both_objects(&custom_objects, &module_objects).map(|(c, m)| (n, c, m)))
    {
        Ok(o) => o,
        Err(e) => return e,
    };
    let found = {
        let scopes = SCOPES.lock();
        let global = REGISTRY.lock();
        let sources =
            Sources { scope: scopes.visible(), global: &global, custom_objects: &custom, module_objects: &module };
        sources.lookup(&name).map(RObj::sexp)
    };
    found.map_or_else(|| ().into(), |s| RObj::from_held(s).0)
}

/// The key R keeps a built-in's R object under: `"<module>.<canonical name>"`, with the module
/// Keras writes for it (functions: their public module).
pub(crate) fn builtin_key(entry: &catalog::Entry) -> String {
    let module = entry.serialized_as.module.as_deref().filter(|m| *m != "builtins").unwrap_or(&entry.module);
    format!("{module}.{}", entry.canonical)
}

/// The catalog id of the built-in R keeps under `key` (see `builtin_key`), or `NULL`.
#[extendr]
fn rs_builtin_lookup(key: Robj) -> Robj {
    let key = match text_arg(&key, "A built-in key") {
        Ok(k) => k,
        Err(e) => return e,
    };
    static KEYS: LazyLock<std::collections::HashMap<String, usize>> = LazyLock::new(|| {
        let mut keys = std::collections::HashMap::new();
        for entry in catalog::catalog().entries().iter().filter(|e| e.canonical_id == e.id) {
            keys.entry(builtin_key(entry)).or_insert(entry.id);
        }
        keys
    });
    KEYS.get(&key).map_or_else(|| ().into(), |&id| r!(id as i32))
}

/// Resolves one object config. `kind` is "class" or "function"; `name` is the class name or
/// the function's config string. Returns `list(kind = "custom", object = <R object>)`, `list(kind = "builtin", id, key)` or
/// a `kc_rust_error`.
#[extendr]
fn rs_resolve(
    kind: &str,
    name: Robj,
    module: Robj,
    registered_name: Robj,
    custom_objects: Robj,
    module_objects: Robj,
) -> Robj {
    let args = (|| {
        let what = if kind == "function" { "A function's `config`" } else { "`class_name`" };
        Ok((
            text_arg(&name, what)?,
            optional_text_arg(&module, "`module`")?,
            optional_text_arg(&registered_name, "`registered_name`")?,
            both_objects(&custom_objects, &module_objects)?,
        ))
    })();
    let (name, module, registered_name, (custom, module_objs)) = match args {
        Ok(a) => a,
        Err(e) => return e,
    };
    let req = Request {
        kind: if kind == "function" { Kind::Function } else { Kind::Class },
        name: &name,
        module: module.as_deref(),
        registered_name: registered_name.as_deref(),
    };
    let outcome = {
        let scopes = SCOPES.lock();
        let global = REGISTRY.lock();
        let sources =
            Sources { scope: scopes.visible(), global: &global, custom_objects: &custom, module_objects: &module_objs };
        match kerasconfig_core::resolve_suggesting(&req, &sources, catalog::catalog()) {
            Ok(Resolved::Custom(o)) => Ok(Ok(o.sexp())),
            Ok(Resolved::Builtin(e)) => Ok(Err(e)),
            Err(e) => Err(e),
        }
    };
    match outcome {
        Ok(Ok(o)) => list!(kind = "custom", object = RObj::from_held(o).0).into(),
        Ok(Err(entry)) => list!(kind = "builtin", id = entry.id as i32, key = builtin_key(entry)).into(),
        Err(e) => rust_error(e.class(), &e.message()),
    }
}

extendr_module! {
    mod kerasconfig;
    use archive;
    use callsig;
    use catalog;
    use depth;
    use dot;
    use fast;
    use file;
    use graph;
    use hdf5;
    use json;
    use npz;
    use quote;
    use shape;
    fn rs_identity;
    fn rs_register;
    fn rs_registered_name;
    fn rs_registry_entries;
    fn rs_registry_clear;
    fn rs_scope_enter;
    fn rs_scope_leave;
    fn rs_context_enter;
    fn rs_context_leave;
    fn rs_scope_objects;
    fn rs_safe_mode_get;
    fn rs_safe_mode_set;
    fn rs_lookup;
    fn rs_resolve;
    fn rs_builtin_lookup;
}
