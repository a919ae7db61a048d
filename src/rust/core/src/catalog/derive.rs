//! Values Keras' `__init__` derives from its arguments (`derive` in `rules.json`), per class: the
//! one implementation behind the R constructors, `set_config()` and deserialization
//! (`rs_builtin_derive()`, called by `kc_builtin_init()` in R/builtins.R) and the fast path (a
//! config a rule would change goes to R). Keras' `from_config()` runs `__init__`, so a config read
//! from a file goes through the same rules; a config Keras wrote is left as it is.
//!
//! Rules are read off Keras' own output by `tools/gen-constructor-fixtures.py` (`learn_rules()`),
//! except InputLayer's, which it lists from Keras' source. They apply in their order, each seeing
//! what the previous ones did, to the given arguments (`arg`); `base` answers for arguments not
//! given (the class's default config, or the object's config in `set_config()`).

use super::checks::Val;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Derive {
    /// One number `f` for a range: `[lower, f]`; `lower` `None` is `-f` (`RandomShear`'s
    /// `x_factor = 0.25` -> `[-0.25, 0.25]`, `RandomInvert`'s `factor = 0.5` -> `[0, 0.5]`).
    Range { key: String, lower: Option<Val> },
    /// `key` is the length of `of` plus `plus` when `of` is set (`AUC`'s `num_thresholds` from
    /// `thresholds`).
    Count { key: String, of: String, plus: i64 },
    /// `key` not given, or given as `None`/0: `int(of / 2)` (`MelSpectrogram`'s `max_freq` from
    /// `sampling_rate`).
    Half { key: String, of: String },
    /// A value Keras renames (`VarianceScaling`'s `distribution = "normal"` is `"truncated_normal"`).
    Map { key: String, from: String, to: String },
    /// `key` set to `value` when it is `None` and `cond` is true (`BatchNormalization`'s
    /// `renorm_clipping = {}` with `renorm`).
    When { key: String, cond: String, value: Val },
    /// A dtype policy name stored as the dtype it means: its variable dtype (`mixed_float16` ->
    /// `float32`) or, with `compute`, its compute dtype (`mixed_float16` -> `float16`).
    Dtype { key: String, compute: bool },
    /// An old name of `key` (`InputLayer`'s `input_shape` for `shape`): its value replaces `key`'s.
    Rename { key: String, from: String },
    /// `key` (a batch shape) from `shape` and `batch` (`InputLayer`): `shape` and `key` are
    /// exclusive, so are `batch` and `key`, one of `shape` and `key` is needed unless `unless` is
    /// given; `shape` becomes `[batch, *shape]` and `shape` and `batch` are dropped.
    Batch { key: String, shape: String, batch: String, unless: String },
    /// `key` kept only when `with` is set and not 0 (`Dense` keeps `lora_alpha` only with
    /// `lora_rank`).
    OnlyWith { key: String, with: String },
    /// A number or a list of numbers Keras converts to a tensor of `dtype` (float32), written
    /// as its `__tensor__` config (`AUC`'s `label_weights = 3` ->
    /// `{"class_name": "__tensor__", "config": {"value": 3.0, "dtype": "float32"}}`).
    Tensor { key: String, dtype: String },
    /// An argument Keras accepts and then writes as its default, `None`, whatever was given
    /// (`SimpleRNN`'s `activity_regularizer`: its cell takes no regularizer).
    Ignored { key: String },
}

/// What a rule does to the arguments, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `key` gets a value, in place when given, else at the end.
    Set(String, Val),
    /// The value of `from` moves to `to` (in place when `to` is given, else where `from` was).
    Move {
        from: String,
        to: String,
    },
    Remove(String),
}

/// Keras' refusal: the R condition class and Keras' message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub class: &'static str,
    pub message: String,
}

impl Derive {
    pub fn parse(v: &Value) -> Result<Derive, String> {
        let m: &Map<String, Value> = v.as_object().ok_or("a derive rule is not an object")?;
        let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned).ok_or(format!("derive: no {k}"));
        let key = text("key")?;
        Ok(match text("kind")?.as_str() {
            "range" => Derive::Range {
                key,
                lower: match m.get("lower") {
                    Some(Value::String(s)) if s == "neg" => None,
                    Some(x) => Some(val_of_json(x).ok_or("derive range: lower")?),
                    None => return Err("derive range: no lower".into()),
                },
            },
            "count" => Derive::Count {
                key,
                of: text("of")?,
                plus: m.get("plus").and_then(Value::as_i64).ok_or("derive count: no plus")?,
            },
            "half" => Derive::Half { key, of: text("of")? },
            "map" => Derive::Map { key, from: text("from")?, to: text("to")? },
            "when" => Derive::When {
                key,
                cond: text("if")?,
                value: m.get("value").and_then(val_of_json).ok_or("derive when: value")?,
            },
            "dtype" => Derive::Dtype { key, compute: text("as")? == "compute" },
            "rename" => Derive::Rename { key, from: text("from")? },
            "batch" => Derive::Batch { key, shape: text("shape")?, batch: text("batch")?, unless: text("unless")? },
            "only_with" => Derive::OnlyWith { key, with: text("with")? },
            "tensor" => Derive::Tensor { key, dtype: text("dtype")? },
            "ignored" => Derive::Ignored { key },
            other => return Err(format!("derive: unknown kind {other}")),
        })
    }
}

/// A JSON value as a config value: numbers keep JSON's int/float distinction; `{}` only as a dict.
fn val_of_json(v: &Value) -> Option<Val> {
    Some(match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.as_f64()?, n.is_i64() || n.is_u64()),
        Value::String(s) => Val::Str(s.clone()),
        Value::Array(a) => Val::List(a.iter().map(val_of_json).collect::<Option<_>>()?),
        Value::Object(o) if o.is_empty() => Val::Dict,
        Value::Object(_) => return None,
    })
}

fn is_set(v: &Option<Val>) -> bool {
    !matches!(v, None | Some(Val::Null))
}

/// Python's truth of a value (`if self.lora_rank:`).
fn truthy(v: &Option<Val>) -> bool {
    match v {
        None | Some(Val::Null) => false,
        Some(Val::Bool(b)) => *b,
        Some(Val::Num(x, _)) => *x != 0.0,
        Some(Val::Str(s)) => !s.is_empty(),
        Some(Val::List(l)) => !l.is_empty(),
        Some(_) => true,
    }
}

/// A number, or a list of them, as the floats a float tensor holds (`tensor.tolist()`):
/// rounded to float32 when `f32`; `None` for anything else.
fn tensor_value(v: &Val, f32: bool) -> Option<Val> {
    match v {
        Val::Num(x, _) => Some(Val::Num(if f32 { f64::from(*x as f32) } else { *x }, false)),
        Val::List(items) if !items.is_empty() => {
            items.iter().map(|x| tensor_value(x, f32)).collect::<Option<Vec<_>>>().map(Val::List)
        }
        _ => None,
    }
}

/// The arguments as the rules change them: the given ones, with the changes so far on top.
struct Overlay<'a> {
    arg: &'a dyn Fn(&str) -> Option<Val>,
    changed: Vec<(String, Option<Val>)>,
    changes: Vec<Change>,
}

impl Overlay<'_> {
    fn get(&self, key: &str) -> Option<Val> {
        match self.changed.iter().rev().find(|(k, _)| k == key) {
            Some((_, v)) => v.clone(),
            None => (self.arg)(key),
        }
    }
    fn set(&mut self, key: &str, v: Val) {
        self.changed.push((key.to_owned(), Some(v.clone())));
        self.changes.push(Change::Set(key.to_owned(), v));
    }
    fn remove(&mut self, key: &str) {
        self.changed.push((key.to_owned(), None));
        self.changes.push(Change::Remove(key.to_owned()));
    }
}

/// The changes Keras' `__init__` makes to the given arguments (`arg`: the given value of a key;
/// `base`: the value a key has when not given), or Keras' refusal. Empty when nothing changes.
pub fn derive(
    rules: &[Derive],
    arg: &dyn Fn(&str) -> Option<Val>,
    base: &dyn Fn(&str) -> Option<Val>,
) -> Result<Vec<Change>, Refusal> {
    let mut o = Overlay { arg, changed: Vec::new(), changes: Vec::new() };
    for rule in rules {
        match rule {
            Derive::Range { key, lower } => {
                if let Some(Val::Num(f, int)) = o.get(key) {
                    let low = lower.clone().unwrap_or(Val::Num(-f, int));
                    o.set(key, Val::List(vec![low, Val::Num(f, int)]));
                }
            }
            Derive::Count { key, of, plus } => {
                let n = match o.get(of) {
                    None | Some(Val::Null) => continue,
                    Some(Val::List(l)) => l.len() as i64,
                    Some(_) => 1,
                };
                let want = Val::Num((n + plus) as f64, true);
                if o.get(key).or_else(|| base(key)) != Some(want.clone()) {
                    o.set(key, want);
                }
            }
            Derive::Half { key, of } => {
                let given = o.get(key);
                let fires = match &given {
                    None => is_set(&o.get(of)),
                    Some(v) => !truthy(&Some(v.clone())),
                };
                if let (true, Some(Val::Num(rate, _))) = (fires, o.get(of).or_else(|| base(of))) {
                    o.set(key, Val::Num((rate / 2.0).trunc(), true));
                }
            }
            Derive::Map { key, from, to } => {
                if matches!(o.get(key), Some(Val::Str(s)) if s == *from) {
                    o.set(key, Val::Str(to.clone()));
                }
            }
            Derive::When { key, cond, value } => {
                let current = o.get(key).or_else(|| base(key));
                if truthy(&o.get(cond).or_else(|| base(cond))) && !is_set(&current) {
                    o.set(key, value.clone());
                }
            }
            Derive::Dtype { key, compute } => {
                if let Some(Val::Str(s)) = o.get(key) {
                    if let Some(dtype) = s.strip_prefix("mixed_") {
                        o.set(key, Val::Str(if *compute { dtype } else { "float32" }.to_owned()));
                    }
                }
            }
            Derive::Rename { key, from } => {
                if o.get(from).is_some() {
                    o.changed.push((key.clone(), o.get(from)));
                    o.changed.push((from.clone(), None));
                    o.changes.push(Change::Move { from: from.clone(), to: key.clone() });
                }
            }
            Derive::Batch { key, shape, batch, unless } => {
                let (s, b, size) = (o.get(shape), o.get(key), o.get(batch));
                if is_set(&o.get(unless)) {
                    continue;
                }
                let refuse = |message: &str| Err(Refusal { class: "kerasconfig_error_value", message: message.into() });
                if is_set(&s) && is_set(&b) {
                    return refuse("You cannot pass both `shape` and `batch_shape` at the same time.");
                }
                if is_set(&size) && is_set(&b) {
                    return refuse("You cannot pass both `batch_size` and `batch_shape` at the same time.");
                }
                if !is_set(&s) && !is_set(&b) {
                    return Err(Refusal {
                        class: "kerasconfig_error_missing_argument",
                        message: "You must pass a `shape` argument.".into(),
                    });
                }
                if let Some(s) = s.filter(|v| *v != Val::Null) {
                    let mut dims = vec![size.unwrap_or(Val::Null)];
                    match s {
                        Val::List(l) => dims.extend(l),
                        one => dims.push(one),
                    }
                    o.set(key, Val::List(dims));
                    o.remove(shape);
                }
                if o.get(batch).is_some() {
                    o.remove(batch);
                }
            }
            Derive::OnlyWith { key, with } => {
                if o.get(key).is_some() && !truthy(&o.get(with).or_else(|| base(with))) {
                    o.remove(key);
                }
            }
            Derive::Tensor { key, dtype } => {
                // A tensor config (read from a file) is left as it is.
                if let Some(value) = o.get(key).as_ref().and_then(|v| tensor_value(v, dtype == "float32")) {
                    let config = Val::Record(vec![("value".into(), value), ("dtype".into(), Val::Str(dtype.clone()))]);
                    o.set(
                        key,
                        Val::Record(vec![
                            ("class_name".into(), Val::Str("__tensor__".into())),
                            ("config".into(), config),
                        ]),
                    );
                }
            }
            Derive::Ignored { key } => {
                if is_set(&o.get(key)) {
                    o.set(key, Val::Null);
                }
            }
        }
    }
    Ok(o.changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(v: Value) -> Derive {
        Derive::parse(&v).unwrap()
    }

    fn run(rules: &[Derive], args: &[(&str, Val)], base: &[(&str, Val)]) -> Result<Vec<Change>, Refusal> {
        let find = |list: &[(&str, Val)], k: &str| list.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        derive(rules, &|k| find(args, k), &|k| find(base, k))
    }

    fn set(k: &str, v: Val) -> Change {
        Change::Set(k.into(), v)
    }

    #[test]
    fn one_number_becomes_the_range_keras_stores() {
        let neg = [rule(json!({"kind": "range", "key": "x_factor", "lower": "neg"}))];
        let zero = [rule(json!({"kind": "range", "key": "factor", "lower": 0}))];
        assert_eq!(
            run(&neg, &[("x_factor", Val::Num(0.25, false))], &[]).unwrap(),
            [set("x_factor", Val::List(vec![Val::Num(-0.25, false), Val::Num(0.25, false)]))]
        );
        assert_eq!(
            run(&zero, &[("factor", Val::Num(0.5, false))], &[]).unwrap(),
            [set("factor", Val::List(vec![Val::Num(0.0, true), Val::Num(0.5, false)]))]
        );
        // A pair is kept; nothing given, nothing changes.
        let pair = Val::List(vec![Val::Num(0.1, false), Val::Num(0.5, false)]);
        assert!(run(&zero, &[("factor", pair)], &[]).unwrap().is_empty());
        assert!(run(&zero, &[], &[]).unwrap().is_empty());
    }

    #[test]
    fn counts_halves_names_and_conditions_follow_keras() {
        let auc = [rule(json!({"kind": "count", "key": "num_thresholds", "of": "thresholds", "plus": 2}))];
        let three = Val::List(vec![Val::Num(0.25, false), Val::Num(0.5, false), Val::Num(0.75, false)]);
        assert_eq!(
            run(&auc, &[("thresholds", three.clone())], &[("num_thresholds", Val::Num(200.0, true))]).unwrap(),
            [set("num_thresholds", Val::Num(5.0, true))]
        );
        // A config Keras wrote already holds the count.
        assert!(run(&auc, &[("thresholds", three), ("num_thresholds", Val::Num(5.0, true))], &[]).unwrap().is_empty());
        let mel = [rule(json!({"kind": "half", "key": "max_freq", "of": "sampling_rate"}))];
        assert_eq!(
            run(&mel, &[("sampling_rate", Val::Num(16001.0, true))], &[]).unwrap(),
            [set("max_freq", Val::Num(8000.0, true))]
        );
        assert!(run(&mel, &[("sampling_rate", Val::Num(16002.0, true)), ("max_freq", Val::Num(7000.0, true))], &[])
            .unwrap()
            .is_empty());
        let vs = [rule(json!({"kind": "map", "key": "distribution", "from": "normal", "to": "truncated_normal"}))];
        assert_eq!(
            run(&vs, &[("distribution", Val::Str("normal".into()))], &[]).unwrap(),
            [set("distribution", Val::Str("truncated_normal".into()))]
        );
        let bn = [rule(json!({"kind": "when", "key": "renorm_clipping", "if": "renorm", "value": {}}))];
        assert_eq!(
            run(&bn, &[("renorm", Val::Bool(true))], &[("renorm_clipping", Val::Null)]).unwrap(),
            [set("renorm_clipping", Val::Dict)]
        );
        assert!(run(&bn, &[("renorm", Val::Bool(false))], &[("renorm_clipping", Val::Null)]).unwrap().is_empty());
        let var = [rule(json!({"kind": "dtype", "key": "dtype", "as": "variable"}))];
        let compute = [rule(json!({"kind": "dtype", "key": "dtype", "as": "compute"}))];
        let mixed = [("dtype", Val::Str("mixed_bfloat16".into()))];
        assert_eq!(run(&var, &mixed, &[]).unwrap(), [set("dtype", Val::Str("float32".into()))]);
        assert_eq!(run(&compute, &mixed, &[]).unwrap(), [set("dtype", Val::Str("bfloat16".into()))]);
        let lora = [rule(json!({"kind": "only_with", "key": "lora_alpha", "with": "lora_rank"}))];
        assert_eq!(
            run(&lora, &[("lora_alpha", Val::Num(3.0, true))], &[]).unwrap(),
            [Change::Remove("lora_alpha".into())]
        );
        assert!(run(&lora, &[("lora_alpha", Val::Num(3.0, true)), ("lora_rank", Val::Num(4.0, true))], &[])
            .unwrap()
            .is_empty());
    }

    #[test]
    fn numbers_become_float32_tensor_configs_and_ignored_arguments_their_default() {
        let auc = [rule(json!({"kind": "tensor", "key": "label_weights", "dtype": "float32"}))];
        let tensor = |value: Val| {
            let config = Val::Record(vec![("value".into(), value), ("dtype".into(), Val::Str("float32".into()))]);
            set(
                "label_weights",
                Val::Record(vec![("class_name".into(), Val::Str("__tensor__".into())), ("config".into(), config)]),
            )
        };
        // Keras 3.15.1: AUC(label_weights=3) and AUC(label_weights=[1, 0.1]).
        assert_eq!(run(&auc, &[("label_weights", Val::Num(3.0, true))], &[]).unwrap(), [tensor(Val::Num(3.0, false))]);
        assert_eq!(
            run(&auc, &[("label_weights", Val::List(vec![Val::Num(1.0, true), Val::Num(0.1, false)]))], &[]).unwrap(),
            [tensor(Val::List(vec![Val::Num(1.0, false), Val::Num(0.10000000149011612, false)]))]
        );
        // A tensor config read from a file, and None, stay as they are.
        assert!(run(&auc, &[("label_weights", Val::Dict)], &[]).unwrap().is_empty());
        assert!(run(&auc, &[("label_weights", Val::Null)], &[]).unwrap().is_empty());
        let rnn = [rule(json!({"kind": "ignored", "key": "activity_regularizer"}))];
        let l2 = Val::Object(vec!["L2".into()]);
        assert_eq!(run(&rnn, &[("activity_regularizer", l2)], &[]).unwrap(), [set("activity_regularizer", Val::Null)]);
        assert!(run(&rnn, &[("activity_regularizer", Val::Null)], &[]).unwrap().is_empty());
    }

    #[test]
    fn an_input_layer_gets_its_batch_shape_as_keras_makes_it() {
        let rules = [
            rule(json!({"kind": "rename", "key": "shape", "from": "input_shape"})),
            rule(json!({"kind": "batch", "key": "batch_shape", "shape": "shape", "batch": "batch_size",
                        "unless": "input_tensor"})),
        ];
        let four = Val::List(vec![Val::Num(4.0, true)]);
        let three = Val::List(vec![Val::Num(3.0, true)]);
        assert_eq!(
            run(&rules, &[("shape", four.clone()), ("input_shape", three)], &[]).unwrap(),
            [
                Change::Move { from: "input_shape".into(), to: "shape".into() },
                set("batch_shape", Val::List(vec![Val::Null, Val::Num(3.0, true)])),
                Change::Remove("shape".into()),
            ]
        );
        assert_eq!(
            run(&rules, &[("shape", Val::Num(4.0, true)), ("batch_size", Val::Num(2.0, true))], &[]).unwrap(),
            [
                set("batch_shape", Val::List(vec![Val::Num(2.0, true), Val::Num(4.0, true)])),
                Change::Remove("shape".into()),
                Change::Remove("batch_size".into()),
            ]
        );
        let both = run(&rules, &[("shape", four.clone()), ("batch_shape", four)], &[]).unwrap_err();
        assert_eq!(both.message, "You cannot pass both `shape` and `batch_shape` at the same time.");
        assert_eq!(run(&rules, &[], &[]).unwrap_err().class, "kerasconfig_error_missing_argument");
    }
}
