//! R objects → configs, for whole subtrees of plain values, built-in instances and named
//! functions: what `kc_serialize()` (R/serialize.R) gives outside a sharing scope, and what
//! `serialize_keras_object()` gives for a whole object inside one (R/sharing.R), or a
//! [`Fallback`] for anything else (instances of R classes, lambdas, arrays, raw vectors, special
//! values, objects whose methods were replaced).
//!
//! What a value is made of ([`kind`], [`instance_parts`], [`special_parts`], [`function_name`])
//! and a scope's ids ([`Sharing`]) are read here once for two writers: [`Writer`], which makes the
//! config as R lists, and the JSON writer's objects mode (json/rwalk.rs), which writes the same
//! config as text without making it.
//!
//! # Safety argument
//! As in `read.rs`: what the walk makes is kept by [`Keep`]; what it reads is held by the input,
//! the registry or the session caches, and nothing runs R code meanwhile.

use super::plan::entry_for_key;
use super::rapi::{
    binding, binding_or_null, closure_expr, ensure, find_name, first_arg, has_class, instance_env, is_object,
    is_only_class, mkchar, only_names, rebuilt, set_names, string_text, Fallback, Fast, Keep, Rf_ScalarString, ATTRIB,
    CLOENV, FORMALS,
};
use super::rcache::{consts, entry_r, Consts, EntryR};
use super::read::shared_key_text;
use super::sources::registered_name;
use crate::json::rapi::REFCNT;
use extendr_ffi::{
    R_NaString, R_NamesSymbol, R_NilValue, Rf_ScalarInteger, Rf_allocVector, Rf_getAttrib, CAR, INTEGER_ELT, REAL_ELT,
    SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

const MAX_DEPTH: usize = 100;

/// Serializes `x` as `kc_serialize()` would outside a sharing scope (`twice` is `NULL`), or as
/// `serialize_keras_object()` would inside one, or falls back. `twice`: `kc_twice_keys`
/// (R/serialize.R), class name → the config keys whose objects Keras serializes twice.
///
/// Inside a scope, the object is walked twice: the first walk counts how often each instance
/// occurs and which ids loaded objects keep ([`Sharing::counted`]), the second writes the ids (R
/// marks provisionally and settles the ids afterwards, `kc_sharing_finish()`; a walk cannot drop
/// a key it wrote).
///
/// # Safety
/// On R's main thread, with `.Call` arguments.
pub unsafe fn serialize(x: SEXP, twice: SEXP) -> Fast<extendr_api::Robj> {
    let mut sharing = if twice == R_NilValue { None } else { Some(Sharing::counted(twice, x)?) };
    let mut keep = Keep::new();
    let mut writer = Writer::new(&mut keep, sharing.as_mut());
    let value = writer.value(x, 0)?;
    let result = extendr_api::Robj::from_sexp(value);
    drop(writer);
    drop(keep);
    Ok(result)
}

/// A sharing scope's bookkeeping (R/sharing.R): occurrences of each instance without an id of
/// its own (by address), the ids loaded objects keep, and the ids given: 1, 2, ... in order of
/// first occurrence, to instances that occur more than once, skipping kept ones.
pub(crate) struct Sharing {
    twice: SEXP,
    /// Whether the counting walk is done (the second walk writes ids).
    counted: bool,
    counts: HashMap<usize, u32>,
    /// How often the counting walk met each instance (by address).
    met: HashMap<usize, u32>,
    /// How often it met each list R may share, by address and depth.
    lists_met: HashMap<(usize, usize), u32>,
    taken: HashSet<String>,
    ids: HashMap<usize, i32>,
    last: i32,
}

/// The `shared_object_id` an instance is written with.
#[derive(Clone, Copy)]
pub(crate) enum SharedId {
    None,
    /// The id a loaded object kept, written as it is.
    Kept(SEXP),
    /// An id the scope gave.
    New(i32),
}

impl Sharing {
    /// The bookkeeping of a scope around `x`, counted (`twice` as for [`serialize`]); a fallback
    /// when the fast path cannot serialize `x`.
    ///
    /// # Safety
    /// On R's main thread, with `x` and `twice` alive for as long as the result.
    pub(crate) unsafe fn counted(twice: SEXP, x: SEXP) -> Fast<Sharing> {
        let mut sharing = Sharing {
            twice,
            counted: false,
            counts: HashMap::new(),
            met: HashMap::new(),
            lists_met: HashMap::new(),
            taken: HashSet::new(),
            ids: HashMap::new(),
            last: 0,
        };
        sharing.count(consts(), &mut Classes::default(), x, 0)?;
        sharing.counted = true;
        Ok(sharing)
    }

    /// The counting walk: every occurrence of every instance the serialization meets, in the
    /// order the writing walks (here and in json/rwalk.rs) meet them, with the same checks.
    unsafe fn count(&mut self, c: &Consts, classes: &mut Classes, x: SEXP, depth: usize) -> Fast<()> {
        ensure(depth <= MAX_DEPTH)?;
        match kind(c, x, TYPEOF(x))? {
            Kind::Null | Kind::Atomic => {}
            Kind::List => self.count_items(c, classes, x, depth)?,
            Kind::Special => match special_parts(c, x)? {
                SpecialParts::Tensor { .. } => {}
                SpecialParts::Entry { layer, nodes, .. } => {
                    self.count(c, classes, layer, depth + 1)?;
                    self.count(c, classes, nodes, depth + 1)?;
                }
            },
            Kind::Instance(env) => {
                // Only whether an instance occurs more than once matters: after two walks of
                // an instance, everything it holds occurs twice (the dtype policy every layer
                // of a loaded model shares is walked twice, not once per layer).
                let met = self.met.entry(env as usize).or_insert(0);
                *met += 1;
                if *met > 2 {
                    return Ok(());
                }
                let parts = instance_parts(c, classes, env)?;
                self.mark_twice(c, STRING_ELT(parts.class_name, 0), parts.config)?;
                self.id(env, parts.shared_id)?;
                self.count_items(c, classes, parts.config, depth + 1)?;
                for value in [parts.build, parts.compile] {
                    if value != R_NilValue {
                        self.count(c, classes, value, depth + 1)?;
                    }
                }
            }
            Kind::Function => {
                function_name(c, x)?;
            }
        }
        Ok(())
    }

    unsafe fn count_items(&mut self, c: &Consts, classes: &mut Classes, x: SEXP, depth: usize) -> Fast<()> {
        list_names(x)?;
        // As for instances: after two walks of a list, everything it holds occurs twice. A list
        // shared many times over (`l <- list(l, l)`, forty times) is walked twice per depth, not
        // once per path.
        if REFCNT(x) > 1 {
            let met = self.lists_met.entry((x as usize, depth)).or_insert(0);
            *met += 1;
            if *met > 2 {
                return Ok(());
            }
        }
        for i in 0..XLENGTH(x) {
            self.count(c, classes, VECTOR_ELT(x, i), depth + 1)?;
        }
        Ok(())
    }

    /// The `shared_object_id` instance `x` is written with: the one it kept (as
    /// `kc_sharing_keep()`), else a new one when it occurs more than once, else none. While
    /// counting, the occurrence is counted and the kept id noted.
    pub(crate) unsafe fn id(&mut self, x: SEXP, kept: SharedId) -> Fast<SharedId> {
        if let SharedId::Kept(id) = kept {
            if !self.counted {
                self.taken.insert(kept_id_text(id)?);
            }
            return Ok(kept);
        }
        let key = x as usize;
        if !self.counted {
            *self.counts.entry(key).or_insert(0) += 1;
            return Ok(SharedId::None);
        }
        if self.counts.get(&key).copied().unwrap_or(0) < 2 {
            return Ok(SharedId::None);
        }
        let id = match self.ids.get(&key) {
            Some(&id) => id,
            None => {
                loop {
                    self.last = self.last.checked_add(1).ok_or(Fallback)?;
                    if !self.taken.contains(&self.last.to_string()) {
                        break;
                    }
                }
                self.ids.insert(key, self.last);
                self.last
            }
        };
        Ok(SharedId::New(id))
    }

    /// `kc_sharing_mark_cell_objects()`: one more occurrence of each instance under the keys
    /// `twice` names for `class_name` (a CHARSXP), in the counting walk.
    unsafe fn mark_twice(&mut self, c: &Consts, class_name: SEXP, config: SEXP) -> Fast<()> {
        let config_names = Rf_getAttrib(config, R_NamesSymbol);
        if self.counted || config_names == R_NilValue {
            return Ok(());
        }
        let classes = Rf_getAttrib(self.twice, R_NamesSymbol);
        ensure(TYPEOF(self.twice) == SEXPTYPE::VECSXP && TYPEOF(classes) == SEXPTYPE::STRSXP)?;
        let Some(i) = find_name(classes, class_name) else { return Ok(()) };
        let keys = VECTOR_ELT(self.twice, i);
        ensure(TYPEOF(keys) == SEXPTYPE::STRSXP)?;
        for k in 0..XLENGTH(keys) {
            let Some(j) = find_name(config_names, STRING_ELT(keys, k)) else { continue };
            let value = VECTOR_ELT(config, j);
            if TYPEOF(value) == SEXPTYPE::ENVSXP
                && has_class(value, c.chr_keras_object)
                && binding(value, c.sym_class)?.is_some()
            {
                *self.counts.entry(value as usize).or_insert(0) += 1;
            }
        }
        Ok(())
    }
}

/// `kc_shared_id_text()` of a kept id, for the ids the fast path is sure to format as R does.
unsafe fn kept_id_text(id: SEXP) -> Fast<String> {
    let kind = TYPEOF(id);
    ensure(matches!(kind, SEXPTYPE::INTSXP | SEXPTYPE::REALSXP) && XLENGTH(id) == 1)?;
    if kind == SEXPTYPE::INTSXP {
        let v = INTEGER_ELT(id, 0);
        ensure(v != i32::MIN)?; // NA
        return Ok(v.to_string());
    }
    shared_key_text(REAL_ELT(id, 0)).ok_or(Fallback)
}

// What a value is made of, as the walks here and the JSON writer's objects mode
// (json/rwalk.rs) both read it: one set of checks decides what the fast path writes, and what
// it leaves to R, for both.

/// What kind of value `x` is to the fast path ([`kind`]).
pub(crate) enum Kind {
    Null,
    /// A plain scalar or vector, or a `keras_integer`: written as it is.
    Atomic,
    /// A list without a class: its elements serialized, names kept ([`list_names`]).
    List,
    /// A classed list: a symbolic tensor or a Functional layer entry ([`special_parts`]).
    Special,
    /// An instance, by its environment ([`instance_parts`]).
    Instance(SEXP),
    /// A function ([`function_name`]).
    Function,
}

/// What `kc_serialize()` does with `x`, of type `t`, as far as the fast path goes; a fallback for
/// what is R's (arrays, names on vectors, classes, other types).
///
/// # Safety
/// On R's main thread, with `x` alive.
pub(crate) unsafe fn kind(c: &Consts, x: SEXP, t: SEXPTYPE) -> Fast<Kind> {
    Ok(match t {
        SEXPTYPE::NILSXP => Kind::Null,
        // Plain scalars and vectors stay; keras_integer values too. Names (a dict), dims (an
        // array) and other classes are R's.
        SEXPTYPE::LGLSXP | SEXPTYPE::INTSXP | SEXPTYPE::REALSXP | SEXPTYPE::STRSXP => {
            ensure(ATTRIB(x) == R_NilValue || has_class(x, c.chr_keras_integer))?;
            Kind::Atomic
        }
        SEXPTYPE::VECSXP if !is_object(x) => Kind::List,
        SEXPTYPE::VECSXP => Kind::Special,
        SEXPTYPE::ENVSXP => Kind::Instance(x),
        // A layer or a model: the callable enclosed by its environment (R/callable.R).
        SEXPTYPE::CLOSXP if has_class(x, c.chr_kc_callable) => {
            Kind::Instance(instance_env(x, c.chr_kc_callable).ok_or(Fallback)?)
        }
        SEXPTYPE::CLOSXP | SEXPTYPE::BUILTINSXP | SEXPTYPE::SPECIALSXP => Kind::Function,
        _ => return Err(Fallback),
    })
}

/// The names of a list `kc_serialize_entries()` walks (`NULL` for none), or a fallback when it
/// has other attributes or an `NA` name.
///
/// # Safety
/// On R's main thread, with the list `x` alive.
pub(crate) unsafe fn list_names(x: SEXP) -> Fast<SEXP> {
    ensure(only_names(x))?;
    let names = Rf_getAttrib(x, R_NamesSymbol);
    if names != R_NilValue {
        ensure((0..XLENGTH(names)).all(|i| STRING_ELT(names, i) != R_NaString))?;
    }
    Ok(names)
}

/// A string that is either an R value or text the registry holds.
#[derive(Clone)]
pub(crate) enum Name {
    Value(SEXP),
    Key(Rc<str>),
}

/// What the instances of one class share, found once per walk: its header's module and class
/// name, and its registered name. Neither the registry nor a class changes while a walk runs.
#[derive(Default)]
pub(crate) struct Classes(HashMap<usize, (&'static EntryR, Name)>);

impl Classes {
    /// The header parts of the instances of `class` (a `.__class__`), or a fallback for a class
    /// made in R.
    unsafe fn get(&mut self, c: &Consts, class: SEXP) -> Fast<(&'static EntryR, Name)> {
        if let Some((er, name)) = self.0.get(&(class as usize)) {
            return Ok((er, name.clone()));
        }
        ensure(TYPEOF(class) == SEXPTYPE::CLOSXP)?;
        let class_env = CLOENV(class);
        ensure(TYPEOF(class_env) == SEXPTYPE::ENVSXP)?;
        // Built-in generators know their key; classes made in R do not.
        let key = binding(class_env, c.sym_key)?.ok_or(Fallback)?;
        let entry = entry_for_key(string_text(key).ok_or(Fallback)?).ok_or(Fallback)?;
        let er = entry_r(entry);
        let name = match registered_name(class as usize) {
            Some(key) => Name::Key(key.into()),
            None => Name::Value(er.registered_name),
        };
        self.0.insert(class as usize, (er, name.clone()));
        Ok((er, name))
    }
}

/// A built-in instance's config header before its parts are serialized: `kc_serialize_instance()`
/// for an instance the fast path can write.
pub(crate) struct InstanceParts {
    /// character(1) each.
    pub module: SEXP,
    pub class_name: SEXP,
    /// The stored config, a plain list, not walked yet: named, `named list()` when empty.
    pub config: SEXP,
    pub registered: Name,
    /// `NULL` when absent; not walked yet.
    pub build: SEXP,
    pub compile: SEXP,
    /// The id it kept, if any; a sharing scope may give it one ([`Sharing::id`]).
    pub shared_id: SharedId,
}

impl InstanceParts {
    /// The header's names: `module`, `class_name`, `config`, `registered_name`, then those of
    /// build_config, compile_config and shared_object_id that are present.
    ///
    /// # Safety
    /// On R's main thread.
    pub(crate) unsafe fn names(&self, c: &Consts) -> SEXP {
        let present = [self.build != R_NilValue, self.compile != R_NilValue, !matches!(self.shared_id, SharedId::None)];
        let bits = present.iter().enumerate().filter(|(_, p)| **p).fold(0, |b, (i, _)| b | (1 << i));
        c.instance_names[bits]
    }
}

/// The parts of the instance (environment) `x` of a built-in class, or a fallback when R must
/// serialize it: a class made in R, a method or a module of its own, a config that is not a
/// plain named list, bindings that would run code.
///
/// # Safety
/// On R's main thread, with `x` alive. Reads only: the parts are held by `x`, its class or the
/// session caches.
pub(crate) unsafe fn instance_parts(c: &Consts, classes: &mut Classes, x: SEXP) -> Fast<InstanceParts> {
    ensure(has_class(x, c.chr_keras_object))?;
    let class = binding(x, c.sym_class)?.ok_or(Fallback)?;
    let (er, registered) = classes.get(c, class)?;

    let get_config = binding(x, c.sym_get_config)?.ok_or(Fallback)?;
    ensure(returns_stored_config(c, get_config, x)?)?;
    // Methods or a module of its own would change what R writes.
    for sym in [c.sym_module, c.sym_get_build_config, c.sym_get_compile_config] {
        ensure(binding(x, sym)?.is_none())?;
    }
    let config = binding(x, c.sym_config)?.ok_or(Fallback)?;
    ensure(TYPEOF(config) == SEXPTYPE::VECSXP && !is_object(config))?;
    let config_names = Rf_getAttrib(config, R_NamesSymbol);
    ensure(XLENGTH(config) == 0 || config_names != R_NilValue)?;
    let config = if config_names == R_NilValue { c.empty_named_list } else { config };
    Ok(InstanceParts {
        module: er.module,
        class_name: er.class_name,
        config,
        registered,
        build: binding_or_null(x, c.sym_build_config)?,
        compile: binding_or_null(x, c.sym_compile_config)?,
        shared_id: match binding_or_null(x, c.sym_shared_id)? {
            id if id == R_NilValue => SharedId::None,
            id => SharedId::Kept(id),
        },
    })
}

/// Whether `f` is a `get_config()` that returns the instance's `.__config__`: the fast path's
/// own (`function() .__config__`, enclosed by the instance) or the method R binds for
/// built-ins (`function() get(".__config__", envir = self, inherits = FALSE)`), whose `self`
/// is the instance or, for a layer or a model, the callable it encloses.
unsafe fn returns_stored_config(c: &Consts, f: SEXP, x: SEXP) -> Fast<bool> {
    if TYPEOF(f) != SEXPTYPE::CLOSXP || FORMALS(f) != R_NilValue {
        return Ok(false);
    }
    let body = closure_expr(f);
    let env = CLOENV(f);
    if body == c.sym_config {
        return Ok(env == x);
    }
    if TYPEOF(body) != SEXPTYPE::LANGSXP || CAR(body) != c.sym_get || TYPEOF(env) != SEXPTYPE::ENVSXP {
        return Ok(false);
    }
    let Some(what) = first_arg(body) else { return Ok(false) };
    let reads_config =
        TYPEOF(what) == SEXPTYPE::STRSXP && XLENGTH(what) == 1 && STRING_ELT(what, 0) == c.chr_dot_config;
    let Some(this) = binding(env, c.sym_self)? else { return Ok(false) };
    Ok(reads_config && instance_env(this, c.chr_kc_callable) == Some(x))
}

/// The classed lists Functional models are made of (`kc_special_encode()` in R/specials.R).
pub(crate) enum SpecialParts {
    /// A symbolic tensor, written as given: `list(class_name = "__keras_tensor__", config =
    /// list(shape, dtype, keras_history))`.
    Tensor { shape: SEXP, dtype: SEXP, history: SEXP },
    /// A layer entry: its serialized `layer` (which must be a named list), then `name` as given
    /// and the serialized `inbound_nodes`.
    Entry { layer: SEXP, name: SEXP, nodes: SEXP },
}

/// The parts of the classed list `x`, or a fallback for other classes (R's).
///
/// # Safety
/// On R's main thread, with `x` alive.
pub(crate) unsafe fn special_parts(c: &Consts, x: SEXP) -> Fast<SpecialParts> {
    let names = Rf_getAttrib(x, R_NamesSymbol);
    ensure(names != R_NilValue)?;
    let field = |chr| find_name(names, chr).map_or(R_NilValue, |i| VECTOR_ELT(x, i));
    if is_only_class(x, c.chr_keras_tensor) {
        return Ok(SpecialParts::Tensor {
            shape: field(c.chr_shape),
            dtype: field(c.chr_dtype),
            history: field(c.chr_keras_history),
        });
    }
    ensure(is_only_class(x, c.chr_keras_functional_layer))?;
    Ok(SpecialParts::Entry { layer: field(c.chr_layer), name: field(c.chr_name), nodes: field(c.chr_inbound_nodes) })
}

/// `kc_serialize_function()` for a function with a name: the `config` of its header, its
/// registry key or the Keras name a built-in carries (any R value: written as it is). Lambdas
/// and shared functions are R's.
///
/// # Safety
/// On R's main thread, with `f` alive.
pub(crate) unsafe fn function_name(c: &Consts, f: SEXP) -> Fast<Name> {
    ensure(!has_class(f, c.chr_keras_class))?;
    ensure(Rf_getAttrib(f, c.sym_keras_shared_id) == R_NilValue)?;
    Ok(match registered_name(f as usize) {
        Some(key) => Name::Key(key.into()),
        None => {
            let name = Rf_getAttrib(f, c.sym_keras_name);
            ensure(name != R_NilValue)?;
            Name::Value(name)
        }
    })
}

/// Whether `x` is or holds an instance (`kc_is_instance()`: an environment of class
/// `keras_object` with a class bound, or the callable of one: a layer or a model) in its lists,
/// classed or not, down to `MAX_DEPTH` levels: what decides whether `config_to_json()` serializes its argument first.
///
/// # Safety
/// On R's main thread, with `x` alive.
pub(crate) unsafe fn holds_instance(x: SEXP) -> bool {
    holds(x, 0, &mut HashMap::new())
}

/// [`holds_instance`] below `depth`. `searched`: the lists searched without finding one, by the
/// least depth they were searched from. R lists share elements (`l <- list(l, l)` forty times
/// over is a small value with 2^40 paths), so a list is searched again only from less deep,
/// where more of it lies within `MAX_DEPTH`: at most `MAX_DEPTH` times, not once per path.
unsafe fn holds(x: SEXP, depth: usize, searched: &mut HashMap<usize, usize>) -> bool {
    match TYPEOF(x) {
        // What kc_is_instance() says (a promise too: R then serializes it).
        SEXPTYPE::ENVSXP | SEXPTYPE::CLOSXP => super::instance_class(x).is_some(),
        SEXPTYPE::VECSXP if depth < MAX_DEPTH => {
            if searched.get(&(x as usize)).is_some_and(|&from| from <= depth) {
                return false;
            }
            let found = (0..XLENGTH(x)).any(|i| holds(VECTOR_ELT(x, i), depth + 1, searched));
            if !found {
                searched.insert(x as usize, depth);
            }
            found
        }
        _ => false,
    }
}

struct Writer<'k> {
    keep: &'k mut Keep,
    c: &'static Consts,
    stack: Vec<SEXP>,
    sharing: Option<&'k mut Sharing>,
    /// Instances written already, by address and depth: an object met again (the dtype policy
    /// every layer of a loaded model shares) is written once and its config shared, as R would
    /// give an equal copy. Not while counting, which must meet every occurrence.
    done: HashMap<(usize, usize), SEXP>,
    /// The names of Functional layer entries, by the names of the layer's header.
    entry_names: HashMap<SEXP, SEXP>,
    classes: Classes,
    /// Lists R may share, written already, by address and depth: a list shared many times over
    /// is written once per depth, not once per path.
    lists: HashMap<(usize, usize), SEXP>,
}

impl<'k> Writer<'k> {
    unsafe fn new(keep: &'k mut Keep, sharing: Option<&'k mut Sharing>) -> Writer<'k> {
        Writer {
            keep,
            c: consts(),
            stack: Vec::new(),
            sharing,
            done: HashMap::new(),
            entry_names: HashMap::new(),
            classes: Classes::default(),
            lists: HashMap::new(),
        }
    }

    unsafe fn keep(&mut self, x: SEXP) -> SEXP {
        self.keep.keep(x)
    }

    unsafe fn value(&mut self, x: SEXP, depth: usize) -> Fast<SEXP> {
        ensure(depth <= MAX_DEPTH)?;
        match kind(self.c, x, TYPEOF(x))? {
            Kind::Null | Kind::Atomic => Ok(x),
            Kind::List => self.list(x, depth),
            Kind::Special => self.special(x, depth),
            Kind::Instance(env) => self.instance(env, depth),
            Kind::Function => self.function(x),
        }
    }

    /// `kc_serialize_entries()`: each non-NULL element serialized, names kept; `x` itself when
    /// nothing changed.
    unsafe fn list(&mut self, x: SEXP, depth: usize) -> Fast<SEXP> {
        list_names(x)?;
        let shared = REFCNT(x) > 1;
        if shared {
            if let Some(&out) = self.lists.get(&(x as usize, depth)) {
                return Ok(out);
            }
        }
        let len = XLENGTH(x);
        let base = self.stack.len();
        let mut changed = false;
        for i in 0..len {
            let item = VECTOR_ELT(x, i);
            let value = self.value(item, depth + 1)?;
            changed |= value != item;
            self.stack.push(value);
        }
        let out = if changed { rebuilt(self.keep, x, &self.stack[base..]) } else { x };
        self.stack.truncate(base);
        if shared {
            self.lists.insert((x as usize, depth), out);
        }
        Ok(out)
    }

    unsafe fn special(&mut self, x: SEXP, depth: usize) -> Fast<SEXP> {
        let c = self.c;
        let (layer, name, nodes) = match special_parts(c, x)? {
            SpecialParts::Tensor { shape, dtype, history } => {
                let config = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 3));
                SET_VECTOR_ELT(config, 0, shape);
                SET_VECTOR_ELT(config, 1, dtype);
                SET_VECTOR_ELT(config, 2, history);
                set_names(config, c.tensor_names);
                let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 2));
                SET_VECTOR_ELT(out, 0, c.keras_tensor_class_name);
                SET_VECTOR_ELT(out, 1, config);
                set_names(out, c.special_names);
                return Ok(out);
            }
            SpecialParts::Entry { layer, name, nodes } => (layer, name, nodes),
        };
        let layer = self.value(layer, depth + 1)?;
        // The layer's header must be a named list for the entry's keys to follow it.
        ensure(TYPEOF(layer) == SEXPTYPE::VECSXP)?;
        let layer_names = Rf_getAttrib(layer, R_NamesSymbol);
        ensure(layer_names != R_NilValue)?;
        let nodes = self.value(nodes, depth + 1)?;
        let n = XLENGTH(layer);
        let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, n + 2));
        for i in 0..n {
            SET_VECTOR_ELT(out, i, VECTOR_ELT(layer, i));
        }
        SET_VECTOR_ELT(out, n, name);
        SET_VECTOR_ELT(out, n + 1, nodes);
        // A layer's header has one of a few name vectors: its entry's names are made once each.
        let out_names = match self.entry_names.get(&layer_names) {
            Some(&names) => names,
            None => {
                let names = self.keep(Rf_allocVector(SEXPTYPE::STRSXP, n + 2));
                for i in 0..n {
                    SET_STRING_ELT(names, i, STRING_ELT(layer_names, i));
                }
                SET_STRING_ELT(names, n, c.chr_name);
                SET_STRING_ELT(names, n + 1, c.chr_inbound_nodes);
                self.entry_names.insert(layer_names, names);
                names
            }
        };
        set_names(out, out_names);
        Ok(out)
    }

    unsafe fn name(&mut self, name: Name) -> SEXP {
        match name {
            Name::Value(v) => v,
            Name::Key(key) => self.keep(Rf_ScalarString(mkchar(&key))),
        }
    }

    unsafe fn function(&mut self, f: SEXP) -> Fast<SEXP> {
        let c = self.c;
        let name = function_name(c, f)?;
        let name = self.name(name);
        let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, 4));
        SET_VECTOR_ELT(out, 0, c.builtins);
        SET_VECTOR_ELT(out, 1, c.function);
        SET_VECTOR_ELT(out, 2, name);
        SET_VECTOR_ELT(out, 3, c.function);
        set_names(out, c.function_names);
        Ok(out)
    }

    /// `kc_serialize_instance()` for an instance of a built-in class, written once per walk.
    unsafe fn instance(&mut self, x: SEXP, depth: usize) -> Fast<SEXP> {
        if let Some(&out) = self.done.get(&(x as usize, depth)) {
            return Ok(out);
        }
        let out = self.instance_config(x, depth)?;
        self.done.insert((x as usize, depth), out);
        Ok(out)
    }

    unsafe fn instance_config(&mut self, x: SEXP, depth: usize) -> Fast<SEXP> {
        let c = self.c;
        let mut parts = instance_parts(c, &mut self.classes, x)?;
        // Inside a scope, the id is settled before the config is walked: ids are given in order
        // of first occurrence, an object before what its config holds.
        if let Some(sharing) = self.sharing.as_deref_mut() {
            parts.shared_id = sharing.id(x, parts.shared_id)?;
        }
        let names = parts.names(c);
        let InstanceParts { module, class_name, config, registered, build, compile, shared_id } = parts;
        let config = self.list(config, depth + 1)?;
        let registered = self.name(registered);
        let build = if build == R_NilValue { build } else { self.value(build, depth + 1)? };
        let compile = if compile == R_NilValue { compile } else { self.value(compile, depth + 1)? };

        let shared_id = match shared_id {
            SharedId::None => R_NilValue,
            SharedId::Kept(id) => id,
            SharedId::New(id) => self.keep(Rf_ScalarInteger(id)),
        };
        let optional = [build, compile, shared_id];
        let len = 4 + optional.iter().filter(|v| **v != R_NilValue).count();
        let out = self.keep(Rf_allocVector(SEXPTYPE::VECSXP, len as isize));
        SET_VECTOR_ELT(out, 0, module);
        SET_VECTOR_ELT(out, 1, class_name);
        SET_VECTOR_ELT(out, 2, config);
        SET_VECTOR_ELT(out, 3, registered);
        for (i, &value) in optional.iter().filter(|v| **v != R_NilValue).enumerate() {
            SET_VECTOR_ELT(out, (4 + i) as isize, value);
        }
        set_names(out, names);
        Ok(out)
    }
}
