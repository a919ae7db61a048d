//! The argument checks Keras' `__init__` makes, per class (`checks` in `rules.json`): the one
//! implementation behind the R constructors, `set_config()` and deserialization
//! (`rs_builtin_check()`, called by `kc_builtin_init()` in R/builtins.R) and the fast path (a config
//! failing a check goes to R, which raises the error). Keras' `from_config()` runs `__init__`, so a
//! config read from a file is checked as the arguments of a constructor are.
//!
//! A check looks at the config the class would write (after R's coercions: integers, tuples
//! filled), not at the raw arguments, so the three paths agree. Messages are Keras' own, from
//! `tools/gen-constructor-fixtures.py`, with `{value}` and `{other}` standing for the values.

use crate::codec::float::write_repr;
use serde_json::{Map, Value};

/// A config value, as far as the checks care.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    /// A number; `integer` when R holds it as an integer.
    Num(f64, bool),
    Str(String),
    /// An unnamed list, or a numeric/character/logical vector of length other than 1.
    List(Vec<Val>),
    /// A named list: a Python dict.
    Dict,
    /// A dict a rule builds, with its entries in order (AUC's `__tensor__` config).
    Record(Vec<(String, Val)>),
    /// A classed R object (a live Keras object); its classes.
    Object(Vec<String>),
    Other,
}

impl Val {
    fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }
    fn num(&self) -> Option<f64> {
        match self {
            Val::Num(x, _) => Some(*x),
            _ => None,
        }
    }
    /// The numbers of a list of numbers, or of a single number.
    fn nums(&self) -> Option<Vec<f64>> {
        match self {
            Val::Num(x, _) => Some(vec![*x]),
            Val::List(v) => v.iter().map(Val::num).collect(),
            _ => None,
        }
    }
    /// Python's `str()` of the value, as Keras' messages show it.
    pub fn show(&self) -> String {
        match self {
            Val::Null => "None".into(),
            Val::Bool(b) => (if *b { "True" } else { "False" }).into(),
            Val::Num(x, true) => format!("{x}"),
            Val::Num(x, false) if x.is_finite() => {
                let mut s = String::new();
                write_repr(*x, &mut s);
                s
            }
            Val::Num(x, false) => (if x.is_nan() {
                "nan"
            } else if *x > 0.0 {
                "inf"
            } else {
                "-inf"
            })
            .into(),
            Val::Str(s) => s.clone(),
            Val::List(v) => format!("[{}]", v.iter().map(Val::show_repr).collect::<Vec<_>>().join(", ")),
            Val::Dict | Val::Record(_) => "{...}".into(),
            Val::Object(c) => format!("<{}>", c.first().map_or("object", String::as_str)),
            Val::Other => "<object>".into(),
        }
    }
    fn show_repr(&self) -> String {
        match self {
            Val::Str(s) => format!("'{s}'"),
            v => v.show(),
        }
    }
}

/// One check of one argument (`key`), possibly against another (`other`).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub kind: Kind,
    pub key: String,
    pub other: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A number (each number of a list, with `each`; a number or a list of two, with `pair`)
    /// within bounds; `int`: whole numbers only. `None` always passes.
    Range {
        min: Option<f64>,
        max: Option<f64>,
        min_open: bool,
        max_open: bool,
        int: bool,
        each: bool,
        pair: bool,
    },
    /// A string among `values`; `None` passes when `null_ok`; other values pass unless `strict`.
    OneOf {
        values: Vec<String>,
        null_ok: bool,
        strict: bool,
    },
    /// A list of two numbers.
    Pair,
    /// `key` is divisible by `other` (both numbers).
    Divisible,
    /// Each number of `key` is below the one of `other` at the same position (`None` passes).
    Less,
    /// `key` (unless `None`) is at most / at least `other`.
    AtMost,
    AtLeast,
    /// Each number of `key` is odd.
    Odd,
    /// `key` and `other` are both `None` or both set.
    Together,
    /// Not both `key` and `other` set.
    Exclusive,
    /// `key` set needs `other` true.
    Needs,
    /// A permutation of 1..n.
    Permutation,
    /// A dict (named list) or `None`.
    Dict,
    /// A string.
    Str,
    /// `"<prefix>/<int>/..."` with `parts` integers.
    Format {
        prefix: String,
        parts: usize,
    },
    /// `None`, a string (with `string_ok`), or an R object of class `class`.
    Instance {
        class: String,
        string_ok: bool,
    },
    /// Given at all (Keras takes it twice and refuses): judged on the given argument names.
    Refused,
}

fn num_field(m: &Map<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(Value::as_f64)
}

fn flag(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(false)
}

impl Check {
    pub fn parse(v: &Value) -> Result<Check, String> {
        let m = v.as_object().ok_or("a check is not an object")?;
        let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
        let kind_name = text("kind").ok_or("a check without kind")?;
        let key = text("key").ok_or(format!("{kind_name}: no key"))?;
        let kind = match kind_name.as_str() {
            "range" => Kind::Range {
                min: num_field(m, "min"),
                max: num_field(m, "max"),
                min_open: flag(m, "min_open"),
                max_open: flag(m, "max_open"),
                int: flag(m, "int"),
                each: flag(m, "each"),
                pair: flag(m, "pair"),
            },
            "one_of" => {
                let values = m.get("values").and_then(Value::as_array).ok_or(format!("one_of {key}: no values"))?;
                Kind::OneOf {
                    values: values.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
                    null_ok: values.iter().any(Value::is_null),
                    strict: flag(m, "strict"),
                }
            }
            "pair" => Kind::Pair,
            "divisible" => Kind::Divisible,
            "less" => Kind::Less,
            "at_most" => Kind::AtMost,
            "at_least" => Kind::AtLeast,
            "odd" => Kind::Odd,
            "together" => Kind::Together,
            "exclusive" => Kind::Exclusive,
            "needs" => Kind::Needs,
            "permutation" => Kind::Permutation,
            "dict" => Kind::Dict,
            "string" => Kind::Str,
            "format" => Kind::Format {
                prefix: text("prefix").ok_or(format!("format {key}: no prefix"))?,
                parts: m.get("parts").and_then(Value::as_u64).unwrap_or(0) as usize,
            },
            "instance" => Kind::Instance {
                class: text("class").ok_or(format!("instance {key}: no class"))?,
                string_ok: flag(m, "string_ok"),
            },
            "refused" => Kind::Refused,
            other => return Err(format!("unknown check kind '{other}'")),
        };
        let other = text("other");
        let needs_other = matches!(
            kind,
            Kind::Divisible
                | Kind::Less
                | Kind::AtMost
                | Kind::AtLeast
                | Kind::Together
                | Kind::Exclusive
                | Kind::Needs
        );
        if needs_other && other.is_none() {
            return Err(format!("{kind_name} {key}: no other"));
        }
        let message = text("message").ok_or(format!("{kind_name} {key}: no message"))?;
        Ok(Check { kind, key, other, message })
    }

    /// Whether `value` (and `other`, the value of the other key) pass.
    fn passes(&self, value: &Val, other: &Val, given: bool) -> bool {
        let whole = |x: f64| x.is_finite() && x == x.round();
        match &self.kind {
            Kind::Refused => !given,
            Kind::Together => value.is_null() == other.is_null(),
            Kind::Exclusive => value.is_null() || other.is_null(),
            Kind::Needs => value.is_null() || *other == Val::Bool(true),
            Kind::OneOf { values, null_ok, strict } => match value {
                Val::Str(s) => values.contains(s),
                Val::Null => *null_ok || !strict,
                _ => !strict,
            },
            _ if value.is_null() => !matches!(self.kind, Kind::Pair | Kind::Str),
            Kind::Range { min, max, min_open, max_open, int, each, pair } => {
                let nums = match value {
                    Val::Num(x, _) => vec![*x],
                    // Each number of a list; `None`s in it (unknown dimensions) pass.
                    Val::List(items) if *each => match items.iter().filter(|x| !x.is_null()).map(Val::num).collect() {
                        Some(v) => v,
                        None => return false,
                    },
                    Val::List(_) if *pair => match value.nums() {
                        Some(v) if v.len() == 2 => v,
                        _ => return false,
                    },
                    _ => return false,
                };
                nums.iter().all(|&x| {
                    !x.is_nan()
                        && (!int || whole(x))
                        && min.is_none_or(|m| if *min_open { x > m } else { x >= m })
                        && max.is_none_or(|m| if *max_open { x < m } else { x <= m })
                })
            }
            Kind::Pair => matches!(value, Val::List(v) if v.len() == 2 && v.iter().all(|x| x.num().is_some())),
            Kind::Divisible => match (value.num(), other.num()) {
                (Some(a), Some(b)) if b != 0.0 => a % b == 0.0,
                _ => true,
            },
            Kind::Less => match (value.nums(), other.nums()) {
                (Some(a), Some(b)) => a.iter().zip(b.iter().cycle()).all(|(x, y)| x < y),
                _ => true,
            },
            Kind::AtMost | Kind::AtLeast => match (value.num(), other.num()) {
                (Some(a), Some(b)) => {
                    if self.kind == Kind::AtMost {
                        a <= b
                    } else {
                        a >= b
                    }
                }
                _ => true,
            },
            Kind::Odd => value.nums().is_some_and(|v| v.iter().all(|&x| whole(x) && x.rem_euclid(2.0) == 1.0)),
            Kind::Permutation => value.nums().is_some_and(|v| {
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                sorted.iter().enumerate().all(|(i, &x)| x == (i + 1) as f64)
            }),
            Kind::Dict => matches!(value, Val::Dict) || *value == Val::List(vec![]),
            Kind::Str => matches!(value, Val::Str(_)),
            Kind::Format { prefix, parts } => match value {
                Val::Str(s) => {
                    let mut it = s.split('/');
                    it.next() == Some(prefix.as_str())
                        && it.clone().count() == *parts
                        && it.all(|p| p.parse::<i64>().is_ok())
                }
                _ => false,
            },
            Kind::Instance { class, string_ok } => match value {
                Val::Str(_) => *string_ok,
                Val::Object(classes) => classes.iter().any(|c| c == class),
                _ => false,
            },
        }
    }
}

/// The first check a config fails: Keras' message, or `None` when all pass. `get` gives a key's
/// value (`None`: not in the config), `given` whether an argument was given by name.
pub fn first_failure(
    checks: &[Check],
    get: &dyn Fn(&str) -> Option<Val>,
    given: &dyn Fn(&str) -> bool,
) -> Option<String> {
    checks.iter().find_map(|c| {
        let value = get(&c.key).unwrap_or(Val::Null);
        let other = c.other.as_deref().and_then(get).unwrap_or(Val::Null);
        if c.passes(&value, &other, given(&c.key)) {
            None
        } else {
            Some(c.message.replace("{value}", &value.show()).replace("{other}", &other.show()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Check {
        Check::parse(&v).unwrap()
    }
    fn run(c: &Check, value: Val, other: Val) -> Option<String> {
        first_failure(
            std::slice::from_ref(c),
            &|k| Some(if k == c.key { value.clone() } else { other.clone() }),
            &|_| false,
        )
    }
    fn n(x: f64) -> Val {
        Val::Num(x, false)
    }
    fn i(x: i32) -> Val {
        Val::Num(f64::from(x), true)
    }

    #[test]
    fn ranges_take_bounds_whole_numbers_and_pairs() {
        let units = check(json!({"kind": "range", "key": "units", "min": 1, "int": true,
            "message": "Received an invalid value for `units`, expected a positive integer. Received: units={value}"}));
        assert_eq!(
            run(&units, i(-3), Val::Null).as_deref(),
            Some("Received an invalid value for `units`, expected a positive integer. Received: units=-3")
        );
        assert!(run(&units, i(3), Val::Null).is_none());
        assert!(run(&units, n(2.5), Val::Null).is_some());
        assert!(run(&units, Val::Null, Val::Null).is_none());
        assert!(run(&units, Val::Str("3".into()), Val::Null).is_some());
        let factor =
            check(json!({"kind": "range", "key": "factor", "min": -1, "max": 1, "min_open": true, "pair": true,
            "message": "factor={value}"}));
        assert_eq!(run(&factor, n(1.5), Val::Null).as_deref(), Some("factor=1.5"));
        assert_eq!(run(&factor, n(2.0), Val::Null).as_deref(), Some("factor=2.0"));
        assert!(run(&factor, Val::List(vec![n(-0.5), n(1.0)]), Val::Null).is_none());
        assert!(run(&factor, Val::List(vec![n(-1.0), n(1.0)]), Val::Null).is_some());
        assert!(run(&factor, Val::List(vec![n(0.1), n(0.2), n(0.3)]), Val::Null).is_some());
        let ids = check(json!({"kind": "range", "key": "ids", "min": 0, "max": 2, "max_open": true, "each": true,
            "message": "{value}"}));
        assert!(run(&ids, Val::List(vec![i(0), i(1)]), Val::Null).is_none());
        assert_eq!(run(&ids, Val::List(vec![i(1), i(2)]), Val::Null).as_deref(), Some("[1, 2]"));
        let shape =
            check(json!({"kind": "range", "key": "shape", "min": 0, "int": true, "each": true, "message": "m"}));
        assert!(run(&shape, Val::List(vec![Val::Null, i(4)]), Val::Null).is_none());
        assert!(run(&shape, Val::List(vec![Val::Null, n(0.5)]), Val::Null).is_some());
    }

    #[test]
    fn relations_between_two_arguments() {
        let groups = check(json!({"kind": "divisible", "key": "filters", "other": "groups",
            "message": "Received: groups={other}, filters={value}."}));
        assert_eq!(run(&groups, i(4), i(3)).as_deref(), Some("Received: groups=3, filters=4."));
        assert!(run(&groups, i(4), i(2)).is_none());
        let less = check(json!({"kind": "less", "key": "output_padding", "other": "strides", "message": "m"}));
        assert!(run(&less, Val::List(vec![i(3)]), Val::List(vec![i(1)])).is_some());
        assert!(run(&less, Val::List(vec![i(1), i(0)]), Val::List(vec![i(2), i(2)])).is_none());
        assert!(run(&less, Val::Null, Val::List(vec![i(1)])).is_none());
        let together = check(json!({"kind": "together", "key": "mean", "other": "variance", "message": "m"}));
        assert!(run(&together, n(3.0), Val::Null).is_some());
        assert!(run(&together, Val::Null, Val::Null).is_none());
        let excl = check(json!({"kind": "exclusive", "key": "num_bins", "other": "bin_boundaries", "message": "m"}));
        assert!(run(&excl, i(3), Val::List(vec![n(0.0)])).is_some());
        assert!(run(&excl, Val::Null, Val::List(vec![n(0.0)])).is_none());
        let needs = check(json!({"kind": "needs", "key": "num_labels", "other": "multi_label", "message": "m"}));
        assert!(run(&needs, i(3), Val::Bool(false)).is_some());
        assert!(run(&needs, i(3), Val::Bool(true)).is_none());
        let at_most = check(json!({"kind": "at_most", "key": "frame_step", "other": "frame_length", "message": "m"}));
        assert!(run(&at_most, i(300), i(256)).is_some());
        assert!(run(&at_most, i(128), i(256)).is_none());
    }

    #[test]
    fn strings_formats_and_shapes_of_values() {
        let padding =
            check(json!({"kind": "one_of", "key": "padding", "values": ["valid", "same"], "message": "{value}"}));
        assert_eq!(run(&padding, Val::Str("bogus".into()), Val::Null).as_deref(), Some("bogus"));
        assert!(run(&padding, Val::Str("same".into()), Val::Null).is_none());
        assert!(run(&padding, Val::List(vec![i(1)]), Val::Null).is_none());
        let average = check(
            json!({"kind": "one_of", "key": "average", "values": [null, "micro"], "strict": true, "message": "m"}),
        );
        assert!(run(&average, Val::Null, Val::Null).is_none());
        assert!(run(&average, i(3), Val::Null).is_some());
        assert!(run(&average, Val::Str("micro".into()), Val::Null).is_none());
        let pair = check(json!({"kind": "pair", "key": "value_range", "message": "value_range={value}"}));
        assert_eq!(run(&pair, i(1), Val::Null).as_deref(), Some("value_range=1"));
        assert!(run(&pair, Val::List(vec![i(0), i(255)]), Val::Null).is_none());
        let fmt = check(json!({"kind": "format", "key": "mode", "prefix": "awq", "parts": 2, "message": "m"}));
        assert!(run(&fmt, Val::Str("awq/4/128".into()), Val::Null).is_none());
        assert!(run(&fmt, Val::Str("awq/4".into()), Val::Null).is_some());
        assert!(run(&fmt, Val::Str("vertical".into()), Val::Null).is_some());
        let perm = check(json!({"kind": "permutation", "key": "dims", "message": "m"}));
        assert!(run(&perm, Val::List(vec![i(2), i(1)]), Val::Null).is_none());
        assert!(run(&perm, Val::List(vec![i(3), i(2)]), Val::Null).is_some());
        let odd = check(json!({"kind": "odd", "key": "kernel_size", "message": "m"}));
        assert!(run(&odd, i(4), Val::Null).is_some());
        assert!(run(&odd, Val::List(vec![i(3), i(5)]), Val::Null).is_none());
        let inst = check(json!({"kind": "instance", "key": "layer", "class": "keras_layers", "message": "m"}));
        assert!(run(&inst, Val::Object(vec!["LSTM".into(), "keras_layers".into()]), Val::Null).is_none());
        assert!(run(&inst, n(3.0), Val::Null).is_some());
        assert!(Check::parse(&json!({"kind": "nope", "key": "k", "message": "m"})).is_err());
        assert!(Check::parse(&json!({"kind": "less", "key": "k", "message": "m"})).is_err());
    }
}
