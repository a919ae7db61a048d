use super::index::FUNCTION_SEARCH_ORDER;
use super::legacy::LEGACY_CLASSES;
use super::*;
use crate::registry::Registry;
use crate::resolve::{resolve_suggesting, Builtins, ClassLookup, Request, Resolved, Sources};
use crate::suggest::closest;

fn cat() -> &'static Catalog {
    catalog()
}

/// The entry `class()` finds, or a description of what it answered instead.
fn class(module: &str, name: &str) -> std::result::Result<&'static Entry, &'static str> {
    match cat().class(module, name) {
        ClassLookup::Found(e) => Ok(e),
        ClassLookup::NotInModule => Err("NotInModule"),
        ClassLookup::UnknownModule => Err("UnknownModule"),
    }
}

fn entry(namespace: &str, name: &str) -> &'static Entry {
    cat().entries().iter().find(|e| e.namespace == namespace && e.name == name).expect("in the catalog")
}

fn canonical_of(e: &Entry) -> &'static Entry {
    by_id(e.canonical_id).expect("canonical_id is an id")
}

fn in_function_modules(e: &Entry) -> bool {
    cat().function_modules.contains(&e.namespace)
}

#[test]
fn catalog_holds_every_keras_3_15_1_symbol_with_ids_in_order() {
    let c = cat();
    assert_eq!(c.source.keras_version, "3.15.1");
    // keras_api.json's 454 symbols, then the 84 ops of tools/extra-ops.json: the 4 of merge layers'
    // masks first (their ids stay), then those of R/ops.R.
    assert_eq!(c.entries().len(), 538);
    assert!(c.entries().iter().enumerate().all(|(i, e)| e.id == i));
    assert!(by_id(537).is_some());
    assert!(by_id(538).is_none());
    assert_eq!(by_id(454).map(|e| e.python_path.as_str()), Some("keras.src.ops.numpy.LogicalOr"));
    assert_eq!(by_id(458).map(|e| e.python_path.as_str()), Some("keras.src.ops.numpy.Subtract"));
}

#[test]
fn canonical_entries_are_non_aliases_of_the_same_object() {
    for e in cat().entries() {
        let c = canonical_of(e);
        assert_eq!(c.canonical_id, c.id, "{}", e.python_path);
        assert!(!c.is_alias);
        assert_eq!(
            (c.python_path.as_str(), c.canonical.as_str(), c.kind),
            (e.python_path.as_str(), e.canonical.as_str(), e.kind)
        );
    }
    // A re-exported loss function belongs to keras.losses, a top-level re-export to its namespace.
    assert_eq!(canonical_of(entry("keras.metrics", "mean_squared_error")).namespace, "keras.losses");
    assert_eq!(canonical_of(entry("keras", "DTypePolicy")).namespace, "keras.dtype_policies");
    assert_eq!(canonical_of(entry("keras", "Input")).namespace, "keras.layers");
}

#[test]
fn every_class_resolves_by_its_namespace_its_module_and_how_it_is_written() {
    for e in cat().entries().iter().filter(|e| e.kind == Kind::Class) {
        let mut modules = vec![e.namespace.as_str(), e.module.as_str()];
        modules.extend(e.serialized_as.module.as_deref());
        for module in modules {
            for name in [e.name.as_str(), e.canonical.as_str()] {
                let found = class(module, name).unwrap_or_else(|why| panic!("{module}.{name}: {why}"));
                assert_eq!(found.id, e.canonical_id, "{module}.{name}");
            }
        }
    }
}

#[test]
fn class_aliases_resolve_to_the_canonical_entry() {
    let conv = class("keras.layers", "Convolution2D").unwrap();
    assert_eq!((conv.name.as_str(), conv.is_alias), ("Conv2D", false));
    assert_eq!(class("keras.initializers", "glorot_uniform").unwrap().name, "GlorotUniform");
    assert_eq!(class("keras.initializers", "IdentityInitializer").unwrap().name, "Identity");
    assert_eq!(class("keras.regularizers", "l1_l2").unwrap().name, "L1L2");
}

#[test]
fn re_exported_classes_resolve_under_both_module_spellings() {
    let top = class("keras", "DTypePolicy").unwrap();
    assert_eq!(class("keras.dtype_policies", "DTypePolicy").unwrap().id, top.id);
    assert_eq!(class("keras", "Layer").unwrap().id, class("keras.layers", "Layer").unwrap().id);
    assert_eq!(class("keras", "Sequential").unwrap().family, "models");
    assert_eq!(class("keras.src.models.functional", "Functional").unwrap().family, "models");
}

#[test]
fn top_level_classes_resolve_in_keras_and_public_namespaces_are_known() {
    for name in &cat().top_level {
        let e = entry("keras", name);
        match e.kind {
            Kind::Class => assert_eq!(class("keras", name).map(|f| f.id), Ok(e.canonical_id), "keras.{name}"),
            Kind::Function => assert_eq!(class("keras", name).err(), Some("NotInModule"), "keras.{name}"),
        }
    }
    for namespace in &cat().namespaces {
        assert!(!cat().names(Some(namespace)).is_empty(), "{namespace}");
    }
}

#[test]
fn private_defining_modules_resolve_by_python_name_only() {
    for e in cat().entries().iter().filter(|e| e.kind == Kind::Class) {
        let (module, name) = e.defining_module_and_name();
        assert_eq!(class(module, name).map(|f| f.id), Ok(e.canonical_id), "{}", e.python_path);
    }
    assert_eq!(class("keras.src.layers.core.dense", "Dense").unwrap().name, "Dense");
    // Aliases are export paths, not attributes of the defining module.
    assert_eq!(class("keras.src.layers.convolutional.conv2d", "Convolution2D").err(), Some("NotInModule"));
}

#[test]
fn legacy_module_paths_resolve_to_todays_classes() {
    for &(module, name, python_path) in LEGACY_CLASSES {
        let found = class(module, name).unwrap_or_else(|why| panic!("{module}.{name}: {why}"));
        assert_eq!(found.python_path, python_path);
    }
    assert_eq!(class("keras.models.functional", "Functional").unwrap().name, "Functional");
    assert_eq!(class("keras.engine.input_layer", "InputLayer").unwrap().name, "InputLayer");
    assert_eq!(class("keras.src.engine.functional", "Sequential").err(), Some("NotInModule"));
}

#[test]
fn functions_are_not_found_as_classes() {
    assert_eq!(class("keras.activations", "relu").err(), Some("NotInModule"));
    assert_eq!(class("keras.layers", "Input").err(), Some("NotInModule"));
    assert_eq!(class("keras", "Input").err(), Some("NotInModule"));
    assert_eq!(class("keras.src.activations.activations", "relu").err(), Some("NotInModule"));
    for e in cat().entries().iter().filter(|e| e.kind == Kind::Function) {
        assert!(class(&e.namespace, &e.name).is_err(), "{}.{}", e.namespace, e.name);
    }
}

#[test]
fn unknown_names_in_known_modules_are_not_in_module() {
    assert_eq!(class("keras.layers", "Dense2").err(), Some("NotInModule"));
    assert_eq!(class("keras", "Dense").err(), Some("NotInModule"));
    assert_eq!(class("keras.src.layers.core.dense", "Conv2D").err(), Some("NotInModule"));
    assert_eq!(class("keras.engine.functional", "Model").err(), Some("NotInModule"));
}

#[test]
fn modules_keras_does_not_have_are_unknown() {
    assert_eq!(class("keras.layerz", "Dense").err(), Some("UnknownModule"));
    // Only the exact defining module counts, not its parent packages.
    assert_eq!(class("keras.src.layers.core", "Dense").err(), Some("UnknownModule"));
    assert_eq!(class("corpus_custom", "ScaledDense").err(), Some("UnknownModule"));
    assert_eq!(class("builtins", "function").err(), Some("UnknownModule"));
    assert_eq!(class("", "Dense").err(), Some("UnknownModule"));
}

#[test]
fn function_search_order_covers_the_function_modules() {
    let mut order = FUNCTION_SEARCH_ORDER.to_vec();
    order.sort_unstable();
    let mut modules: Vec<&str> = cat().function_modules.iter().map(String::as_str).collect();
    modules.sort_unstable();
    assert_eq!(order, modules);
}

/// The module a colliding name resolves to: the first candidate function in search order.
fn collision_winner(name: &str) -> Option<&'static str> {
    let collision = cat().collisions.iter().find(|c| c.name == name)?;
    FUNCTION_SEARCH_ORDER
        .into_iter()
        .find(|m| collision.candidates.iter().any(|c| c.module == *m && c.kind == Kind::Function))
}

#[test]
fn every_function_of_the_function_modules_resolves_by_name() {
    let mut checked = 0;
    let helper = |e: &Entry| matches!(e.name.as_str(), "get" | "serialize" | "deserialize");
    for e in cat().entries().iter().filter(|e| e.kind == Kind::Function && in_function_modules(e) && !helper(e)) {
        let found = cat().function(&e.name).unwrap_or_else(|| panic!("{}.{}", e.namespace, e.name));
        match collision_winner(&e.name) {
            Some(module) => assert_eq!(found.namespace, module, "{}", e.name),
            None => assert_eq!(found.id, e.canonical_id, "{}.{}", e.namespace, e.name),
        }
        assert_eq!(cat().function(&e.canonical).map(|f| f.id), Some(found.id));
        checked += 1;
    }
    // 98 functions in the function modules, less their 21 get/serialize/deserialize helpers.
    assert_eq!(checked, 77);
}

#[test]
fn colliding_function_names_take_the_first_module_in_search_order() {
    let names: Vec<&str> = cat()
        .collisions
        .iter()
        .filter(|c| c.candidates.iter().any(|c| c.kind == Kind::Function))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["deserialize", "get", "serialize"]);
}

#[test]
fn namespace_helpers_are_refused_as_non_modeling() {
    for name in ["deserialize", "get", "serialize"] {
        assert!(cat().function(name).is_none(), "{name}");
        assert!(cat().is_non_modeling("keras.activations", name), "{name}");
    }
    // keras.layers exports no `get`.
    assert!(cat().is_non_modeling("keras.layers", "serialize"));
    assert!(cat().is_non_modeling("keras.layers", "deserialize"));
}

#[test]
fn function_aliases_resolve_to_the_canonical_function() {
    assert_eq!(cat().function("swish").unwrap().name, "silu");
    assert_eq!(cat().function("hard_swish").unwrap().name, "hard_silu");
    // One function exported by losses and metrics is one entry.
    let mse = cat().function("mean_squared_error").unwrap();
    assert_eq!((mse.namespace.as_str(), mse.family.as_str()), ("keras.losses", "losses"));
    assert_eq!(cat().function("log_cosh").unwrap().id, entry("keras.metrics", "log_cosh").canonical_id);
}

#[test]
fn only_functions_of_the_function_modules_resolve_as_functions() {
    // Keras writes these but cannot read them back: keras.layers is not a function module.
    for name in ["Input", "add", "concatenate"] {
        assert!(cat().function(name).is_none(), "{name}");
    }
    // Classes are not functions, whatever the module; initializer shorthands are classes.
    for name in ["Dense", "BinaryCrossentropy", "glorot_uniform", "Adam"] {
        assert!(cat().function(name).is_none(), "{name}");
    }
}

#[test]
fn non_modeling_apis_are_flagged() {
    assert_eq!(cat().non_modeling_apis.len(), 26);
    for path in &cat().non_modeling_apis {
        let (module, name) = path.rsplit_once('.').unwrap();
        assert!(cat().is_non_modeling(module, name), "{path}");
    }
    assert!(cat().is_non_modeling("keras.saving", "load_model"));
    // The module may end where the name starts: the whole path counts.
    assert!(cat().is_non_modeling("keras", "saving.load_model"));
    assert!(!cat().is_non_modeling("keras.layers", "Dense"));
    assert!(!cat().is_non_modeling("keras", "saving"));
}

#[test]
fn names_feed_did_you_mean_suggestions() {
    assert_eq!(closest("Adamm", cat().names(Some("keras.optimizers"))), Some("Adam"));
    assert_eq!(closest("Densse", cat().names(Some("keras.layers"))), Some("Dense"));
    assert_eq!(closest("Functionl", cat().names(Some("keras.src.models.functional"))), Some("Functional"));
    assert_eq!(closest("Functionl", cat().names(Some("keras.engine.functional"))), Some("Functional"));
    assert_eq!(closest("BatchNormalisation", cat().names(None)), Some("BatchNormalization"));
    assert!(cat().names(Some("keras.layers")).contains(&"Convolution2D"));
    assert!(cat().names(Some("keras.layerz")).is_empty());
    let all = cat().names(None);
    assert!(!all.contains(&"Convolution2D") && all.contains(&"Conv2D"));
    assert_eq!(all.len(), all.iter().collect::<std::collections::HashSet<_>>().len());
}

#[test]
fn resolve_finds_built_ins_through_the_catalog() {
    let global = Registry::<i32>::new();
    let sources = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
    let resolved = |kind, name, module, registered_name| match resolve_suggesting(
        &Request { kind, name, module: Some(module), registered_name },
        &sources,
        cat(),
    ) {
        Ok(Resolved::Builtin(e)) => Ok(e.python_path.as_str()),
        Ok(Resolved::Custom(_)) => Err("custom".to_owned()),
        Err(e) => Err(e.message()),
    };
    assert_eq!(resolved(Kind::Class, "Dense", "keras.layers", None), Ok("keras.src.layers.core.dense.Dense"));
    assert_eq!(
        resolved(Kind::Class, "Functional", "keras.src.models.functional", Some("Functional")),
        Ok("keras.src.models.functional.Functional")
    );
    assert_eq!(resolved(Kind::Function, "relu", "builtins", None), Ok("keras.src.activations.activations.relu"));
    let typo = resolved(Kind::Class, "Adamm", "keras.optimizers", None).unwrap_err();
    assert!(typo.ends_with("Did you mean 'Adam'?"), "{typo}");
}

#[test]
fn entries_keep_keras_config_key_order_and_defaults() {
    let dense = class("keras.layers", "Dense").unwrap();
    let config = dense.default_config.as_ref().unwrap();
    let keys: Vec<&str> = config.keys().map(String::as_str).collect();
    assert_eq!(Some(keys.iter().map(|k| k.to_string()).collect()), dense.config_keys);
    assert_eq!(keys[..3], ["name", "trainable", "dtype"]);
    let units = dense.params.iter().find(|p| p.name == "units").unwrap();
    assert!(units.required && units.default.is_none());
    let activation = dense.params.iter().find(|p| p.name == "activation").unwrap();
    assert_eq!(activation.default, Some(Value::Null));
    assert_eq!(dense.serialized_as.module.as_deref(), Some("keras.layers"));
    assert!(cat().function("relu").unwrap().default_config.is_none());
}

#[test]
fn a_malformed_catalog_is_reported_by_path() {
    let err = Catalog::from_json(r#"{"generated_from": {}}"#).err().unwrap();
    assert_eq!(err, "catalog.generated_from: no `keras_version`");
    let text = include_str!("catalog.json").replacen(r#"{"id":1,"#, r#"{"id":"one","#, 1);
    let err = Catalog::from_json(&text).err().unwrap();
    assert_eq!(err, "catalog.symbols[1].id: not an index");
}

/// The generated catalog.json is up to date with the reference data (`$KERASCONFIG_REFERENCE`,
/// the keras-reference directory that `make` sets); skipped when that is not available.
#[test]
fn catalog_matches_the_reference_keras_api_json() {
    let Some(dir) = crate::testing::reference_dir("catalog comparison") else { return };
    let path = dir.join("keras_api.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let api: Value = serde_json::from_str(&text).unwrap();
    let c = cat();
    assert_eq!(api["keras_version"], c.source.keras_version.as_str());
    assert_eq!(api["non_modeling_apis"], serde_json::json!(c.non_modeling_apis));
    assert_eq!(api["function_modules"], serde_json::json!(c.function_modules));
    // keras_api.json's symbols, then the compute_mask ops of tools/extra-ops.json.
    let extra_path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tools/extra-ops.json");
    let extra: Value = serde_json::from_str(&std::fs::read_to_string(extra_path).unwrap()).unwrap();
    let symbols: Vec<Value> =
        api["symbols"].as_array().unwrap().iter().chain(extra["symbols"].as_array().unwrap()).cloned().collect();
    assert_eq!(symbols.len(), c.entries().len());
    // Classes Keras builds only with TensorFlow have their default configs from
    // tools/tf-default-configs.json (tools/gen-tf-defaults.py) instead.
    let tf_path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tools/tf-default-configs.json");
    let tf: Value = serde_json::from_str(&std::fs::read_to_string(tf_path).unwrap()).unwrap();
    for (s, e) in symbols.iter().zip(c.entries()) {
        let at = format!("{}.{}", e.namespace, e.name);
        let mut s = s.clone();
        if s["default_config"].is_null() {
            if let Some(extra) = tf.get(&at) {
                assert!(s["default_config_error"].as_str().unwrap_or("").contains("requires TensorFlow"), "{at}");
                s["default_config"] = extra["default_config"].clone();
                s["config_keys"] = extra["config_keys"].clone();
            }
        }
        for (key, value) in [
            ("namespace", &e.namespace),
            ("module", &e.module),
            ("name", &e.name),
            ("canonical", &e.canonical),
            ("python_path", &e.python_path),
        ] {
            assert_eq!(s[key], value.as_str(), "{at}: {key}");
        }
        assert_eq!(s["kind"], e.kind.word(), "{at}");
        assert_eq!(s["is_alias"], e.is_alias, "{at}");
        assert_eq!(s["bases"], serde_json::json!(e.bases), "{at}");
        assert_eq!(s["aliases"], serde_json::json!(e.aliases), "{at}");
        assert_eq!(s["config_keys"], serde_json::json!(e.config_keys), "{at}");
        // Map equality ignores key order; the text compares it too.
        let config = e.default_config.clone().map(Value::Object).unwrap_or(Value::Null);
        assert_eq!(s["default_config"].to_string(), config.to_string(), "{at}");
        let args = e.required_args_used.clone().map(Value::Object).unwrap_or(Value::Null);
        assert_eq!(s["required_args_used"].to_string(), args.to_string(), "{at}");
        assert_eq!(
            s["serialized_as"].get("module").unwrap_or(&Value::Null),
            &serde_json::json!(e.serialized_as.module)
        );
        let params = s["params"].as_array().unwrap();
        assert_eq!(params.len(), e.params.len(), "{at}");
        for (sp, p) in params.iter().zip(&e.params) {
            assert_eq!(sp["name"], p.name.as_str(), "{at}");
            assert_eq!(sp["has_default"], p.default.is_some(), "{at}.{}", p.name);
            assert_eq!(sp["required"], p.required, "{at}.{}", p.name);
            if let Some(default) = &p.default {
                assert_eq!(&sp["default"], default, "{at}.{}", p.name);
            }
        }
    }
}

#[test]
fn activation_names_are_keras_activations_get_names() {
    for name in ["relu", "linear", "swish", "hard_swish", "softmax", "leaky_relu"] {
        assert!(super::is_activation_name(name), "{name}");
    }
    for name in ["relux", "get", "serialize", "Dense", "mean_squared_error"] {
        assert!(!super::is_activation_name(name), "{name}");
    }
}
