//! The fast path: whole subtrees of Keras built-ins and plain values, deserialized and
//! serialized natively. Anything that needs R comes back as a `kc_fallback` marker and R
//! handles that level itself (R/deserialize.R, R/serialize.R), so both paths give the same
//! objects and configs.
//!
//! `plan` holds the rules (pure Rust, tested without R); `read` and `write` walk R values with
//! R's C API (`rapi`), using the session caches of `rcache` and the name lookups of `sources`.
//! The walks never evaluate R code and never signal an R error other than running out of
//! memory: whatever R would do differently (call R code, warn, raise an error, make up a name)
//! is a fallback.
use extendr_api::prelude::*;

mod entries;
mod plan;
pub(crate) mod rapi;
mod rcache;
mod read;
mod sources;
mod write;

pub(crate) use rapi::Fallback;
pub(crate) use rcache::{consts, Consts};
pub(crate) use write::{
    function_name, holds_instance, instance_parts, kind, list_names, special_parts, Classes, InstanceParts, Kind, Name,
    SharedId, Sharing, SpecialParts,
};

/// The environment of an instance, callable (a layer or a model, R/callable.R) or not; `None`
/// for anything else.
///
/// # Safety
/// On R's main thread, with `x` alive.
pub(crate) unsafe fn instance_env(x: extendr_api::SEXP) -> Option<extendr_api::SEXP> {
    rapi::instance_env(x, rcache::consts().chr_kc_callable)
}

/// The `kc_fallback` marker R checks for.
pub(crate) fn fallback() -> Robj {
    // SAFETY: on R's main thread (inside `.Call`); the marker is preserved for the session.
    unsafe { Robj::from_sexp(rcache::consts().fallback) }
}

/// Deserializes `x` natively, or returns `kc_fallback`: a list holding the class to build `x`
/// with when `x` is a valid object config (R/deserialize.R), else empty. `bodies`:
/// `kc_bound_bodies` (R/shapes.R), the functions R binds into the models and layers it builds,
/// which native models get too.
#[extendr]
fn rs_fast_deserialize(
    x: Robj,
    custom_objects: Robj,
    module_objects: Robj,
    shared: Robj,
    builtins: Robj,
    bodies: Robj,
) -> Robj {
    // SAFETY: on R's main thread; the arguments are alive for the whole call.
    let env = unsafe { env(&custom_objects, &module_objects, &shared, &builtins, &bodies) };
    match unsafe { read::deserialize(x.get(), &env) } {
        Ok(value) => value,
        Err(None) => fallback(),
        // SAFETY: the class is held by the registry, a scope, `custom_objects`, `module_objects`
        // or `kc_builtin_objects`, all alive while R runs.
        Err(Some(cls)) => unsafe { rcache::fallback_with(cls) },
    }
}

/// A built-in model of class `cls` from its `config` and its layers built already (by R, when
/// some need R), with the layers' `names`, or `kc_fallback`. `depth`: the lists enclosing
/// `config`.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn rs_fast_model(
    cls: Robj,
    config: Robj,
    layers: Robj,
    names: Robj,
    depth: i32,
    module_objects: Robj,
    shared: Robj,
    builtins: Robj,
    bodies: Robj,
) -> Robj {
    // Its custom objects are in the scope R's from_config() runs in.
    let no_custom = Robj::from(());
    // SAFETY: on R's main thread; the arguments are alive for the whole call.
    let env = unsafe { env(&no_custom, &module_objects, &shared, &builtins, &bodies) };
    let depth = usize::try_from(depth).unwrap_or(0);
    unsafe { read::model_from_layers(cls.get(), config.get(), layers.get(), names.get(), depth, &env) }
        .unwrap_or_else(|_| fallback())
}

/// # Safety
/// The `Robj`s must outlive the walk (they are `.Call` arguments).
unsafe fn env(custom: &Robj, module: &Robj, shared: &Robj, builtins: &Robj, bodies: &Robj) -> read::Env {
    read::Env {
        custom: custom.get(),
        module: module.get(),
        shared: shared.get(),
        builtins: builtins.get(),
        bodies: bodies.get(),
    }
}

/// Serializes `x` natively, or returns `kc_fallback`. `twice`: `NULL` outside a sharing scope;
/// inside one, `kc_twice_keys` (R/serialize.R), and `x` is a whole top-level object.
#[extendr]
fn rs_fast_serialize(x: Robj, twice: Robj) -> Robj {
    // SAFETY: as above.
    let result = unsafe { write::serialize(x.get(), twice.get()) };
    result.unwrap_or_else(|_| fallback())
}

/// The class binding of an instance: an environment of class `keras_object` with a `.__class__`
/// binding that is not active, or the callable enclosed by one (R/callable.R). `None` for
/// anything else; `Some(Err(()))` when the binding is a promise, which only R may force, or a
/// value R must read itself: `NULL` (still an instance, though its class is `NULL`) and the
/// missing argument (an error to read).
///
/// # Safety
/// On R's main thread, with `x` alive. Nothing here evaluates.
pub(crate) unsafe fn instance_class(x: extendr_api::SEXP) -> Option<std::result::Result<extendr_api::SEXP, ()>> {
    use extendr_ffi::{R_MissingArg, R_NilValue, R_UnboundValue, Rboolean, SEXPTYPE, TYPEOF};
    use rapi::{R_BindingIsActive, R_existsVarInFrame, Rf_findVarInFrame3};
    let c = rcache::consts();
    let env = instance_env(x)?;
    if !rapi::has_class(env, c.chr_keras_object)
        || !bool::from(R_existsVarInFrame(env, c.sym_class))
        || bool::from(R_BindingIsActive(c.sym_class, env))
    {
        return None;
    }
    let value = Rf_findVarInFrame3(env, c.sym_class, Rboolean::TRUE);
    let ordinary = TYPEOF(value) != SEXPTYPE::PROMSXP && ![R_NilValue, R_MissingArg, R_UnboundValue].contains(&value);
    Some(if ordinary { Ok(value) } else { Err(()) })
}

/// `kc_instance_class()` (R/class.R): the class of an instance, `NULL` for anything else, and
/// `kc_fallback` for a promise or a class R must read itself (`NULL`, the missing argument). R
/// asks this of every object it handles: here it is one call instead of five.
#[extendr]
fn rs_instance_class(x: Robj) -> Robj {
    // SAFETY: on R's main thread; `x` is alive for the whole call.
    match unsafe { instance_class(x.get()) } {
        None => ().into(),
        Some(Err(())) => fallback(),
        // SAFETY: the class is bound in the instance, alive with it.
        Some(Ok(cls)) => unsafe { Robj::from_sexp(cls) },
    }
}

/// A Functional model's layer entries as `list(names, configs)`: each entry's `name`, and the
/// entry without its `name` and `inbound_nodes`; `NULL` when R must split them itself (it then
/// raises the error an entry calls for).
#[extendr]
fn rs_functional_entries(layers: Robj) -> Robj {
    // SAFETY: on R's main thread; `layers` is alive for the whole call.
    unsafe { entries::split(layers.get()) }.unwrap_or_else(|_| ().into())
}

extendr_module! {
    mod fast;
    fn rs_fast_deserialize;
    fn rs_fast_model;
    fn rs_functional_entries;
    fn rs_fast_serialize;
    fn rs_instance_class;
}
