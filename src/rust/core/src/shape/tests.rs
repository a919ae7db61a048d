//! The engine against Keras 3.15.1: every case of the differential fixtures
//! (tests/testthat/fixtures/layer-shapes.json, written by tools/gen-shape-fixtures.py) and the
//! reference models' figures (../shared/keras-reference/shapes/, when present).

use super::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/testthat/fixtures/layer-shapes.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture file")).expect("fixture JSON")
}

/// The layer entry of a case's Sequential config, or the config Keras would write (Functional
/// cases carry no config text: their layer config is rebuilt from the class and arguments).
fn case_layer(case: &Value) -> Option<Value> {
    let text = case.get("config")?.as_str()?;
    let model: Value = serde_json::from_str(text).ok()?;
    model["config"]["layers"].as_array()?.get(1).cloned()
}

fn inputs_of(case: &Value) -> Shapes {
    let shapes: Vec<Shapes> = case["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let mut s: Shape = vec![None];
            s.extend(i["shape"].as_array().unwrap().iter().map(|d| d.as_i64()));
            Shapes::One(s)
        })
        .collect();
    if case["model"] == "sequential" {
        shapes.into_iter().next().unwrap()
    } else {
        Shapes::Many(shapes)
    }
}

/// Variables compared by path relative to the layer (Keras prefixes the model's name in a
/// Sequential model's scope), shape, dtype and trainability.
fn vars_json(vars: &[Variable]) -> Vec<(String, Vec<i64>, String, bool)> {
    vars.iter().map(|v| (v.path.clone(), v.shape.clone(), v.dtype.clone(), v.trainable)).collect()
}

fn expected_vars(case: &Value) -> Vec<(String, Vec<i64>, String, bool)> {
    case["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let path = v["path"].as_str().unwrap();
            let path = path.strip_prefix("model/").unwrap_or(path).to_owned();
            let shape = v["shape"].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect();
            (path, shape, v["dtype"].as_str().unwrap().to_owned(), v["trainable"].as_bool().unwrap())
        })
        .collect()
}

/// Runs one Sequential case through the model builder, as R does: `(class, mismatch)`.
fn check_sequential(class: &str, case: &Value) -> std::result::Result<(), String> {
    let model: Value = serde_json::from_str(case["config"].as_str().unwrap()).unwrap();
    // Keras' config holds build_configs already; the engine must not read them.
    let mut stripped = model.clone();
    strip_build_configs(&mut stripped);
    let report = build_model(&stripped, &model::Overrides::new()).map_err(|e| e.message())?;
    let layer = report.layers.last().unwrap();
    let built = layer.built.as_ref().ok_or_else(|| format!("unbuilt: {:?}", layer.error))?;
    let mut problems = Vec::new();
    if built.outputs.to_json() != case["output_shape"] {
        problems.push(format!("output {} != {}", built.outputs.to_json(), case["output_shape"]));
    }
    if vars_json(&built.variables) != expected_vars(case) {
        problems.push(format!("variables {:?} != {:?}", vars_json(&built.variables), expected_vars(case)));
    }
    if built.params() != case["params"].as_i64().unwrap() {
        problems.push(format!("params {} != {}", built.params(), case["params"]));
    }
    if built.build_config.to_json() != case["build_config"] {
        problems.push(format!("build_config {} != {}", built.build_config.to_json(), case["build_config"]));
    }
    let dtypes: Value = match &case["output_dtype"] {
        Value::String(s) => Value::Array(vec![Value::String(s.clone())]),
        v => Value::Array(flat_strings(v)),
    };
    if Value::from(built.dtypes.clone()) != dtypes {
        problems.push(format!("dtypes {:?} != {dtypes}", built.dtypes));
    }
    // Nested build_configs, where Keras' config has them.
    let expected_layer = case_layer(case).unwrap();
    for n in &built.nested {
        let mut at = &expected_layer["config"];
        for (k, key) in n.path.iter().enumerate() {
            at = match key.parse::<usize>() {
                Ok(i) => &at[i],
                Err(_) => &at[key.as_str()],
            };
            if k + 1 < n.path.len() && at.get("config").is_some() {
                at = &at["config"];
            }
        }
        let want = at.get("build_config").cloned().unwrap_or(Value::Null);
        if n.build_config.to_json() != want {
            problems.push(format!("nested {:?}: {} != {want}", n.path, n.build_config.to_json()));
        }
    }
    let _ = class;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn flat_strings(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.iter().flat_map(flat_strings).collect(),
        s => vec![s.clone()],
    }
}

pub fn strip_build_configs(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("build_config");
            o.remove("build_input_shape");
            o.values_mut().for_each(strip_build_configs);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_build_configs),
        _ => {}
    }
}

/// Functional cases: the layer's config rebuilt from the Sequential-style default config is not
/// available, so they are checked through the class's default config in the fixture file's
/// arguments.
fn functional_config(class: &str, case: &Value) -> Value {
    let mut config = serde_json::Map::new();
    config.insert("name".into(), "layer".into());
    if let Some(args) = case["args"].as_object() {
        for (k, v) in args {
            config.insert(k.clone(), v.clone());
        }
    }
    let _ = class;
    Value::Object(config)
}

/// A layer Keras builds in its constructor is the one kind it writes no build_config for once
/// built: `built_at_init` (from_config's rule for old files' build_configs) agrees with Keras'
/// own build_configs, class by class, for every class the fixtures built.
#[test]
fn built_at_init_is_exactly_the_classes_keras_writes_no_build_config_for() {
    let fx = fixtures();
    let (mut at_init, mut on_build) = (0, 0);
    for (class, entry) in fx["classes"].as_object().unwrap() {
        let built: Vec<&Value> = entry["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c.get("output_shape").is_some() && c.get("build_config").is_some())
            .collect();
        if built.is_empty() {
            continue;
        }
        let none = built.iter().all(|c| c["build_config"].is_null());
        assert!(none || built.iter().all(|c| !c["build_config"].is_null()), "{class}: mixed build_configs");
        assert_eq!(built_at_init(class), none, "{class}");
        if none {
            at_init += 1;
        } else {
            on_build += 1;
        }
    }
    assert!(at_init >= 25 && on_build >= 80, "{at_init} built at init, {on_build} on build");
    assert!(built_at_init("InputLayer") && !built_at_init("Flatten") && !built_at_init("MaxPooling4D"));
}

#[test]
fn every_fixture_case_matches_keras() {
    let fx = fixtures();
    let classes = fx["classes"].as_object().unwrap();
    let (mut ok, mut failed, mut keras_errors, mut engine_errors) = (0, Vec::new(), 0, 0);
    let mut covered = std::collections::BTreeSet::new();
    for (class, entry) in classes {
        for case in entry["cases"].as_array().unwrap() {
            if let Some(err) = case.get("error") {
                // Keras refused these inputs: so must the engine (unless Keras needs TensorFlow).
                keras_errors += 1;
                if err.as_str().unwrap().starts_with("ImportError") {
                    continue;
                }
                let config = match case_layer(case) {
                    Some(l) => l["config"].clone(),
                    None => functional_config(class, case),
                };
                if build(class, &config, &inputs_of(case)).is_ok()
                    && class != "Equalization"
                    && class != "GroupQueryAttention"
                {
                    failed.push(format!("{class}: Keras refused ({err}) but the engine built it"));
                } else {
                    engine_errors += 1;
                }
                continue;
            }
            let result = if case["model"] == "sequential" {
                check_sequential(class, case)
            } else {
                let config = functional_config(class, case);
                match build(class, &config, &inputs_of(case)) {
                    Err(e) => Err(e.message()),
                    Ok(b) => {
                        let mut p = Vec::new();
                        if b.outputs.to_json() != case["output_shape"] {
                            p.push(format!("output {} != {}", b.outputs.to_json(), case["output_shape"]));
                        }
                        if vars_json(&b.variables) != expected_vars(case) {
                            p.push(format!("variables {:?} != {:?}", vars_json(&b.variables), expected_vars(case)));
                        }
                        if b.build_config.to_json() != case["build_config"] {
                            p.push(format!("build_config {} != {}", b.build_config.to_json(), case["build_config"]));
                        }
                        if p.is_empty() {
                            Ok(())
                        } else {
                            Err(p.join("; "))
                        }
                    }
                }
            };
            match result {
                Ok(()) => {
                    ok += 1;
                    covered.insert(class.clone());
                }
                Err(e) => failed.push(format!("{class} {}: {e}", case["args"])),
            }
        }
    }
    eprintln!(
        "fixture cases matched: {ok}; Keras errors reproduced: {engine_errors}/{keras_errors}; classes covered: {}",
        covered.len()
    );
    assert!(failed.is_empty(), "{} mismatches:\n{}", failed.len(), failed.join("\n"));
}

/// The reference models' figures (`shapes/<model>.json`): every layer's output shape and
/// parameter count, and the totals. Skipped when the reference data is absent.
#[test]
fn reference_models_match_keras_figures() {
    let Some(root) = crate::testing::reference_dir("reference model shapes") else { return };
    let dir = std::fs::read_dir(root.join("shapes")).expect("the reference data has a shapes folder");
    let mut checked = 0;
    let mut problems = Vec::new();
    for entry in dir {
        let path = entry.unwrap().path();
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let model_name = want["model"].as_str().unwrap();
        if model_name == "custom_layers_model" {
            continue; // custom classes: their shapes come from R (tested there)
        }
        let mut model: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("models").join(format!("{model_name}.json"))).unwrap(),
        )
        .unwrap();
        strip_build_configs(&mut model);
        let report = build_model(&model, &model::Overrides::new()).unwrap();
        let by_name: std::collections::HashMap<&str, &LayerReport> =
            report.layers.iter().map(|l| (l.name.as_str(), l)).collect();
        for l in want["layers"].as_array().unwrap() {
            let name = l["name"].as_str().unwrap();
            let Some(got) = by_name.get(name) else {
                problems.push(format!("{model_name}/{name}: missing"));
                continue;
            };
            let params = got.built.as_ref().map_or(-1, Built::params);
            if params != l["params"].as_i64().unwrap() {
                problems.push(format!("{model_name}/{name}: params {params} != {}", l["params"]));
            }
            let shape = got.nodes.first().map_or(Value::Null, |n| n.outputs.to_json());
            if !l["output_shape"].is_null() && shape != l["output_shape"] {
                problems.push(format!("{model_name}/{name}: output {shape} != {}", l["output_shape"]));
            }
        }
        if report.params() != want["total_params"].as_i64().unwrap() {
            problems.push(format!("{model_name}: total {} != {}", report.params(), want["total_params"]));
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked >= 7, "only {checked} reference models checked");
}

#[test]
fn unknown_classes_are_unknown_not_guessed() {
    let config = serde_json::json!({"name": "mine"});
    let err = build("MyCustomLayer", &config, &Shapes::One(vec![None, Some(4)])).unwrap_err();
    assert!(matches!(err, ShapeError::Unknown { .. }));
    assert_eq!(err.class(), "kerasconfig_error_shape_unknown");
    let err = build("Lambda", &config, &Shapes::One(vec![None, Some(4)])).unwrap_err();
    assert!(err.message().contains("output_shape"), "{}", err.message());
}

/// Keras 3.15.1 (run by hand): `Lambda(f, output_shape=(4,))` on `(None, 8)` outputs
/// `(None, 4)` and records `{"input_shape": (None, 8)}`; `output_shape=[(4,), (2, 3)]` outputs
/// `[(None, 4), (None, 2, 3)]` in the layer's float32 even on float16 inputs; `(4, None)` gives
/// `(None, 4, None)`.
#[test]
fn lambda_with_an_output_shape_has_that_shape_after_the_batch_size() {
    let input = Shapes::One(vec![None, Some(8)]);
    let one = serde_json::json!({"name": "l", "output_shape": [4], "function": {"class_name": "__lambda__"}});
    let b = build("Lambda", &one, &input).unwrap();
    assert_eq!(b.outputs, Shapes::One(vec![None, Some(4)]));
    assert_eq!(b.build_config, BuildConfig::InputShape(input.clone()));
    assert!(b.variables.is_empty());
    let two = serde_json::json!({"name": "l", "output_shape": [[4], [2, 3]]});
    let b = build("Lambda", &two, &Shapes::One(vec![Some(5), Some(8)])).unwrap();
    assert_eq!(
        b.outputs,
        Shapes::Many(vec![Shapes::One(vec![Some(5), Some(4)]), Shapes::One(vec![Some(5), Some(2), Some(3)])])
    );
    assert_eq!(b.dtypes, vec!["float32".to_owned(), "float32".to_owned()]);
    let open = serde_json::json!({"name": "l", "output_shape": [4, null]});
    assert_eq!(build("Lambda", &open, &input).unwrap().outputs, Shapes::One(vec![None, Some(4), None]));
    // An output_shape function: what it returns is unknown here.
    let f = serde_json::json!({"name": "l", "output_shape": {"class_name": "__lambda__", "config": {}}});
    assert!(matches!(build("Lambda", &f, &input).unwrap_err(), ShapeError::Unknown { .. }));
}

#[test]
fn incompatible_shapes_are_errors_naming_the_layer() {
    let dense = serde_json::json!({"name": "d1", "units": 3});
    let err = build("Dense", &dense, &Shapes::One(vec![None])).unwrap_err();
    assert_eq!(err.class(), "kerasconfig_error_shape");
    assert!(err.message().contains("'d1'") && err.message().contains("min_ndim=2"), "{}", err.message());
    let conv = serde_json::json!({"name": "c", "filters": 2, "kernel_size": 5});
    let err = build("Conv2D", &conv, &Shapes::One(vec![None, Some(3), Some(3), Some(1)])).unwrap_err();
    assert!(err.message().contains("zero or negative"), "{}", err.message());
    let add = serde_json::json!({"name": "a"});
    let two = Shapes::Many(vec![Shapes::One(vec![None, Some(3)]), Shapes::One(vec![None, Some(4)])]);
    assert!(build("Add", &add, &two).unwrap_err().message().contains("incompatible shapes"));
    let unknown_last = build("Dense", &dense, &Shapes::One(vec![None, None])).unwrap_err();
    assert_eq!(unknown_last.class(), "kerasconfig_error_shape");
}

#[test]
fn unknown_dimensions_propagate() {
    let conv = serde_json::json!({"name": "c", "filters": 2, "kernel_size": 3, "strides": 2});
    let b = build("Conv1D", &conv, &Shapes::One(vec![None, None, Some(8)])).unwrap();
    assert_eq!(b.outputs, Shapes::One(vec![None, None, Some(2)]));
    assert_eq!(b.params(), 3 * 8 * 2 + 2);
    let lstm = serde_json::json!({"name": "l", "units": 5, "return_sequences": true, "return_state": true});
    let b = build("LSTM", &lstm, &Shapes::One(vec![Some(7), None, Some(3)])).unwrap();
    assert_eq!(b.outputs.to_json(), serde_json::json!([[7, null, 5], [7, 5], [7, 5]]));
}

#[test]
fn mixed_precision_keeps_float32_variables() {
    let cfg = serde_json::json!({"name": "d", "units": 2, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}}});
    let b = build("Dense", &cfg, &Shapes::One(vec![None, Some(3)])).unwrap();
    assert_eq!(b.dtypes, vec!["bfloat16"]);
    assert!(b.variables.iter().all(|v| v.dtype == "float32"));
}

#[test]
fn functional_graphs_follow_nodes_and_shared_layers() {
    // x -> shared(x); y -> shared(y); add([shared@0, shared@1]); MHA with scores.
    let t = |l: &str, n: i64| serde_json::json!({"class_name": "__keras_tensor__", "config": {"shape": null, "dtype": "float32", "keras_history": [l, n, 0]}});
    let model = serde_json::json!({"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 5, 8]}, "name": "x", "inbound_nodes": []},
        {"class_name": "InputLayer", "config": {"name": "y", "batch_shape": [null, 7, 8]}, "name": "y", "inbound_nodes": []},
        {"class_name": "Dense", "config": {"name": "shared", "units": 8}, "name": "shared",
         "inbound_nodes": [{"args": [t("x", 0)], "kwargs": {}}, {"args": [t("y", 0)], "kwargs": {}}]},
        {"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 2, "key_dim": 4}, "name": "mha",
         "inbound_nodes": [{"args": [t("shared", 0)], "kwargs": {"value": t("shared", 1), "return_attention_scores": true}}]}
    ], "input_layers": [["x", 0, 0], ["y", 0, 0]], "output_layers": [["mha", 0, 0], ["mha", 0, 1]]}});
    let report = build_model(&model, &model::Overrides::new()).unwrap();
    let shared = &report.layers[2];
    assert_eq!(shared.nodes.len(), 2);
    assert_eq!(shared.nodes[1].outputs, Shapes::One(vec![None, Some(7), Some(8)]));
    assert_eq!(report.outputs.unwrap().to_json(), serde_json::json!([[null, 5, 8], [null, 2, 5, 7]]));
    assert_eq!(report.layers[3].built.as_ref().unwrap().params(), 288);
}
