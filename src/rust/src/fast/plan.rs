//! What the fast path needs to know about a built-in class to build it as R's `kc_builtin_init()`
//! (R/builtins.R) does, worked out once per catalog entry, without R: which config keys it
//! accepts, which it requires, what kind of default each key has, and how a given value is
//! coerced (`kc_builtin_coerce()`). Whatever R would do that is not modelled here (generate a
//! name or a seed, look a name up, raise an error) is a [`Coerce::Fallback`] or a plan that
//! refuses the config, so R handles it.

use crate::catalog::rules::{rules_for, Rules};
use crate::catalog::{catalog, Entry};
use serde_json::Value;
// foldhash: looked up for every key of every config read (SipHash showed in profiles).
use foldhash::{HashMap, HashMapExt};
use std::sync::{LazyLock, OnceLock};

/// Keras' base-layer keyword arguments, accepted by every layer and model (`kc_layer_kwargs`).
pub const LAYER_KWARGS: [&str; 9] = [
    "name",
    "trainable",
    "dtype",
    "autocast",
    "activity_regularizer",
    "input_dim",
    "input_shape",
    "batch_input_shape",
    "batch_size",
];

/// The base-layer arguments that describe an input layer (`kc_input_kwargs`): R keeps them
/// aside when the class does not take them itself.
pub const INPUT_KWARGS: [&str; 4] = ["input_dim", "input_shape", "batch_input_shape", "batch_size"];

/// What a key's default value is, as far as coercion cares (`defaults[[key]]` in R).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultKind {
    /// No default (not in the default config), or `null`.
    Null,
    /// A string (`is.character(default)`).
    Str,
    /// An integer R holds as integer (`is.integer(default)`).
    Int,
    /// An array or an object (`is.list(default)`); `dict` when it is an object config
    /// (`class_name` and `config`), which R turns into a fresh object when the key is not given.
    List { dict: bool },
    /// A number R holds as double, or a boolean.
    Other,
}

impl DefaultKind {
    pub fn of(value: &Value) -> DefaultKind {
        match value {
            Value::Null => DefaultKind::Null,
            Value::String(_) => DefaultKind::Str,
            Value::Number(n) => match n.as_i64() {
                // R's integers run from -(2^31 - 1); the codec reads others as doubles.
                Some(i) if i > i64::from(i32::MIN) && i <= i64::from(i32::MAX) => DefaultKind::Int,
                _ => DefaultKind::Other,
            },
            Value::Array(_) => DefaultKind::List { dict: false },
            Value::Object(m) => DefaultKind::List { dict: m.contains_key("class_name") && m.contains_key("config") },
            Value::Bool(_) => DefaultKind::Other,
        }
    }
}

/// How a config key is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRule {
    /// Matches `(^|_)activation$`.
    pub activation: bool,
    /// A string here names an object (`kc_object_slot()`): R looks it up, so the fast path
    /// falls back.
    pub object_slot: bool,
    /// Stored as float32 (`rules.json`: optimizers' `learning_rate`, `L1`'s `l1`).
    pub float32: bool,
    /// An integer parameter (`rules.json`): whole doubles become integers.
    pub integer: bool,
    /// One number stands for a tuple (`rules.json`): R fills it.
    pub fill: bool,
    /// Keras writes this key elsewhere when it is set (a given `activity_regularizer` right after
    /// `dtype`, see [`ACTIVITY_AFTER_DTYPE`]): R moves it, so a value other than NULL falls back.
    pub moves_when_set: bool,
    pub default: DefaultKind,
}

/// The layers whose `activity_regularizer`, when set, Keras writes right after `dtype`
/// (`kc_activity_twice_classes` in R/serialize.R, from tools/probe-shared-objects.py).
pub const ACTIVITY_AFTER_DTYPE: [&str; 19] = [
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "EinsumDense",
    "Embedding",
    "ReversibleEmbedding",
    "GroupQueryAttention",
    "LSTM",
    "GRU",
];

impl KeyRule {
    pub fn new(key: &str, default: DefaultKind, rules: &Rules) -> KeyRule {
        KeyRule {
            activation: key == "activation" || key.ends_with("_activation"),
            object_slot: key.ends_with("initializer")
                || key.ends_with("regularizer")
                || key.ends_with("constraint")
                || (key == "dtype" && matches!(default, DefaultKind::List { .. })),
            float32: rules.is_float32(key),
            integer: rules.is_int(key),
            fill: rules.fills(key),
            moves_when_set: false,
            default,
        }
    }
}

/// What a value is, as far as coercion cares. Built from the R value by the reader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind {
    Null,
    /// A character vector of length 1 (any attributes, `NA` included).
    String1,
    /// A function of class `keras_builtin_function`.
    BuiltinFunction,
    /// An integer or double vector.
    Numeric(Numeric),
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numeric {
    pub integer: bool,
    pub len: usize,
    /// Has any attribute at all.
    pub attributes: bool,
    /// Has a class: `keras_integer` (a double `is.numeric()` still counts), or another one.
    pub class: NumericClass,
    /// The first element as a double (`NA` as NaN); 0 when empty.
    pub first: f64,
    /// The first element is `NA` (integer) or NaN/`NA` (double).
    pub first_missing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericClass {
    None,
    KerasInteger,
    /// Another class: `is.numeric()` may dispatch to a method (factors, dates).
    Other,
}

/// The outcome of `kc_builtin_coerce()` for one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coerce {
    Keep,
    /// `"linear"`, for a NULL activation whose default is a string.
    Linear,
    /// The `keras_name` attribute of a built-in function.
    Name,
    /// A double through float32 and back.
    Float32(f64),
    Integer(i32),
    Fallback,
}

/// `kc_builtin_coerce()` for a value already deserialized.
pub fn coerce(rule: &KeyRule, value: &ValueKind) -> Coerce {
    if rule.moves_when_set && *value != ValueKind::Null {
        return Coerce::Fallback;
    }
    if *value == ValueKind::Null {
        return if rule.activation && rule.default == DefaultKind::Str { Coerce::Linear } else { Coerce::Keep };
    }
    if rule.object_slot && *value == ValueKind::String1 {
        return Coerce::Fallback;
    }
    if rule.activation {
        return if *value == ValueKind::BuiltinFunction { Coerce::Name } else { Coerce::Keep };
    }
    let ValueKind::Numeric(n) = value else { return Coerce::Keep };
    if rule.float32 && n.len == 1 {
        if n.class == NumericClass::Other || n.first_missing {
            return Coerce::Fallback;
        }
        // `writeBin(size = 4)` narrows as C does; only finite values beyond float's range
        // might differ from Rust's rounding to infinity.
        if n.first.is_finite() && n.first.abs() > f64::from(f32::MAX) {
            return Coerce::Fallback;
        }
        return Coerce::Float32(f64::from(n.first as f32));
    }
    if n.class != NumericClass::None {
        // `is.object(value)`: kept as it is (a keras_integer, say).
        return Coerce::Keep;
    }
    // `kc_like_default()`: names would be dropped, vectors become lists, tuples get filled.
    if n.attributes || n.len != 1 || rule.fill || matches!(rule.default, DefaultKind::List { .. }) {
        return Coerce::Fallback;
    }
    let whole = !n.first_missing && n.first.is_finite() && n.first == n.first.round();
    if rule.integer && whole {
        if n.integer {
            return Coerce::Keep;
        }
        // as.integer() gives NA (with a warning) outside R's integer range.
        return if n.first > f64::from(i32::MIN) && n.first <= f64::from(i32::MAX) {
            Coerce::Integer(n.first as i32)
        } else {
            Coerce::Fallback
        };
    }
    Coerce::Keep
}

/// How a given key of a config fits the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyClass {
    /// The default config's key at this position.
    Default(usize),
    /// Accepted (a parameter, or a base-layer argument), not in the default config.
    Extra,
    /// Not accepted, or an input-layer argument R keeps aside: R handles it.
    Fallback,
}

/// One built-in class, ready for the fast path.
pub struct Plan {
    /// The default config's keys, in order, with their rules.
    pub keys: Vec<(String, KeyRule)>,
    index: HashMap<String, usize>,
    /// Accepted keys that are not in the default config.
    extra: HashMap<String, KeyRule>,
    /// Parameters a config must give (as R computes them).
    pub required: Vec<String>,
    /// A layer whose name R would generate when the config has none.
    pub generates_name: bool,
    /// R might draw a seed when the config gives none (see `seed_may_be_drawn`).
    pub draws_seed: bool,
    /// Key -> the key it defaults to when absent (`rules.json`): R copies it.
    pub copies: &'static [(String, String)],
    /// The class's rules, for Keras' argument checks (`catalog/checks.rs`).
    pub rules: &'static Rules,
}

impl Plan {
    /// The plan of a class, or `None` when the fast path must leave it to R: functions, models
    /// other than Sequential and Functional (which `model()` in read.rs builds), and classes
    /// without a default config.
    pub fn new(entry: &'static Entry) -> Option<Plan> {
        let models = entry.family == "models";
        if entry.kind != kerasconfig_core::Kind::Class
            || (models && !matches!(entry.canonical.as_str(), "Sequential" | "Functional"))
        {
            return None;
        }
        let defaults = entry.default_config.as_ref()?;
        let rules = rules_for(entry);
        let layer_like = entry.family == "layers" || entry.family == "models";
        let moves = entry.namespace == "keras.layers" && ACTIVITY_AFTER_DTYPE.contains(&entry.name.as_str());
        let keys: Vec<(String, KeyRule)> = defaults
            .iter()
            .map(|(k, v)| {
                let mut rule = KeyRule::new(k, DefaultKind::of(v), rules);
                rule.moves_when_set = moves && k == "activity_regularizer";
                (k.clone(), rule)
            })
            .collect();
        let index: HashMap<String, usize> = keys.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
        let params: Vec<&str> = entry
            .params
            .iter()
            .filter(|p| p.kind != "var_keyword" && p.kind != "var_positional")
            .map(|p| p.name.as_str())
            .collect();
        let mut extra = HashMap::new();
        // Base-layer arguments reach Layer.__init__ through **kwargs: a class without them
        // (SpatialDropout1D) refuses them, in R.
        let takes_kwargs = entry.params.iter().any(|p| p.kind == "var_keyword");
        let base: &[&str] = if layer_like && takes_kwargs { &LAYER_KWARGS } else { &[] };
        // A model's config may record the shape it was built with (`kc_builtin_init()`).
        let model_keys: &[&str] = if models { &["build_input_shape"] } else { &[] };
        for &k in params.iter().chain(base).chain(model_keys) {
            if index.contains_key(k) {
                continue;
            }
            // An input-layer argument the class does not take itself is kept aside by R.
            if INPUT_KWARGS.contains(&k) && !params.contains(&k) {
                continue;
            }
            // R drops what Keras does not keep, and places optional keys where Keras does (in
            // an automatic config, where they were given).
            if rules.is_dropped(k) || rules.after(k).is_some() || rules.auto {
                continue;
            }
            extra.insert(k.to_owned(), KeyRule::new(k, DefaultKind::Null, rules));
        }
        // Required parameters: those Keras marks so (R's `info$required`); models take theirs
        // (inputs, outputs) from the layers instead.
        let mut required: Vec<String> = if models {
            Vec::new()
        } else {
            entry.params.iter().filter(|p| p.required).map(|p| p.name.clone()).collect()
        };
        // Without a backward_layer, Bidirectional makes one from its layer (R does it), never the
        // default config's.
        if entry.namespace == "keras.layers" && entry.name == "Bidirectional" {
            required.push("backward_layer".to_owned());
        }
        Some(Plan {
            generates_name: layer_like && index.contains_key("name"),
            draws_seed: seed_may_be_drawn(entry),
            copies: &rules.copies,
            rules,
            keys,
            index,
            extra,
            required,
        })
    }

    /// Whether a config built for this class passes Keras' argument checks (the ones R applies,
    /// `rs_builtin_check()`); a config that does not goes to R, which raises the error.
    ///
    /// # Safety
    /// On R's main thread, with `config` a protected named list.
    pub unsafe fn passes_checks(&self, config: extendr_api::SEXP) -> bool {
        use crate::catalog::rules::{config_failure, position};
        config_failure(self.rules, config, &|k| position(config, k).is_some()).is_none()
    }

    /// Whether Keras' `__init__` would derive a value from this config or refuse it
    /// (`catalog/derive.rs`); such a config goes to R, which applies the rule. A config Keras
    /// wrote holds the derived values already.
    ///
    /// # Safety
    /// On R's main thread, with `config` (the given arguments; not a list: goes to R) and
    /// `defaults` protected.
    pub unsafe fn derives(&self, config: extendr_api::SEXP, defaults: extendr_api::SEXP) -> bool {
        use extendr_ffi::{SEXPTYPE, TYPEOF};
        if self.rules.derive.is_empty() {
            return false;
        }
        if TYPEOF(config) != SEXPTYPE::VECSXP || TYPEOF(defaults) != SEXPTYPE::VECSXP {
            return true;
        }
        !matches!(crate::catalog::rules::derived_changes(self.rules, config, defaults), Ok(c) if c.is_empty())
    }

    pub fn classify(&self, key: &str) -> KeyClass {
        if let Some(&i) = self.index.get(key) {
            KeyClass::Default(i)
        } else if self.extra.contains_key(key) {
            KeyClass::Extra
        } else {
            KeyClass::Fallback
        }
    }

    /// The rule of a key `classify` called `Extra`.
    pub fn extra_rule(&self, key: &str) -> Option<&KeyRule> {
        self.extra.get(key)
    }

    /// The default config's keys.
    #[cfg(test)]
    pub fn key_names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(k, _)| k.as_str())
    }
}

/// R draws a seed (RandomCrop) when none is given, `config$seed` is a number (`$` matches a
/// unique prefix too) and the `seed` parameter defaults to null. Judged generously: a `true`
/// here only sends such configs to R.
fn seed_may_be_drawn(entry: &Entry) -> bool {
    let Some(defaults) = entry.default_config.as_ref() else { return false };
    let seed_default_null =
        entry.params.iter().find(|p| p.name == "seed").is_some_and(|p| matches!(p.default, Some(Value::Null)));
    let numeric_seed = defaults.iter().any(|(k, v)| k.starts_with("seed") && v.is_number());
    seed_default_null && numeric_seed
}

/// The plan of the catalog entry `id` (made on first use), or `None`.
pub fn plan(id: usize) -> Option<&'static Plan> {
    static PLANS: LazyLock<Vec<OnceLock<Option<Plan>>>> =
        LazyLock::new(|| catalog().entries().iter().map(|_| OnceLock::new()).collect());
    let entry = catalog().by_id(id)?;
    PLANS.get(id)?.get_or_init(|| Plan::new(entry)).as_ref()
}

/// The catalog entry R's `kc_builtin_info()` uses for a built-in R object kept under `key`
/// (`rs_builtin_lookup()` in lib.rs: the first canonical entry with that key).
pub fn entry_for_key(key: &str) -> Option<&'static Entry> {
    static KEYS: LazyLock<HashMap<String, usize>> = LazyLock::new(|| {
        let mut keys = HashMap::new();
        for entry in catalog().entries().iter().filter(|e| e.canonical_id == e.id) {
            keys.entry(crate::builtin_key(entry)).or_insert(entry.id);
        }
        keys
    });
    KEYS.get(key).and_then(|&id| catalog().by_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(namespace: &str, name: &str) -> &'static Plan {
        let e = catalog().entries().iter().find(|e| e.namespace == namespace && e.name == name).expect("in catalog");
        plan(e.canonical_id).expect("a plan")
    }

    fn rules(int: &[&str], float32: &[&str]) -> Rules {
        Rules {
            int: int.iter().map(|s| s.to_string()).collect(),
            float32: float32.iter().map(|s| s.to_string()).collect(),
            ..Rules::default()
        }
    }

    fn num(v: f64, integer: bool) -> ValueKind {
        ValueKind::Numeric(Numeric {
            integer,
            len: 1,
            attributes: false,
            class: NumericClass::None,
            first: v,
            first_missing: false,
        })
    }

    #[test]
    fn a_set_activity_regularizer_that_keras_moves_after_dtype_falls_back() {
        let conv = class("keras.layers", "Conv1D");
        let (_, rule) = conv.keys.iter().find(|(k, _)| k == "activity_regularizer").expect("Conv1D has the key");
        assert_eq!(coerce(rule, &ValueKind::Null), Coerce::Keep);
        assert_eq!(coerce(rule, &ValueKind::Other), Coerce::Fallback);
        let mha = class("keras.layers", "MultiHeadAttention");
        let (_, rule) = mha.keys.iter().find(|(k, _)| k == "activity_regularizer").expect("MHA has the key");
        assert_eq!(coerce(rule, &ValueKind::Other), Coerce::Keep);
    }

    #[test]
    fn dense_accepts_its_keys_parameters_and_base_layer_arguments() {
        let p = class("keras.layers", "Dense");
        assert_eq!(p.classify("units"), KeyClass::Default(p.key_names().position(|k| k == "units").unwrap()));
        assert_eq!(p.classify("name"), KeyClass::Default(0));
        assert_eq!(p.classify("lora_alpha"), KeyClass::Extra);
        // Keras does not keep `autocast`, and puts `activity_regularizer` after `dtype`: R does both.
        assert_eq!(p.classify("autocast"), KeyClass::Fallback);
        assert_eq!(p.classify("activity_regularizer"), KeyClass::Fallback);
        assert_eq!(p.classify("bogus"), KeyClass::Fallback);
        // Input-layer arguments are kept aside by R, not part of the config.
        for k in INPUT_KWARGS {
            assert_eq!(p.classify(k), KeyClass::Fallback, "{k}");
        }
        assert_eq!(p.required, vec!["units".to_owned()]);
        assert!(p.generates_name);
        assert!(!p.draws_seed);
    }

    #[test]
    fn input_layer_leaves_batch_size_to_r_which_folds_it_into_batch_shape() {
        let p = class("keras.layers", "InputLayer");
        assert_eq!(p.classify("batch_size"), KeyClass::Fallback);
        assert_eq!(p.classify("input_shape"), KeyClass::Fallback);
    }

    #[test]
    fn non_layers_take_no_base_layer_arguments_and_name_nothing() {
        let p = class("keras.optimizers", "Adam");
        assert_eq!(p.classify("trainable"), KeyClass::Fallback);
        assert!(!p.generates_name);
        assert!(p.keys.iter().any(|(k, r)| k == "learning_rate" && r.float32));
        let g = class("keras.initializers", "GlorotUniform");
        assert!(g.keys.iter().all(|(_, r)| !r.float32 && !r.activation));
    }

    #[test]
    fn other_models_functions_and_drawn_seeds_are_left_to_r() {
        let model = catalog().entries().iter().find(|e| e.canonical == "Model").unwrap();
        assert!(plan(model.id).is_none());
        let relu = catalog().entries().iter().find(|e| e.canonical == "relu").unwrap();
        assert!(plan(relu.id).is_none());
        assert!(class("keras.layers", "RandomCrop").draws_seed);
    }

    #[test]
    fn sequential_and_functional_take_a_build_shape_and_require_nothing() {
        let seq = class("keras", "Sequential");
        assert_eq!(seq.classify("build_input_shape"), KeyClass::Extra);
        assert!(seq.required.is_empty());
        let functional = class("keras.src.models.functional", "Functional");
        assert!(functional.required.is_empty(), "inputs and outputs come from the layers");
        assert_eq!(functional.classify("unknown_key"), KeyClass::Fallback);
    }

    #[test]
    fn default_kinds_follow_the_codec() {
        use serde_json::json;
        assert_eq!(DefaultKind::of(&json!(3)), DefaultKind::Int);
        assert_eq!(DefaultKind::of(&json!(-2147483648i64)), DefaultKind::Other);
        assert_eq!(DefaultKind::of(&json!(3.0)), DefaultKind::Other);
        assert_eq!(DefaultKind::of(&json!("x")), DefaultKind::Str);
        assert_eq!(DefaultKind::of(&json!([1, 2])), DefaultKind::List { dict: false });
        assert_eq!(DefaultKind::of(&json!({"class_name": "Zeros", "config": {}})), DefaultKind::List { dict: true });
        assert_eq!(DefaultKind::of(&json!({"name": "float32"})), DefaultKind::List { dict: false });
        assert_eq!(DefaultKind::of(&json!(true)), DefaultKind::Other);
    }

    #[test]
    fn key_rules_match_rs_regular_expressions() {
        let r = |k| KeyRule::new(k, DefaultKind::Null, &Rules::default());
        assert!(r("activation").activation && r("recurrent_activation").activation);
        assert!(!r("activations").activation && !r("xactivation").activation);
        assert!(r("kernel_initializer").object_slot && r("initializer").object_slot);
        assert!(r("bias_regularizer").object_slot && r("kernel_constraint").object_slot);
        assert!(!r("dtype").object_slot);
        assert!(KeyRule::new("dtype", DefaultKind::List { dict: true }, &Rules::default()).object_slot);
        assert!(KeyRule::new("learning_rate", DefaultKind::Other, &rules(&[], &["learning_rate"])).float32);
        assert!(!KeyRule::new("learning_rate", DefaultKind::Other, &Rules::default()).float32);
    }

    #[test]
    fn coercion_mirrors_kc_builtin_coerce() {
        let act = KeyRule::new("activation", DefaultKind::Str, &Rules::default());
        assert_eq!(coerce(&act, &ValueKind::Null), Coerce::Linear);
        assert_eq!(coerce(&act, &ValueKind::BuiltinFunction), Coerce::Name);
        assert_eq!(coerce(&act, &ValueKind::String1), Coerce::Keep);
        assert_eq!(coerce(&act, &num(2.0, false)), Coerce::Keep);
        let act_null_default = KeyRule::new("activation", DefaultKind::Null, &Rules::default());
        assert_eq!(coerce(&act_null_default, &ValueKind::Null), Coerce::Keep);

        let init = KeyRule::new("kernel_initializer", DefaultKind::List { dict: true }, &Rules::default());
        assert_eq!(coerce(&init, &ValueKind::String1), Coerce::Fallback);
        assert_eq!(coerce(&init, &ValueKind::Other), Coerce::Keep);
        assert_eq!(coerce(&init, &ValueKind::Null), Coerce::Keep);

        let units = KeyRule::new("units", DefaultKind::Int, &rules(&["units"], &[]));
        assert_eq!(coerce(&units, &num(4.0, false)), Coerce::Integer(4));
        assert_eq!(coerce(&units, &num(4.0, true)), Coerce::Keep);
        assert_eq!(coerce(&units, &num(4.5, false)), Coerce::Keep);
        assert_eq!(coerce(&units, &num(3e9, false)), Coerce::Fallback);
        assert_eq!(coerce(&units, &num(-2147483648.0, false)), Coerce::Fallback);
        assert_eq!(coerce(&units, &num(f64::INFINITY, false)), Coerce::Keep);
        let mut named = match num(4.0, false) {
            ValueKind::Numeric(n) => n,
            _ => unreachable!(),
        };
        named.attributes = true;
        assert_eq!(coerce(&units, &ValueKind::Numeric(named)), Coerce::Fallback);
        let mut long = named;
        long.attributes = false;
        long.len = 2;
        assert_eq!(coerce(&units, &ValueKind::Numeric(long)), Coerce::Fallback);
        let mut big = named;
        big.attributes = true;
        big.class = NumericClass::KerasInteger;
        assert_eq!(coerce(&units, &ValueKind::Numeric(big)), Coerce::Keep);
        big.class = NumericClass::Other;
        assert_eq!(coerce(&units, &ValueKind::Numeric(big)), Coerce::Keep);
        // A classed number as a learning rate: `is.numeric()` may dispatch to a method.
        let lr = KeyRule::new("learning_rate", DefaultKind::Other, &rules(&[], &["learning_rate"]));
        big.len = 1;
        assert_eq!(coerce(&lr, &ValueKind::Numeric(big)), Coerce::Fallback);
        big.class = NumericClass::KerasInteger;
        assert_eq!(coerce(&lr, &ValueKind::Numeric(big)), Coerce::Float32(4.0));

        let tuple = KeyRule::new("kernel_size", DefaultKind::List { dict: false }, &Rules::default());
        assert_eq!(coerce(&tuple, &num(3.0, true)), Coerce::Fallback);
        assert_eq!(coerce(&tuple, &ValueKind::Other), Coerce::Keep);

        let rate = KeyRule::new("rate", DefaultKind::Other, &Rules::default());
        assert_eq!(coerce(&rate, &num(0.5, false)), Coerce::Keep);
        // Integers by the parameter's declared type, not by its default's: MaxNorm's max_value
        // defaults to 2 but is a float, so a JSON 2.0 stays a double.
        let max_value = KeyRule::new("max_value", DefaultKind::Int, &Rules::default());
        assert_eq!(coerce(&max_value, &num(2.0, false)), Coerce::Keep);
        let seed = KeyRule::new("seed", DefaultKind::Null, &rules(&["seed"], &[]));
        assert_eq!(coerce(&seed, &num(1.0, false)), Coerce::Integer(1));
        let filled = KeyRule { fill: true, ..seed.clone() };
        assert_eq!(coerce(&filled, &num(1.0, true)), Coerce::Fallback);

        let lr = KeyRule::new("learning_rate", DefaultKind::Other, &rules(&[], &["learning_rate"]));
        assert_eq!(coerce(&lr, &num(0.01, false)), Coerce::Float32(0.009999999776482582));
        assert_eq!(coerce(&lr, &num(1.0, true)), Coerce::Float32(1.0));
        let mut nan = match num(f64::NAN, false) {
            ValueKind::Numeric(n) => n,
            _ => unreachable!(),
        };
        nan.first_missing = true;
        assert_eq!(coerce(&lr, &ValueKind::Numeric(nan)), Coerce::Fallback);
        assert_eq!(coerce(&lr, &num(1e300, false)), Coerce::Fallback);
        assert_eq!(coerce(&lr, &ValueKind::Other), Coerce::Keep);
    }

    #[test]
    fn entries_are_found_by_the_key_r_keeps_them_under() {
        let e = entry_for_key("keras.layers.Dense").expect("Dense");
        assert_eq!(e.canonical, "Dense");
        assert!(entry_for_key("keras.layers.Nope").is_none());
    }
}
