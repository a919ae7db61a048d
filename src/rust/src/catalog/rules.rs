//! The rules of Keras' `__init__` for each built-in (the core's `rules.json`), for R
//! (`kc_builtin_init()` in R/builtins.R) and the fast path (`fast/plan.rs`): both apply them to R
//! values through the functions here.

use crate::json::rapi::char_utf8;
use extendr_api::prelude::*;
use extendr_ffi::{
    R_ClassSymbol, R_NaString, R_NamesSymbol, R_NilValue, Rf_getAttrib, INTEGER_ELT, LOGICAL_ELT, REAL_ELT, SEXP,
    SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};
use kerasconfig_core::{by_id, derive, first_failure, Change, Refusal, Val};
pub(crate) use kerasconfig_core::{rules_for, Rules};

fn strings(v: &[String]) -> Robj {
    Robj::from(v.iter().map(String::as_str).collect::<Vec<_>>())
}

fn named<T>(pairs: &[(String, T)], value: impl Fn(&T) -> Robj) -> Robj {
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    List::from_names_and_values(names, pairs.iter().map(|(_, v)| value(v))).expect("one name per value").into()
}

/// The rules of catalog entry `id` as a named list (`int`, `float32`, `dropped`: character;
/// `after`, `copies`, `fill`, `pairs`: named lists; `derive`: how many derive rules; `auto`:
/// whether the config follows the arguments' order, `Rules::auto`); `NULL` for
/// an id out of range.
#[extendr]
fn rs_builtin_rules(id: i32) -> Robj {
    let Some(e) = usize::try_from(id).ok().and_then(by_id) else {
        return ().into();
    };
    let r = rules_for(e);
    list!(
        int = strings(&r.int),
        float32 = strings(&r.float32),
        dropped = strings(&r.dropped),
        after = named(&r.after, |a| a.as_deref().map_or_else(|| ().into(), Robj::from)),
        copies = named(&r.copies, |p| Robj::from(p.as_str())),
        fill = named(&r.fill, |n| Robj::from(*n as i32)),
        pairs = named(&r.pairs, |n| Robj::from(*n as i32)),
        derive = r.derive.len() as i32,
        auto = r.auto
    )
    .into()
}

/// A config value as the checks see it. Classed numbers (`keras_integer`) are numbers; other
/// classed values are objects. Read through R's C API: the fast path checks every layer it
/// builds, and wrapping each value as an `Robj` (extendr's protection bookkeeping) cost more than
/// the checks.
///
/// # Safety
/// On R's main thread, with `x` protected.
pub unsafe fn val_of(x: SEXP) -> Val {
    // XLENGTH of a non-vector (a layer: a closure) is an R error, a long jump over Rust frames.
    let vector = matches!(
        TYPEOF(x),
        SEXPTYPE::INTSXP | SEXPTYPE::REALSXP | SEXPTYPE::LGLSXP | SEXPTYPE::STRSXP | SEXPTYPE::VECSXP
    );
    let n = if vector { XLENGTH(x) } else { 0 };
    let scalar_or_list = |item: &dyn Fn(isize) -> Val| {
        if n == 1 {
            item(0)
        } else {
            Val::List((0..n).map(item).collect())
        }
    };
    match TYPEOF(x) {
        SEXPTYPE::NILSXP => Val::Null,
        SEXPTYPE::INTSXP => scalar_or_list(&|i| match INTEGER_ELT(x, i) {
            i32::MIN => Val::Num(f64::NAN, true),
            v => Val::Num(f64::from(v), true),
        }),
        SEXPTYPE::REALSXP => scalar_or_list(&|i| Val::Num(REAL_ELT(x, i), false)),
        SEXPTYPE::LGLSXP => scalar_or_list(&|i| match LOGICAL_ELT(x, i) {
            i32::MIN => Val::Other,
            v => Val::Bool(v != 0),
        }),
        SEXPTYPE::STRSXP => scalar_or_list(&|i| text_of(STRING_ELT(x, i)).map_or(Val::Other, Val::Str)),
        _ if Rf_getAttrib(x, R_ClassSymbol) != R_NilValue => {
            let cls = Rf_getAttrib(x, R_ClassSymbol);
            let n = if TYPEOF(cls) == SEXPTYPE::STRSXP { XLENGTH(cls) } else { 0 };
            Val::Object((0..n).filter_map(|i| text_of(STRING_ELT(cls, i))).collect())
        }
        SEXPTYPE::VECSXP if Rf_getAttrib(x, R_NamesSymbol) != R_NilValue => Val::Dict,
        SEXPTYPE::VECSXP => Val::List((0..n).map(|i| val_of(VECTOR_ELT(x, i))).collect()),
        _ => Val::Other,
    }
}

/// The text of a CHARSXP as UTF-8; `None` for `NA`, for strings marked "bytes" and for invalid
/// ones (no rule accepts those).
unsafe fn text_of(c: SEXP) -> Option<String> {
    if c == R_NaString {
        return None;
    }
    char_utf8(c).ok().and_then(|bytes| std::str::from_utf8(bytes).ok()).map(str::to_owned)
}

/// The position of `key` among the names of the list `list`.
///
/// # Safety
/// On R's main thread, with `list` protected.
pub unsafe fn position(list: SEXP, key: &str) -> Option<isize> {
    let names = Rf_getAttrib(list, R_NamesSymbol);
    if TYPEOF(names) != SEXPTYPE::STRSXP {
        return None;
    }
    (0..XLENGTH(names)).find(|&i| {
        let c = STRING_ELT(names, i);
        c != R_NaString && char_utf8(c).is_ok_and(|b| b == key.as_bytes())
    })
}

/// A value of a named list by name, as the rules see it.
unsafe fn lookup(list: SEXP, key: &str) -> Option<Val> {
    position(list, key).map(|i| val_of(VECTOR_ELT(list, i)))
}

/// Keras' message for the first check a built-in's config fails, or `None`. `config` is a
/// named list; `given` whether an argument was given.
///
/// # Safety
/// On R's main thread, with `config` protected.
pub unsafe fn config_failure(rules: &Rules, config: SEXP, given: &dyn Fn(&str) -> bool) -> Option<String> {
    if rules.checks.is_empty() {
        return None;
    }
    first_failure(&rules.checks, &|key| lookup(config, key), given)
}

/// Checks the config a built-in (catalog entry `id`) would write against Keras' `__init__`
/// checks: `NULL`, or a `kc_rust_error` (class `kerasconfig_error_value`, Keras' message, and the
/// class name). `given`: the names of the arguments given.
#[extendr]
fn rs_builtin_check(id: i32, config: List, given: Strings) -> Robj {
    let Some(e) = usize::try_from(id).ok().and_then(by_id) else {
        return ().into();
    };
    let given: Vec<&str> = given.iter().map(|s| s.as_ref()).collect();
    // SAFETY: `config` is a `.Call` argument, alive for the whole call.
    match unsafe { config_failure(rules_for(e), config.get(), &|k| given.contains(&k)) } {
        None => ().into(),
        Some(message) => rust_error("kerasconfig_error_value", &message),
    }
}

/// A rule's value as R holds it in a config: integers, doubles, unnamed lists; `{}` a named list.
fn robj_of(v: &Val) -> Robj {
    match v {
        Val::Null | Val::Object(_) | Val::Other => ().into(),
        Val::Bool(b) => (*b).into(),
        Val::Num(x, true) if x.is_nan() => Robj::from(Rint::na()),
        Val::Num(x, true) => Robj::from(*x as i32),
        Val::Num(x, false) => Robj::from(*x),
        Val::Str(s) => s.as_str().into(),
        Val::List(items) => List::from_values(items.iter().map(robj_of)).into(),
        Val::Dict => List::from_names_and_values(Vec::<&str>::new(), Vec::<Robj>::new()).expect("empty").into(),
        Val::Record(entries) => List::from_names_and_values(
            entries.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            entries.iter().map(|(_, v)| robj_of(v)),
        )
        .expect("one name per value")
        .into(),
    }
}

/// Keras' derived values applied to `args` (a named list): the changed list, `None` when the rules
/// change nothing, or Keras' refusal.
pub fn derived(rules: &Rules, args: &List, base: &List) -> std::result::Result<Option<List>, Refusal> {
    // SAFETY: on R's main thread (extendr calls), with both lists alive.
    let changes = unsafe { derived_changes(rules, args.get(), base.get()) }?;
    if changes.is_empty() {
        return Ok(None);
    }
    let mut pairs: Vec<(String, Robj)> = args.iter().map(|(k, v)| (k.to_owned(), v)).collect();
    for change in changes {
        match change {
            Change::Set(k, v) => match pairs.iter_mut().find(|(n, _)| *n == k) {
                Some(slot) => slot.1 = robj_of(&v),
                None => pairs.push((k, robj_of(&v))),
            },
            Change::Move { from, to } => {
                let Some(at) = pairs.iter().position(|(n, _)| *n == from) else { continue };
                let (_, value) = pairs.remove(at);
                match pairs.iter_mut().find(|(n, _)| *n == to) {
                    Some(slot) => slot.1 = value,
                    None => pairs.insert(at, (to, value)),
                }
            }
            Change::Remove(k) => pairs.retain(|(n, _)| *n != k),
        }
    }
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    Ok(Some(List::from_names_and_values(names, pairs.iter().map(|(_, v)| v.clone())).expect("one name per value")))
}

/// What Keras' `__init__` derives from `args` (a named list; `base`: the values of the arguments
/// not given): no change, changes, or Keras' refusal.
///
/// # Safety
/// On R's main thread, with both lists protected.
pub unsafe fn derived_changes(rules: &Rules, args: SEXP, base: SEXP) -> std::result::Result<Vec<Change>, Refusal> {
    if rules.derive.is_empty() {
        return Ok(Vec::new());
    }
    derive(&rules.derive, &|k| lookup(args, k), &|k| lookup(base, k))
}

fn rust_error(class: &str, message: &str) -> Robj {
    let mut list = List::from_names_and_values(["class", "message"], [Robj::from(class), Robj::from(message)])
        .expect("two names, two values");
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

/// The arguments of a built-in (catalog entry `id`) with the values Keras' `__init__` derives
/// from them (`derive.rs`): the changed named list, `NULL` when nothing changes, or a
/// `kc_rust_error` with Keras' message. `base`: the values of the arguments not given.
#[extendr]
fn rs_builtin_derive(id: i32, args: List, base: List) -> Robj {
    let Some(e) = usize::try_from(id).ok().and_then(by_id) else {
        return ().into();
    };
    match derived(rules_for(e), &args, &base) {
        Ok(None) => ().into(),
        Ok(Some(list)) => list.into(),
        Err(r) => rust_error(r.class, &r.message),
    }
}

extendr_module! {
    mod rules;
    fn rs_builtin_rules;
    fn rs_builtin_check;
    fn rs_builtin_derive;
}
