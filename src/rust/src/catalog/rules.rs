//! The rules of Keras' `__init__` for each built-in (the core's `rules.json`), for R
//! (`kc_builtin_init()` in R/builtins.R) and the fast path (`fast/plan.rs`): both apply them to R
//! values through the functions here.

use extendr_api::prelude::*;
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
/// classed values are objects.
pub fn val_of(x: &Robj) -> Val {
    let scalar_or_list =
        |items: Vec<Val>| if items.len() == 1 { items.into_iter().next().unwrap() } else { Val::List(items) };
    match x.rtype() {
        Rtype::Null => Val::Null,
        Rtype::Integers => scalar_or_list(
            x.as_integer_slice()
                .unwrap_or(&[])
                .iter()
                .map(|&i| if i == i32::MIN { Val::Num(f64::NAN, true) } else { Val::Num(f64::from(i), true) })
                .collect(),
        ),
        Rtype::Doubles => {
            scalar_or_list(x.as_real_slice().unwrap_or(&[]).iter().map(|&d| Val::Num(d, false)).collect())
        }
        Rtype::Logicals => scalar_or_list(
            x.as_logical_slice()
                .unwrap_or(&[])
                .iter()
                .map(|b| if b.is_na() { Val::Other } else { Val::Bool(b.is_true()) })
                .collect(),
        ),
        Rtype::Strings => {
            scalar_or_list(x.as_str_iter().map(|it| it.map(|s| Val::Str(s.to_owned())).collect()).unwrap_or_default())
        }
        _ if x.get_attrib("class").is_some() => {
            Val::Object(x.class().map(|c| c.map(str::to_owned).collect()).unwrap_or_default())
        }
        Rtype::List => match x.names() {
            Some(_) => Val::Dict,
            None => Val::List(x.as_list().map(|l| l.values().map(|v| val_of(&v)).collect()).unwrap_or_default()),
        },
        _ => Val::Other,
    }
}

/// Keras' message for the first check a built-in's config fails, or `None`. `config` is a
/// named list; `given` whether an argument was given.
pub fn config_failure(rules: &Rules, config: &List, given: &dyn Fn(&str) -> bool) -> Option<String> {
    if rules.checks.is_empty() {
        return None;
    }
    let names: Vec<&str> = config.names().map(|n| n.collect()).unwrap_or_default();
    let get = |key: &str| names.iter().position(|n| *n == key).and_then(|i| config.elt(i).ok()).map(|v| val_of(&v));
    first_failure(&rules.checks, &get, given)
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
    match config_failure(rules_for(e), &config, &|k| given.contains(&k)) {
        None => ().into(),
        Some(message) => rust_error("kerasconfig_error_value", &message),
    }
}

/// A value of a named list by name, as the rules see it.
fn lookup(list: &List, key: &str) -> Option<Val> {
    let names = list.names()?;
    names.enumerate().find(|(_, n)| *n == key).and_then(|(i, _)| list.elt(i).ok()).map(|v| val_of(&v))
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
    if rules.derive.is_empty() {
        return Ok(None);
    }
    let changes = derive(&rules.derive, &|k| lookup(args, k), &|k| lookup(base, k))?;
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
