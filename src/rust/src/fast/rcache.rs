//! R objects the fast path makes once and keeps for the session: symbols, strings compared by
//! pointer, the headers of configs, and per built-in class its class vector and its default
//! config as R values (the codec's rules: `R/json.R`). Cached values are shared by every result
//! that uses them, so they are marked not mutable: R copies them before any change, as it does
//! values that R code shares.
//!
//! Everything lives in thread-locals: R runs on one thread, and a `.Call` made from another
//! thread would find nothing cached rather than objects it must not touch.

use super::rapi::{
    freeze, install, mkchar, preserve, preserved_char, preserved_strings, Rf_ScalarInteger, Rf_ScalarLogical,
    Rf_ScalarReal, Rf_ScalarString,
};
use crate::catalog::Entry;
use extendr_ffi::{
    R_ClassSymbol, R_NamesSymbol, R_NilValue, Rf_allocVector, Rf_getAttrib, Rf_protect, Rf_setAttrib, Rf_unprotect,
    SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT,
};
use foldhash::{HashMap, HashMapExt};
use serde_json::{Map, Value};
use std::cell::{OnceCell, RefCell};
use std::os::raw::c_int;

/// Symbols, CHARSXPs and values used everywhere.
pub struct Consts {
    pub sym_class: SEXP,
    pub sym_config: SEXP,
    pub sym_build_config: SEXP,
    pub sym_compile_config: SEXP,
    pub sym_shared_id: SEXP,
    pub sym_get_config: SEXP,
    pub sym_module: SEXP,
    pub sym_get_build_config: SEXP,
    pub sym_get_compile_config: SEXP,
    pub sym_key: SEXP,
    pub sym_generator: SEXP,
    pub sym_self: SEXP,
    pub sym_get: SEXP,
    pub sym_keras_name: SEXP,
    pub sym_keras_shared_id: SEXP,

    pub chr_class_name: SEXP,
    pub chr_config: SEXP,
    pub chr_module: SEXP,
    pub chr_registered_name: SEXP,
    pub chr_shared_object_id: SEXP,
    pub chr_build_config: SEXP,
    pub chr_compile_config: SEXP,
    pub chr_items: SEXP,
    pub chr_keras_integer: SEXP,
    pub chr_keras_builtin_function: SEXP,
    pub chr_keras_class: SEXP,
    pub chr_keras_object: SEXP,
    pub chr_dot_config: SEXP,
    /// The marker class of callable instances (layers and models: R/callable.R).
    pub chr_kc_callable: SEXP,

    /// `"linear"`, `"builtins"`, `"function"` as character(1).
    pub linear: SEXP,
    pub builtins: SEXP,
    pub function: SEXP,
    /// `named list()`.
    pub empty_named_list: SEXP,
    /// The `kc_fallback` marker R checks for.
    pub fallback: SEXP,
    /// `names` of an instance's config header, by which of build_config, compile_config and
    /// shared_object_id follow (bits 1, 2, 4).
    pub instance_names: [SEXP; 8],
    /// `names` of a function's config.
    pub function_names: SEXP,

    /// Symbolic tensors (`keras_symbolic_tensor()`): their `config` keys, the names and class of
    /// the R value, the dtype when none is given, and the class name written back.
    pub chr_shape: SEXP,
    pub chr_dtype: SEXP,
    pub chr_keras_history: SEXP,
    pub tensor_names: SEXP,
    pub tensor_class: SEXP,
    pub float32: SEXP,
    pub keras_tensor_class_name: SEXP,
    /// `class_name`, `config`: the header of a special encoding.
    pub special_names: SEXP,
    /// `keras_ellipsis()`: one frozen value serves every `__ellipsis__`.
    pub ellipsis: SEXP,
    /// `keras_slice()`: the `config` keys of `__slice__`, and the names and class of the value.
    pub chr_start: SEXP,
    pub chr_stop: SEXP,
    pub chr_step: SEXP,
    pub slice_names: SEXP,
    pub slice_class: SEXP,
    /// Functional layer entries (`keras_functional_layer`): the class and the keys added after
    /// the layer's own config.
    pub chr_keras_functional_layer: SEXP,
    pub chr_keras_tensor: SEXP,
    pub chr_name: SEXP,
    pub chr_inbound_nodes: SEXP,
    pub chr_layer: SEXP,
    /// Models built natively (`model()` in read.rs): the keys of their configs, the classes
    /// that give a layer a node of its own, where a model keeps its loaded config for the shape
    /// engine, the `build` method of a Sequential model, and the names and class of a
    /// Functional layer entry.
    pub chr_layers: SEXP,
    pub chr_input_layers: SEXP,
    pub chr_output_layers: SEXP,
    pub chr_input_layer_class: SEXP,
    pub chr_functional_class: SEXP,
    pub sym_shape_source: SEXP,
    pub sym_build: SEXP,
    pub functional_entry_names: SEXP,
    pub functional_entry_class: SEXP,
}

thread_local! {
    static CONSTS: OnceCell<&'static Consts> = const { OnceCell::new() };
    static ENTRIES: RefCell<HashMap<usize, &'static EntryR>> = RefCell::new(HashMap::new());
    static KEY_SYMBOLS: RefCell<HashMap<usize, SEXP>> = RefCell::new(HashMap::new());
}

/// The constants, made on first use.
///
/// # Safety
/// On R's main thread.
pub unsafe fn consts() -> &'static Consts {
    if let Some(c) = CONSTS.with(|c| c.get().copied()) {
        return c;
    }
    // Made outside the cell: an allocation failure long-jumps out and leaves it empty.
    let made: &'static Consts = Box::leak(Box::new(make_consts()));
    CONSTS.with(|c| *c.get_or_init(|| made))
}

/// A `kc_fallback` marker holding `cls`, the class R is to build the config with.
///
/// # Safety
/// On R's main thread; `cls` is held by something R keeps alive.
pub unsafe fn fallback_with(cls: SEXP) -> extendr_api::Robj {
    let c = consts();
    let out = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, 1));
    SET_VECTOR_ELT(out, 0, cls);
    Rf_setAttrib(out, R_ClassSymbol, Rf_getAttrib(c.fallback, R_ClassSymbol));
    let out = extendr_api::Robj::from_sexp(out);
    Rf_unprotect(1);
    out
}

unsafe fn make_consts() -> Consts {
    let header = ["module", "class_name", "config", "registered_name"];
    let instance_names = std::array::from_fn(|bits| {
        let mut names: Vec<&str> = header.to_vec();
        if bits & 1 != 0 {
            names.push("build_config");
        }
        if bits & 2 != 0 {
            names.push("compile_config");
        }
        if bits & 4 != 0 {
            names.push("shared_object_id");
        }
        preserved_strings(&names)
    });
    let empty_named_list = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, 0));
    let no_names = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, 0));
    Rf_setAttrib(empty_named_list, R_NamesSymbol, no_names);
    Rf_unprotect(1);
    preserve(empty_named_list);
    let fallback = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, 0));
    Rf_setAttrib(fallback, R_ClassSymbol, preserved_strings(&["kc_fallback"]));
    preserve(fallback);
    Rf_unprotect(2);
    Consts {
        sym_class: install(".__class__"),
        sym_config: install(".__config__"),
        sym_build_config: install(".__build_config__"),
        sym_compile_config: install(".__compile_config__"),
        sym_shared_id: install(".__shared_object_id__"),
        sym_get_config: install("get_config"),
        sym_module: install(".__module__"),
        sym_get_build_config: install("get_build_config"),
        sym_get_compile_config: install("get_compile_config"),
        sym_key: install("key"),
        sym_generator: install("generator"),
        sym_self: install("self"),
        sym_get: install("get"),
        sym_keras_name: install("keras_name"),
        sym_keras_shared_id: install("keras_shared_object_id"),
        chr_class_name: preserved_char("class_name"),
        chr_config: preserved_char("config"),
        chr_module: preserved_char("module"),
        chr_registered_name: preserved_char("registered_name"),
        chr_shared_object_id: preserved_char("shared_object_id"),
        chr_build_config: preserved_char("build_config"),
        chr_compile_config: preserved_char("compile_config"),
        chr_items: preserved_char("items"),
        chr_keras_integer: preserved_char("keras_integer"),
        chr_keras_builtin_function: preserved_char("keras_builtin_function"),
        chr_keras_class: preserved_char("keras_class"),
        chr_keras_object: preserved_char("keras_object"),
        chr_dot_config: preserved_char(".__config__"),
        chr_kc_callable: preserved_char("kc_callable"),
        linear: preserved_strings(&["linear"]),
        builtins: preserved_strings(&["builtins"]),
        function: preserved_strings(&["function"]),
        empty_named_list,
        fallback,
        instance_names,
        function_names: preserved_strings(&header),
        chr_shape: preserved_char("shape"),
        chr_dtype: preserved_char("dtype"),
        chr_keras_history: preserved_char("keras_history"),
        tensor_names: preserved_strings(&["shape", "dtype", "keras_history"]),
        tensor_class: preserved_strings(&["keras_tensor"]),
        float32: preserved_strings(&["float32"]),
        keras_tensor_class_name: preserved_strings(&["__keras_tensor__"]),
        special_names: preserved_strings(&["class_name", "config"]),
        ellipsis: {
            let e = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, 0));
            Rf_setAttrib(e, R_ClassSymbol, preserved_strings(&["keras_ellipsis"]));
            freeze(e);
            let e = preserve(e);
            Rf_unprotect(1);
            e
        },
        chr_start: preserved_char("start"),
        chr_stop: preserved_char("stop"),
        chr_step: preserved_char("step"),
        slice_names: preserved_strings(&["start", "stop", "step"]),
        slice_class: preserved_strings(&["keras_slice"]),
        chr_keras_functional_layer: preserved_char("keras_functional_layer"),
        chr_keras_tensor: preserved_char("keras_tensor"),
        chr_name: preserved_char("name"),
        chr_inbound_nodes: preserved_char("inbound_nodes"),
        chr_layer: preserved_char("layer"),
        chr_layers: preserved_char("layers"),
        chr_input_layers: preserved_char("input_layers"),
        chr_output_layers: preserved_char("output_layers"),
        chr_input_layer_class: preserved_char("InputLayer"),
        chr_functional_class: preserved_char("Functional"),
        sym_shape_source: install(".__shape_source__"),
        sym_build: install("build"),
        functional_entry_names: preserved_strings(&["layer", "name", "inbound_nodes"]),
        functional_entry_class: preserved_strings(&["keras_functional_layer"]),
    }
}

/// The symbol of the key R keeps the built-in `entry` under (`builtin_key()` in lib.rs).
pub unsafe fn key_symbol(entry: &Entry) -> SEXP {
    if let Some(s) = KEY_SYMBOLS.with(|m| m.borrow().get(&entry.id).copied()) {
        return s;
    }
    let s = install(&crate::builtin_key(entry));
    KEY_SYMBOLS.with(|m| m.borrow_mut().insert(entry.id, s));
    s
}

/// What R objects the fast path needs for one built-in class.
pub struct EntryR {
    /// `c(canonical, "keras_<family>", "keras_builtin", "keras_object")`.
    pub class: SEXP,
    /// For layers (models included: classes whose Keras bases hold `Layer`), whose instances are
    /// callable (`kc_callable()` in R/callable.R): `c("kc_callable", <class>)`; else `NULL`.
    pub callable_class: SEXP,
    /// The default config as R values (a named list, in key order).
    pub defaults: SEXP,
    /// Its names.
    pub default_names: SEXP,
    /// The header values of its configs: `module`, `class_name` (character(1)) and the
    /// `registered_name` Keras writes (character(1) or `NULL`).
    pub module: SEXP,
    pub class_name: SEXP,
    pub registered_name: SEXP,
}

/// The R objects of a built-in class, made on first use.
pub unsafe fn entry_r(entry: &'static Entry) -> &'static EntryR {
    if let Some(e) = ENTRIES.with(|m| m.borrow().get(&entry.id).copied()) {
        return e;
    }
    let made: &'static EntryR = Box::leak(Box::new(make_entry_r(entry)));
    ENTRIES.with(|m| m.borrow_mut().insert(entry.id, made));
    made
}

unsafe fn make_entry_r(entry: &Entry) -> EntryR {
    let family = format!("keras_{}", entry.family);
    let class = preserved_strings(&[&entry.canonical, &family, "keras_builtin", "keras_object"]);
    let layer = entry.name == "Layer" || entry.bases.as_deref().unwrap_or(&[]).iter().any(|b| b == "Layer");
    let callable_class = if layer {
        preserved_strings(&["kc_callable", &entry.canonical, &family, "keras_builtin", "keras_object"])
    } else {
        R_NilValue
    };
    let empty = Map::new();
    let defaults = Rf_protect(object_from_json(entry.default_config.as_ref().unwrap_or(&empty)));
    preserve(defaults);
    Rf_unprotect(1);
    let default_names = extendr_ffi::Rf_getAttrib(defaults, R_NamesSymbol);
    extendr_ffi::MARK_NOT_MUTABLE(default_names);
    let module = entry.serialized_as.module.as_deref().unwrap_or(&entry.module);
    EntryR {
        class,
        callable_class,
        defaults,
        default_names,
        module: preserved_strings(&[module]),
        class_name: preserved_strings(&[&entry.canonical]),
        registered_name: match entry.serialized_as.registered_name.as_deref() {
            Some(name) => preserved_strings(&[name]),
            None => R_NilValue,
        },
    }
}

/// 2^53: past it, doubles skip integers (the codec keeps their digits).
const EXACT_DOUBLE_LIMIT: u64 = 1 << 53;

/// A JSON value as R values, as `config_from_json()` reads its text: objects → named lists,
/// arrays → lists, `null` → `NULL`, integers in R's range → integer, other integers → double
/// of class `keras_integer` (with `digits` past 2^53), other numbers → double. Unprotected.
pub unsafe fn from_json(v: &Value) -> SEXP {
    match v {
        Value::Null => R_NilValue,
        Value::Bool(b) => Rf_ScalarLogical(c_int::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i > i64::from(i32::MIN) && i <= i64::from(i32::MAX) {
                    Rf_ScalarInteger(i as c_int)
                } else {
                    keras_integer(i as f64, (i.unsigned_abs() > EXACT_DOUBLE_LIMIT).then(|| i.to_string()))
                }
            } else if let Some(u) = n.as_u64() {
                keras_integer(u as f64, Some(u.to_string()))
            } else {
                Rf_ScalarReal(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Rf_ScalarString(mkchar(s)),
        Value::Array(items) => {
            let list = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, items.len() as isize));
            for (i, item) in items.iter().enumerate() {
                SET_VECTOR_ELT(list, i as isize, from_json(item));
            }
            Rf_unprotect(1);
            list
        }
        Value::Object(map) => object_from_json(map),
    }
}

unsafe fn object_from_json(map: &Map<String, Value>) -> SEXP {
    let list = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, map.len() as isize));
    let names = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, map.len() as isize));
    for (i, (key, item)) in map.iter().enumerate() {
        SET_STRING_ELT(names, i as isize, mkchar(key));
        SET_VECTOR_ELT(list, i as isize, from_json(item));
    }
    Rf_setAttrib(list, R_NamesSymbol, names);
    Rf_unprotect(2);
    list
}

unsafe fn keras_integer(value: f64, digits: Option<String>) -> SEXP {
    let x = Rf_protect(Rf_ScalarReal(value));
    if let Some(digits) = digits {
        let text = Rf_protect(Rf_ScalarString(mkchar(&digits)));
        Rf_setAttrib(x, install("digits"), text);
        Rf_unprotect(1);
    }
    let class = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, 1));
    SET_STRING_ELT(class, 0, mkchar("keras_integer"));
    Rf_setAttrib(x, R_ClassSymbol, class);
    Rf_unprotect(2);
    x
}

/// The CHARSXP of the default config's key `i`.
pub unsafe fn default_key(e: &EntryR, i: usize) -> SEXP {
    STRING_ELT(e.default_names, i as isize)
}
