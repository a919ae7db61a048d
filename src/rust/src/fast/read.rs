//! Configs → R objects, for whole subtrees of plain values and Keras built-ins: what
//! `kc_deserialize()` (R/deserialize.R) and, for built-in classes, `kc_builtin_init()`
//! (R/builtins.R) give, or a [`Fallback`] for anything else. A fallback leaves no trace: shared
//! objects are recorded only once the whole walk succeeded.
//!
//! # Safety argument
//! Every R object the walk makes is kept by [`Keep`] before the next allocation (or protected by
//! the object it was stored into); everything else it points to is held by the input (a `.Call`
//! argument), by the registry, a scope or `custom_objects` (which do not change during a
//! `.Call`: no R code runs), by an environment R passed, or by the session caches. So every
//! pointer held in Rust is to a live object.

use super::plan::{self, coerce, entry_for_key, Coerce, KeyClass, Numeric, NumericClass, Plan, ValueKind};
use super::rapi::{
    binding, char_str, closure, element, ensure, find_name, has_class, install, instance_env, is_object, is_only_class,
    only_names, rebound, rebuilt, self_evaluating, string_text, Fallback, Fast, Keep, R_NewEnv, Rf_ScalarInteger,
    Rf_ScalarReal, Rf_ScalarString, Rf_defineVar, Rf_shallow_duplicate, ATTRIB, CLOENV,
};
use super::rcache::{consts, default_key, entry_r, key_symbol, Consts, EntryR};
use super::sources::{Found, Level, Lookup};
use crate::catalog::Entry;
use extendr_ffi::{
    R_ClassSymbol, R_EmptyEnv, R_NaString, R_NamesSymbol, R_NilValue, Rf_allocVector, Rf_getAttrib, Rf_setAttrib,
    INTEGER_ELT, REAL_ELT, SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};
use kerasconfig_core::{Kind, Request};

/// Configs nest a few dozen levels; deeper input goes to R, which reports it properly. Kept low
/// because this recursion and R's own share the C stack R checks.
const MAX_DEPTH: usize = 100;

/// `NA_integer_` in R's storage.
const NA_INTEGER: i32 = i32::MIN;

/// The R values a walk reads besides its input: `.Call` arguments, alive for the whole call.
pub struct Env {
    pub custom: SEXP,
    pub module: SEXP,
    /// `kc_state$shared` or `NULL`.
    pub shared: SEXP,
    /// `kc_builtin_objects`.
    pub builtins: SEXP,
    /// `kc_bound_bodies`.
    pub bodies: SEXP,
}

/// Runs `walk` with a reader over `env`, then records the shared objects it made: only when the
/// whole walk succeeded, so a fallback leaves no trace.
unsafe fn run(env: &Env, walk: impl FnOnce(&mut Reader) -> Fast<SEXP>) -> Fast<extendr_api::Robj> {
    ensure(TYPEOF(env.builtins) == SEXPTYPE::ENVSXP)?;
    let bodies = Bodies::of(env.bodies)?;
    let shared = match TYPEOF(env.shared) {
        SEXPTYPE::NILSXP => None,
        SEXPTYPE::ENVSXP => Some(env.shared),
        _ => return Err(Fallback),
    };
    let lookup = Lookup::new(env.custom, env.module)?;
    let mut keep = Keep::new();
    let mut reader = Reader {
        keep: &mut keep,
        c: consts(),
        builtins: env.builtins,
        bodies,
        shared,
        lookup,
        pending: Vec::new(),
        stack: Vec::new(),
        own_class: None,
    };
    let value = walk(&mut reader)?;
    if let Some(shared) = shared {
        // Every pending object is kept; `install` and `defineVar` allocate.
        for (key, obj) in &reader.pending {
            Rf_defineVar(install(key), *obj, shared);
        }
    }
    let result = extendr_api::Robj::from_sexp(value);
    drop(reader);
    drop(keep);
    Ok(result)
}

/// Deserializes the plain list `x` as `kc_deserialize()` would, or falls back: with the class
/// `x` names when `x` is an object config that `kc_deserialize_object()` would accept as it is
/// (what it checks before building is checked, the class resolved in the same sources), so R
/// goes straight to building it (a custom class; a built-in one whose config needs R).
///
/// # Safety
/// On R's main thread, with `.Call` arguments (alive for the whole call).
pub unsafe fn deserialize(x: SEXP, env: &Env) -> Result<extendr_api::Robj, Option<SEXP>> {
    if TYPEOF(x) != SEXPTYPE::VECSXP || is_object(x) {
        return Err(None);
    }
    let mut custom = None;
    let result = run(env, |reader| {
        let value = reader.value(x, Level::Top, 0);
        custom = reader.own_class;
        value
    });
    result.map_err(|_| custom)
}

/// A built-in model of class `cls` (its generator) from its `config` and its `layers` built
/// already, one per entry of `config$layers` (R builds them when some need R: custom classes),
/// as `model()` builds it from the config alone. `names`: the layers' names (a Sequential
/// model's; a Functional model's are in its config). R has checked that they are layers.
///
/// # Safety
/// As [`deserialize`].
pub unsafe fn model_from_layers(
    cls: SEXP,
    config: SEXP,
    layers: SEXP,
    names: SEXP,
    depth: usize,
    env: &Env,
) -> Fast<extendr_api::Robj> {
    ensure(TYPEOF(config) == SEXPTYPE::VECSXP && !is_object(config))?;
    ensure(TYPEOF(layers) == SEXPTYPE::VECSXP && TYPEOF(names) == SEXPTYPE::STRSXP)?;
    ensure(XLENGTH(names) == XLENGTH(layers))?;
    run(env, |reader| {
        let c = reader.c;
        let (entry, generator) = builtin_class(c, cls)?;
        let plan = plan::plan(entry.id).ok_or(Fallback)?;
        reader.model(entry, plan, generator, Some(config), depth, Some(Built { layers, names }))
    })
}

/// Layers built before their model (see [`model_from_layers`]).
#[derive(Clone, Copy)]
struct Built {
    layers: SEXP,
    names: SEXP,
}

struct Reader<'k> {
    keep: &'k mut Keep,
    c: &'static Consts,
    /// `kc_builtin_objects`: key → R object of each built-in.
    builtins: SEXP,
    bodies: Bodies,
    /// `kc_state$shared`: shared-object id → object, when R keeps one.
    shared: Option<SEXP>,
    lookup: Lookup,
    /// Objects with a `shared_object_id` made in this walk, recorded in `shared` at the end.
    pending: Vec<(String, SEXP)>,
    /// Values waiting for their list.
    stack: Vec<SEXP>,
    /// The class of the walk's own object config, found valid (see [`deserialize`]).
    own_class: Option<SEXP>,
}

/// `kc_bound_bodies` (R/shapes.R): the bodies of a layer's `output` and `input` bindings, the
/// template of a Sequential model's `build` method, and the template of the callable a layer or
/// a model is (`kc_callable()` in R/callable.R).
#[derive(Clone, Copy)]
struct Bodies {
    output: SEXP,
    input: SEXP,
    build: SEXP,
    call: SEXP,
}

impl Bodies {
    unsafe fn of(x: SEXP) -> Fast<Bodies> {
        ensure(TYPEOF(x) == SEXPTYPE::VECSXP && XLENGTH(x) == 4)?;
        let (build, call) = (VECTOR_ELT(x, 2), VECTOR_ELT(x, 3));
        ensure(TYPEOF(build) == SEXPTYPE::CLOSXP && TYPEOF(call) == SEXPTYPE::CLOSXP)?;
        Ok(Bodies { output: VECTOR_ELT(x, 0), input: VECTOR_ELT(x, 1), build, call })
    }
}

impl Reader<'_> {
    unsafe fn keep(&mut self, x: SEXP) -> SEXP {
        self.keep.keep(x)
    }

    unsafe fn value(&mut self, x: SEXP, level: Level, depth: usize) -> Fast<SEXP> {
        ensure(depth <= MAX_DEPTH)?;
        match TYPEOF(x) {
            SEXPTYPE::NILSXP => Ok(x),
            SEXPTYPE::STRSXP => {
                // A string that is a custom-object key becomes that object.
                if XLENGTH(x) != 1 || STRING_ELT(x, 0) == R_NaString || !self.lookup.may_find(level)? {
                    return Ok(x);
                }
                let name = char_str(STRING_ELT(x, 0)).ok_or(Fallback)?;
                Ok(self.lookup.string(level, name)?.unwrap_or(x))
            }
            SEXPTYPE::LGLSXP | SEXPTYPE::INTSXP | SEXPTYPE::REALSXP | SEXPTYPE::CPLXSXP | SEXPTYPE::RAWSXP => Ok(x),
            SEXPTYPE::VECSXP if !is_object(x) => self.list(x, level, depth),
            SEXPTYPE::CLOSXP | SEXPTYPE::BUILTINSXP | SEXPTYPE::SPECIALSXP => Ok(x),
            // Classed values (instances, arrays, ...) are deserialized already; R refuses the rest.
            _ if is_object(x) => Ok(x),
            _ => Err(Fallback),
        }
    }

    unsafe fn list(&mut self, x: SEXP, level: Level, depth: usize) -> Fast<SEXP> {
        ensure(only_names(x))?;
        let names = Rf_getAttrib(x, R_NamesSymbol);
        if names == R_NilValue {
            return self.elementwise(x, level, depth);
        }
        ensure((0..XLENGTH(names)).all(|i| STRING_ELT(names, i) != R_NaString))?;
        let has_class_name = find_name(names, self.c.chr_class_name).is_some();
        if has_class_name && find_name(names, self.c.chr_config).is_some() {
            return self.object(x, names, level, depth);
        }
        // Keras 2's `__tuple__` encoding is R's to read.
        ensure(!(has_class_name && find_name(names, self.c.chr_items).is_some()))?;
        self.elementwise(x, level, depth)
    }

    /// Each element deserialized, names kept; `x` itself when nothing changed.
    unsafe fn elementwise(&mut self, x: SEXP, level: Level, depth: usize) -> Fast<SEXP> {
        let len = XLENGTH(x);
        let base = self.stack.len();
        let mut changed = false;
        for i in 0..len {
            let item = VECTOR_ELT(x, i);
            let value = self.value(item, level, depth + 1)?;
            changed |= value != item;
            self.stack.push(value);
        }
        // A list that holds something deserialized is one R would walk, refusing keys that are
        // not valid text (`kc_all_text()`): such keys are R's to report.
        if changed {
            let names = Rf_getAttrib(x, R_NamesSymbol);
            if names != R_NilValue {
                ensure(all_text(names))?;
            }
        }
        let out = if changed { rebuilt(self.keep, x, &self.stack[base..]) } else { x };
        self.stack.truncate(base);
        Ok(out)
    }

    /// A config with `class_name` and `config` (`kc_deserialize_object()`).
    unsafe fn object(&mut self, x: SEXP, names: SEXP, level: Level, depth: usize) -> Fast<SEXP> {
        let c = self.c;
        let class_name = string_text(element(x, names, c.chr_class_name)).ok_or(Fallback)?;
        // R checks module and registered_name before anything else.
        optional_string(element(x, names, c.chr_module))?;
        if let Some(i) = find_name(names, c.chr_registered_name) {
            optional_string(VECTOR_ELT(x, i))?;
        }
        match class_name {
            "__keras_tensor__" => return self.keras_tensor(element(x, names, c.chr_config)),
            "__ellipsis__" => {
                ensure(is_plain_list_or_null(element(x, names, c.chr_config)))?;
                return Ok(c.ellipsis);
            }
            "__slice__" => return self.slice(element(x, names, c.chr_config), level, depth),
            _ => {}
        }
        // Other special encodings (and names R cannot look a decoder up by) are R's.
        ensure(!class_name.is_empty() && !class_name.starts_with("__"))?;
        let module = optional_string(element(x, names, c.chr_module))?;
        let registered_name = match find_name(names, c.chr_registered_name) {
            None => Some(class_name),
            Some(i) => optional_string(VECTOR_ELT(x, i))?,
        };
        let inner = element(x, names, c.chr_config);
        if class_name == "function" {
            return self.function(x, names, inner, module, level);
        }

        let inner = match TYPEOF(inner) {
            SEXPTYPE::NILSXP => None,
            SEXPTYPE::VECSXP if !is_object(inner) => {
                ensure(XLENGTH(inner) == 0 || Rf_getAttrib(inner, R_NamesSymbol) != R_NilValue)?;
                Some(inner)
            }
            _ => return Err(Fallback),
        };
        let shared_id = element(x, names, c.chr_shared_object_id);
        let shared_key = if shared_id == R_NilValue { None } else { Some(shared_key(shared_id)?) };
        if let Some(key) = &shared_key {
            if let Some(found) = self.shared_object(key)? {
                return Ok(found);
            }
        }

        let req = Request { kind: Kind::Class, name: class_name, module, registered_name };
        // When the walk's own object falls back, R builds it with the class found here (see
        // [`deserialize`]).
        let own = depth == 0 && level == Level::Top && shared_key.is_none();
        let resolved = match self.lookup.resolve(level, &req)? {
            // A custom class is built by its own R code.
            Found::Custom(cls) => {
                if own {
                    self.note_own_class(cls, names, inner);
                }
                return Err(Fallback);
            }
            Found::Builtin(e) => e,
        };
        // The R object of the built-in, and the catalog entry its class info comes from.
        let class_object = binding(self.builtins, key_symbol(resolved))?.ok_or(Fallback)?;
        if own {
            self.note_own_class(class_object, names, inner);
        }
        let (entry, generator) = builtin_class(c, class_object)?;
        let plan = plan::plan(entry.id).ok_or(Fallback)?;
        let model = entry.family == "models";
        let obj = if model {
            self.model(entry, plan, generator, inner, depth, None)?
        } else {
            self.instance(plan, entry_r(entry), generator, inner, depth, None)?
        };
        // Where its fields go (the environment of a layer or a model, which are callables).
        let env = instance_env(obj, c.chr_kc_callable).ok_or(Fallback)?;

        // What `kc_deserialize_object()` adds once the object is made: a model's compile config
        // deserialized (`kc_restore_optional()`), anything else as given; no build_config on a
        // layer Keras builds in its constructor (`shape::built_at_init`).
        for (chr, sym) in [(c.chr_build_config, c.sym_build_config), (c.chr_compile_config, c.sym_compile_config)] {
            if chr == c.chr_build_config && !model && crate::shape::built_at_init(&entry.canonical) {
                continue;
            }
            let mut value = element(x, names, chr);
            if model && chr == c.chr_compile_config && value != R_NilValue {
                value = self.value(value, Level::Nested, depth + 1)?;
            }
            if value != R_NilValue {
                Rf_defineVar(sym, value, env);
            }
        }
        if let Some(key) = shared_key {
            Rf_defineVar(c.sym_shared_id, shared_id, env);
            if self.shared.is_some() {
                self.pending.push((key, obj));
            }
        }
        Ok(obj)
    }

    /// Notes `cls` as the class of the walk's own object config (keys `names`, `config` dict
    /// `inner`) when nothing in the dict is R's to report: its keys, and those of its config,
    /// are all text (`kc_all_text()`); the rest `object` checked before resolving.
    unsafe fn note_own_class(&mut self, cls: SEXP, names: SEXP, inner: Option<SEXP>) {
        let inner_names = inner.map_or(R_NilValue, |inner| Rf_getAttrib(inner, R_NamesSymbol));
        if all_text(names) && (inner_names == R_NilValue || all_text(inner_names)) {
            self.own_class = Some(cls);
        }
    }

    /// `__keras_tensor__` (`kc_special_decoders` in R/specials.R): shape, dtype (float32 when
    /// absent) and keras_history as given, in a `keras_tensor` value. Functional models hold
    /// one per node input, so this is the fast path's most frequent special.
    unsafe fn keras_tensor(&mut self, inner: SEXP) -> Fast<SEXP> {
        let c = self.c;
        let (shape, dtype, history) = match TYPEOF(inner) {
            SEXPTYPE::NILSXP => (R_NilValue, R_NilValue, R_NilValue),
            SEXPTYPE::VECSXP if !is_object(inner) => {
                let names = Rf_getAttrib(inner, R_NamesSymbol);
                if names == R_NilValue {
                    ensure(XLENGTH(inner) == 0)?;
                    (R_NilValue, R_NilValue, R_NilValue)
                } else {
                    let get = |chr| find_name(names, chr).map_or(R_NilValue, |i| VECTOR_ELT(inner, i));
                    (get(c.chr_shape), get(c.chr_dtype), get(c.chr_keras_history))
                }
            }
            _ => return Err(Fallback),
        };
        // R turns an atomic shape into a list: that is R's.
        ensure(matches!(TYPEOF(shape), SEXPTYPE::NILSXP) || (TYPEOF(shape) == SEXPTYPE::VECSXP && !is_object(shape)))?;
        let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 3));
        SET_VECTOR_ELT(out, 0, shape);
        SET_VECTOR_ELT(out, 1, if dtype == R_NilValue { c.float32 } else { dtype });
        SET_VECTOR_ELT(out, 2, history);
        Rf_setAttrib(out, R_NamesSymbol, c.tensor_names);
        Rf_setAttrib(out, R_ClassSymbol, c.tensor_class);
        Ok(out)
    }

    /// `__slice__` (`kc_special_decoders` in R/specials.R): start, stop and step, each
    /// deserialized one level deeper, in a `keras_slice` value.
    unsafe fn slice(&mut self, inner: SEXP, level: Level, depth: usize) -> Fast<SEXP> {
        let c = self.c;
        ensure(is_plain_list_or_null(inner))?;
        let names = Rf_getAttrib(inner, R_NamesSymbol);
        let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 3));
        for (i, chr) in [c.chr_start, c.chr_stop, c.chr_step].into_iter().enumerate() {
            let given = if names == R_NilValue {
                R_NilValue
            } else {
                find_name(names, chr).map_or(R_NilValue, |j| VECTOR_ELT(inner, j))
            };
            SET_VECTOR_ELT(out, i as isize, self.value(given, level, depth + 1)?);
        }
        Rf_setAttrib(out, R_NamesSymbol, c.slice_names);
        Rf_setAttrib(out, R_ClassSymbol, c.slice_class);
        Ok(out)
    }

    /// A function config: the custom or built-in function it names.
    unsafe fn function(&mut self, x: SEXP, names: SEXP, inner: SEXP, module: Option<&str>, level: Level) -> Fast<SEXP> {
        let c = self.c;
        let name = string_text(inner).ok_or(Fallback)?;
        let shared_id = element(x, names, c.chr_shared_object_id);
        let shared_key = if shared_id == R_NilValue { None } else { Some(shared_key(shared_id)?) };
        if let Some(key) = &shared_key {
            if let Some(found) = self.shared_object(key)? {
                return Ok(found);
            }
        }
        let req = Request { kind: Kind::Function, name, module, registered_name: None };
        let f = match self.lookup.resolve(level, &req)? {
            Found::Custom(obj) => obj,
            Found::Builtin(entry) => {
                let f = binding(self.builtins, key_symbol(entry))?.ok_or(Fallback)?;
                ensure(f != R_NilValue)?;
                f
            }
        };
        let Some(key) = shared_key else { return Ok(f) };
        // Keras marks shared functions too: the id rides on a copy of the function, which keeps
        // the name it was found under, as `structure(f, keras_name =, keras_shared_object_id =)`
        // makes it. (Only closures: a copy of a primitive is the primitive itself.)
        ensure(TYPEOF(f) == SEXPTYPE::CLOSXP)?;
        let marked = self.keep(Rf_shallow_duplicate(f));
        Rf_setAttrib(marked, c.sym_keras_name, inner);
        Rf_setAttrib(marked, c.sym_keras_shared_id, shared_id);
        if self.shared.is_some() {
            self.pending.push((key, marked));
        }
        Ok(marked)
    }

    /// The object recorded under a shared-object id, in this walk or before it.
    unsafe fn shared_object(&self, key: &str) -> Fast<Option<SEXP>> {
        if let Some((_, obj)) = self.pending.iter().find(|(k, _)| k == key) {
            return Ok(Some(*obj));
        }
        let Some(env) = self.shared else {
            return Ok(None);
        };
        Ok(binding(env, install(key))?.filter(|&v| v != R_NilValue))
    }

    /// A built-in instance from its config, as `kc_instantiate()` and `kc_builtin_init()` make
    /// it (without `initialize` and `.__args__`, which only R-side construction uses).
    unsafe fn instance(
        &mut self,
        plan: &'static Plan,
        er: &'static EntryR,
        generator: SEXP,
        inner: Option<SEXP>,
        depth: usize,
        prebuilt: Option<(isize, SEXP)>,
    ) -> Fast<SEXP> {
        let c = self.c;
        let (len, given_names) = match inner {
            None => (0, R_NilValue),
            Some(list) => (XLENGTH(list), Rf_getAttrib(list, R_NamesSymbol)),
        };
        let nkeys = plan.keys.len();
        let mut given = vec![false; nkeys];
        let mut classes: Vec<(KeyClass, &str)> = Vec::with_capacity(len as usize);
        for i in 0..len {
            let key = char_str(STRING_ELT(given_names, i)).filter(|k| !k.is_empty()).ok_or(Fallback)?;
            let class = plan.classify(key);
            match class {
                KeyClass::Default(d) => {
                    ensure(!given[d])?;
                    given[d] = true;
                    // A key Keras moves when it is set (`activity_regularizer`, after `dtype`): R
                    // places it.
                    ensure(
                        plan.rules.after(key).is_none() || VECTOR_ELT(inner.unwrap_or(R_NilValue), i) == R_NilValue,
                    )?;
                    // An automatic config (`Rules::auto`) follows the order given: the fast path
                    // writes the default order, so it takes only the default keys' prefix, in order.
                    ensure(
                        !plan.rules.auto
                            || classes.iter().filter(|(c, _)| matches!(c, KeyClass::Default(_))).count() == d,
                    )?;
                }
                KeyClass::Extra => ensure(!classes.iter().any(|(_, k)| *k == key))?,
                KeyClass::Fallback => return Err(Fallback),
            }
            classes.push((class, key));
        }
        let has = |name: &str| classes.iter().any(|(_, k)| *k == name);
        ensure(plan.required.iter().all(|r| has(r)))?;
        // R would make up a unique name or draw a seed.
        ensure(!plan.generates_name || has("name"))?;
        ensure(!plan.draws_seed || has("seed"))?;
        // A key defaulting to another given one (`strides` to `pool_size`): R copies it.
        ensure(plan.copies.iter().all(|(q, p)| has(q) || !has(p)))?;
        // A value Keras derives from the arguments (`catalog/derive.rs`): R applies the rule.
        ensure(!plan.derives(inner.unwrap_or(R_NilValue), er.defaults))?;

        // The default config, with fresh objects for the object configs not given...
        let base = self.stack.len();
        for (d, (_, rule)) in plan.keys.iter().enumerate() {
            let default = VECTOR_ELT(er.defaults, d as isize);
            let value = if !given[d] && rule.default == (plan::DefaultKind::List { dict: true }) {
                self.value(default, Level::Nested, depth + 1)?
            } else {
                default
            };
            self.stack.push(value);
        }
        // ...then the given values, in their order, deserialized when lists and coerced.
        let mut extras: Vec<(SEXP, SEXP)> = Vec::new();
        for (i, &(class, key)) in classes.iter().enumerate() {
            let given_value = VECTOR_ELT(inner.unwrap_or(R_NilValue), i as isize);
            let value = if let Some((_, built)) = prebuilt.filter(|&(at, _)| at == i as isize) {
                built
            } else if TYPEOF(given_value) == SEXPTYPE::VECSXP && !is_object(given_value) {
                self.value(given_value, Level::Nested, depth + 1)?
            } else {
                ensure(self_evaluating(given_value))?;
                given_value
            };
            let rule = match class {
                KeyClass::Default(d) => &plan.keys[d].1,
                _ => plan.extra_rule(key).ok_or(Fallback)?,
            };
            let value = self.coerce(rule, value)?;
            match class {
                KeyClass::Default(d) => self.stack[base + d] = value,
                _ if value != R_NilValue => extras.push((STRING_ELT(given_names, i as isize), value)),
                _ => {}
            }
        }

        let total = nkeys + extras.len();
        let config = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, total as isize));
        for d in 0..nkeys {
            SET_VECTOR_ELT(config, d as isize, self.stack[base + d]);
        }
        self.stack.truncate(base);
        for (j, &(_, value)) in extras.iter().enumerate() {
            SET_VECTOR_ELT(config, (nkeys + j) as isize, value);
        }
        let config_names = if extras.is_empty() {
            er.default_names
        } else {
            let names = self.keep(Rf_allocVector(SEXPTYPE::STRSXP, total as isize));
            for d in 0..nkeys {
                SET_STRING_ELT(names, d as isize, default_key(er, d));
            }
            for (j, &(name, _)) in extras.iter().enumerate() {
                SET_STRING_ELT(names, (nkeys + j) as isize, name);
            }
            names
        };
        Rf_setAttrib(config, R_NamesSymbol, config_names);
        // Keras' argument checks: a config failing one goes to R, which raises the error.
        ensure(plan.passes_checks(config))?;

        // Unhashed: an instance holds a few bindings, which a short frame finds faster than a
        // hash table would (and the table would be one more allocation per instance).
        let env = self.keep(R_NewEnv(R_EmptyEnv, 0, 0));
        Rf_defineVar(c.sym_class, generator, env);
        Rf_defineVar(c.sym_config, config, env);
        // `get_config()` returns the config: `function() .__config__`, enclosed by the instance.
        let get_config = self.keep(closure(c.sym_config, env));
        Rf_defineVar(c.sym_get_config, get_config, env);
        Rf_setAttrib(env, R_ClassSymbol, er.class);
        if er.callable_class == R_NilValue {
            return Ok(env);
        }
        // A layer or a model is the callable enclosed by its environment, as R makes it.
        let callable = self.keep(rebound(self.bodies.call, env));
        Rf_setAttrib(callable, R_ClassSymbol, er.callable_class);
        Ok(callable)
    }

    /// A built-in Sequential or Functional model, as `kc_sequential_from_config()` and
    /// `kc_functional_from_config()` (R/models.R) make it: each layer built, checked to be a
    /// layer (or, in a Functional model, an operation), names unique, the graph checked by
    /// `graph::check_functional` (R's check too), then the instance, its `build` method (a
    /// Sequential model's), the config the shape engine reads, and each layer bound to it.
    unsafe fn model(
        &mut self,
        entry: &'static Entry,
        plan: &'static Plan,
        generator: SEXP,
        inner: Option<SEXP>,
        depth: usize,
        built: Option<Built>,
    ) -> Fast<SEXP> {
        let c = self.c;
        // Models are built in a scope of their own in R, where top-level and nested lookups of
        // `custom_objects` and `module_objects` differ; without them they are the same.
        ensure(self.lookup.plain()?)?;
        let functional = match entry.canonical.as_str() {
            "Functional" => true,
            "Sequential" => false,
            _ => return Err(Fallback),
        };
        let inner = inner.ok_or(Fallback)?;
        let names = Rf_getAttrib(inner, R_NamesSymbol);
        let required: &[SEXP] = if functional {
            &[c.chr_layers, c.chr_input_layers, c.chr_output_layers]
        } else {
            &[c.chr_name, c.chr_layers]
        };
        ensure(required.iter().all(|&k| find_name(names, k).is_some()))?;
        let at = find_name(names, c.chr_layers).ok_or(Fallback)?;
        let items = VECTOR_ELT(inner, at);
        ensure(TYPEOF(items) == SEXPTYPE::VECSXP && ATTRIB(items) == R_NilValue)?;

        let n = XLENGTH(items);
        ensure(built.is_none_or(|b| XLENGTH(b.layers) == n))?;
        let layers = match built {
            Some(b) => b.layers,
            None => self.keep(Rf_allocVector(SEXPTYPE::VECSXP, n)),
        };
        let entries = if functional { self.keep(Rf_allocVector(SEXPTYPE::VECSXP, n)) } else { layers };
        let layer_names = self.keep(Rf_allocVector(SEXPTYPE::STRSXP, n));
        let mut texts: Vec<String> = Vec::with_capacity(n as usize);
        // Names seen, for the uniqueness check (models may hold many thousands of layers).
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::with_capacity(n as usize);
        let mut initial: Vec<u32> = Vec::new();
        let mut inbound: Vec<SEXP> = Vec::new();
        for i in 0..n {
            let item = VECTOR_ELT(items, i);
            ensure(TYPEOF(item) == SEXPTYPE::VECSXP && !is_object(item) && only_names(item))?;
            let item_names = Rf_getAttrib(item, R_NamesSymbol);
            ensure(
                item_names != R_NilValue && (0..XLENGTH(item_names)).all(|j| STRING_ELT(item_names, j) != R_NaString),
            )?;
            ensure(find_name(item_names, c.chr_class_name).is_some() && find_name(item_names, c.chr_config).is_some())?;
            let layer = match built {
                Some(b) => VECTOR_ELT(b.layers, i),
                None => {
                    // A Functional entry's `name` and `inbound_nodes` are not the layer's:
                    // `object()` reads only the keys of an object config.
                    let layer = self.object(item, item_names, Level::Nested, depth + 2)?;
                    SET_VECTOR_ELT(layers, i, layer);
                    let bases = builtin_entry_of(c, layer)?.bases.as_deref().unwrap_or(&[]);
                    ensure(bases.iter().any(|b| b == "Layer" || (functional && b == "Operation")))?;
                    layer
                }
            };
            let name = if functional {
                element(item, item_names, c.chr_name)
            } else if let Some(b) = built {
                self.keep(Rf_ScalarString(STRING_ELT(b.names, i)))
            } else {
                let config =
                    binding(instance_env(layer, c.chr_kc_callable).ok_or(Fallback)?, c.sym_config)?.ok_or(Fallback)?;
                element(config, Rf_getAttrib(config, R_NamesSymbol), c.chr_name)
            };
            let text = string_text(name).ok_or(Fallback)?;
            ensure(!text.is_empty() && seen.insert(text))?;
            texts.push(text.to_owned());
            SET_STRING_ELT(layer_names, i, STRING_ELT(name, 0));
            if functional {
                let nodes = self.value(element(item, item_names, c.chr_inbound_nodes), Level::Nested, depth + 3)?;
                let e = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 3));
                SET_VECTOR_ELT(e, 0, layer);
                SET_VECTOR_ELT(e, 1, name);
                SET_VECTOR_ELT(e, 2, nodes);
                Rf_setAttrib(e, R_NamesSymbol, c.functional_entry_names);
                Rf_setAttrib(e, R_ClassSymbol, c.functional_entry_class);
                SET_VECTOR_ELT(entries, i, e);
                inbound.push(nodes);
                initial.push(u32::from(
                    has_class(layer, c.chr_input_layer_class) || has_class(layer, c.chr_functional_class),
                ));
            }
        }
        if functional {
            let endpoints = [element(inner, names, c.chr_input_layers), element(inner, names, c.chr_output_layers)];
            ensure(crate::graph::check_functional(&texts, &initial, &inbound, endpoints).is_ok())?;
        }

        let er = entry_r(entry);
        let obj = self.instance(plan, er, generator, Some(inner), depth, Some((at, entries)))?;
        let env = instance_env(obj, c.chr_kc_callable).ok_or(Fallback)?;
        // Keras' Trainer.get_compile_config(): {} until the model is compiled.
        Rf_defineVar(c.sym_compile_config, c.empty_named_list, env);
        // The config as loaded, for the shape engine (`kc_with_shapes()`).
        let source = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 2));
        SET_VECTOR_ELT(source, 0, er.class_name);
        SET_VECTOR_ELT(source, 1, inner);
        Rf_setAttrib(source, R_NamesSymbol, c.special_names);
        Rf_defineVar(c.sym_shape_source, source, env);
        if !functional {
            let build = self.keep(rebound(self.bodies.build, env));
            Rf_defineVar(c.sym_build, build, env);
        }
        crate::shape::rapi::bind_layers(obj, layers, layer_names, [self.bodies.output, self.bodies.input]);
        Ok(obj)
    }

    /// `kc_builtin_coerce()` of a value already deserialized.
    unsafe fn coerce(&mut self, rule: &plan::KeyRule, value: SEXP) -> Fast<SEXP> {
        let kind = self.kind(value)?;
        Ok(match coerce(rule, &kind) {
            // An activation name other than a built-in one (a custom one, or one Keras refuses): R.
            Coerce::Keep if rule.activation && kind == ValueKind::String1 => {
                ensure(char_str(STRING_ELT(value, 0)).is_some_and(crate::catalog::is_activation_name))?;
                value
            }
            Coerce::Keep => value,
            Coerce::Linear => self.c.linear,
            Coerce::Name => {
                let name = Rf_getAttrib(value, self.c.sym_keras_name);
                ensure(name != R_NilValue)?;
                name
            }
            Coerce::Float32(v) => self.keep(Rf_ScalarReal(v)),
            Coerce::Integer(v) => self.keep(Rf_ScalarInteger(v)),
            Coerce::Fallback => return Err(Fallback),
        })
    }

    /// What coercion needs to know about a value.
    unsafe fn kind(&self, x: SEXP) -> Fast<ValueKind> {
        let c = self.c;
        let t = TYPEOF(x);
        if t == SEXPTYPE::NILSXP {
            return Ok(ValueKind::Null);
        }
        if has_class(x, c.chr_keras_builtin_function) {
            ensure(matches!(t, SEXPTYPE::CLOSXP | SEXPTYPE::BUILTINSXP | SEXPTYPE::SPECIALSXP))?;
            return Ok(ValueKind::BuiltinFunction);
        }
        Ok(match t {
            SEXPTYPE::STRSXP if XLENGTH(x) == 1 => ValueKind::String1,
            SEXPTYPE::INTSXP | SEXPTYPE::REALSXP => {
                let len = XLENGTH(x) as usize;
                let (first, first_missing) = match (t, len) {
                    (_, 0) => (0.0, false),
                    (SEXPTYPE::INTSXP, _) => {
                        let v = INTEGER_ELT(x, 0);
                        (f64::from(v), v == NA_INTEGER)
                    }
                    _ => {
                        let v = REAL_ELT(x, 0);
                        (v, v.is_nan())
                    }
                };
                let class = if !is_object(x) {
                    NumericClass::None
                } else if is_only_class(x, c.chr_keras_integer) {
                    NumericClass::KerasInteger
                } else {
                    NumericClass::Other
                };
                ValueKind::Numeric(Numeric {
                    integer: t == SEXPTYPE::INTSXP,
                    len,
                    attributes: ATTRIB(x) != R_NilValue,
                    class,
                    first,
                    first_missing,
                })
            }
            _ => ValueKind::Other,
        })
    }
}

/// The catalog entry of a built-in instance (its class's `key`); a fallback for anything else
/// (custom classes keep their class info, not a key).
unsafe fn builtin_entry_of(c: &Consts, obj: SEXP) -> Fast<&'static Entry> {
    let env = instance_env(obj, c.chr_kc_callable).ok_or(Fallback)?;
    let class_object = binding(env, c.sym_class)?.ok_or(Fallback)?;
    Ok(builtin_class(c, class_object)?.0)
}

/// The catalog entry and the generator of a built-in class object (a `keras_class` closure whose
/// environment holds its `key`); a fallback for anything else.
unsafe fn builtin_class(c: &Consts, class_object: SEXP) -> Fast<(&'static Entry, SEXP)> {
    ensure(TYPEOF(class_object) == SEXPTYPE::CLOSXP && has_class(class_object, c.chr_keras_class))?;
    let class_env = CLOENV(class_object);
    ensure(TYPEOF(class_env) == SEXPTYPE::ENVSXP)?;
    let key = binding(class_env, c.sym_key)?.ok_or(Fallback)?;
    let entry = entry_for_key(string_text(key).ok_or(Fallback)?).ok_or(Fallback)?;
    let generator = binding(class_env, c.sym_generator)?.ok_or(Fallback)?;
    Ok((entry, generator))
}

/// `kc_optional_string()`: `NULL`, or a string the fast path can read.
/// `kc_all_text()`: every name is text R compares (as `char_str` reads it, or stricter).
unsafe fn all_text(names: SEXP) -> bool {
    (0..XLENGTH(names)).all(|i| char_str(STRING_ELT(names, i)).is_some())
}

unsafe fn optional_string<'a>(x: SEXP) -> Fast<Option<&'a str>> {
    if x == R_NilValue {
        Ok(None)
    } else {
        string_text(x).map(Some).ok_or(Fallback)
    }
}

/// What R's decoders take as a special encoding's `config`: `NULL` or a list that is no object.
unsafe fn is_plain_list_or_null(x: SEXP) -> bool {
    TYPEOF(x) == SEXPTYPE::NILSXP || (TYPEOF(x) == SEXPTYPE::VECSXP && !is_object(x))
}

/// `sprintf("%.0f", as.numeric(id))`, for ids the fast path is sure to format the same way.
unsafe fn shared_key(id: SEXP) -> Fast<String> {
    // The type first: XLENGTH of an environment or NULL is an R error, a long jump over this frame.
    let kind = TYPEOF(id);
    ensure(matches!(kind, SEXPTYPE::INTSXP | SEXPTYPE::REALSXP) && XLENGTH(id) == 1)?;
    match kind {
        SEXPTYPE::INTSXP => {
            let v = INTEGER_ELT(id, 0);
            ensure(v != NA_INTEGER)?;
            Ok(v.to_string())
        }
        SEXPTYPE::REALSXP => shared_key_text(REAL_ELT(id, 0)).ok_or(Fallback),
        _ => Err(Fallback),
    }
}

/// The integer text of a whole, finite double (not `-0`, which `%.0f` writes with its sign).
pub fn shared_key_text(v: f64) -> Option<String> {
    // Ids from 2^53 on are R's: a double cannot tell them apart, so R keys them by the exact
    // digits the JSON reader kept (`keras_integer`).
    if !v.is_finite() || v != v.trunc() || (v == 0.0 && v.is_sign_negative()) || v.abs() >= 9_007_199_254_740_992.0 {
        return None;
    }
    Some((v as i64).to_string())
}

#[cfg(test)]
mod tests {
    use super::shared_key_text;

    #[test]
    fn shared_ids_format_as_sprintf_does() {
        assert_eq!(shared_key_text(12.0).as_deref(), Some("12"));
        assert_eq!(shared_key_text(-3.0).as_deref(), Some("-3"));
        assert_eq!(shared_key_text(0.0).as_deref(), Some("0"));
        assert_eq!(shared_key_text(140234567891234.0).as_deref(), Some("140234567891234"));
        assert_eq!(shared_key_text(9_007_199_254_740_991.0).as_deref(), Some("9007199254740991"));
        assert_eq!(shared_key_text(9_007_199_254_740_992.0), None);
        assert_eq!(shared_key_text(-1e20), None);
        assert_eq!(shared_key_text(-0.0), None);
        assert_eq!(shared_key_text(1.5), None);
        assert_eq!(shared_key_text(f64::NAN), None);
        assert_eq!(shared_key_text(f64::INFINITY), None);
    }
}
