//! `model_to_dot` against Keras 3.15.1 and pydot 4.0.1: every model and option set of the
//! differential fixtures (tests/testthat/fixtures/model-dot.json, written by
//! tools/gen-plot-fixtures.py), with the shapes of the shape engine.

use super::*;
use std::path::PathBuf;

fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/testthat/fixtures/model-dot.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture file")).expect("fixture JSON")
}

fn options(v: &Value) -> Options {
    let mut o = Options::default();
    let flag = |k: &str, d: bool| v.get(k).and_then(Value::as_bool).unwrap_or(d);
    o.show_shapes = flag("show_shapes", o.show_shapes);
    o.show_dtype = flag("show_dtype", o.show_dtype);
    o.show_layer_names = flag("show_layer_names", o.show_layer_names);
    o.expand_nested = flag("expand_nested", o.expand_nested);
    o.subgraph = flag("subgraph", o.subgraph);
    o.show_layer_activations = flag("show_layer_activations", o.show_layer_activations);
    o.show_trainable = flag("show_trainable", o.show_trainable);
    if let Some(r) = v.get("rankdir").and_then(Value::as_str) {
        o.rankdir = r.into();
    }
    if let Some(s) = v.get("splines").and_then(Value::as_str) {
        o.splines = s.into();
    }
    if let Some(d) = v.get("dpi") {
        o.dpi = d.to_string();
    }
    o
}

fn case(name: &str) -> Value {
    let f = fixtures();
    serde_json::from_str(f["cases"][name]["config"].as_str().unwrap()).unwrap()
}

fn dot(name: &str, opts: &Options) -> String {
    model_to_dot(&case(name), &Reports::new(), opts).unwrap()
}

#[test]
fn every_fixture_case_is_keras_text_byte_for_byte() {
    let f = fixtures();
    let mut compared = 0;
    for (name, case) in f["cases"].as_object().unwrap() {
        let model: Value = serde_json::from_str(case["config"].as_str().unwrap()).unwrap();
        for (set, d) in case["dots"].as_object().unwrap() {
            let opts = options(&d["options"]);
            let mut expected = d["dot"].as_str().unwrap().to_owned();
            if opts.subgraph {
                // pydot writes a lone cluster's edges with `--` (it is not inside a digraph yet);
                // in the digraph Keras puts it in they are `->`, which is what we write.
                expected = expected.replace(" -- ", " -> ");
            }
            let got = model_to_dot(&model, &Reports::new(), &opts).unwrap();
            assert_eq!(got, expected, "{name} / {set}");
            compared += 1;
        }
    }
    assert_eq!(compared, 7 * 6);
}

#[test]
fn shared_layer_has_one_box_and_an_edge_per_call() {
    let text = dot("func_shared_layers", &Options::default());
    assert_eq!(text.matches("shared_dense [label=").count(), 1);
    for edge in ["left -> shared_dense", "right -> shared_dense", "back_to_10 -> shared_dense", "shared_dense -> dot"] {
        assert!(text.contains(edge), "{edge}");
    }
}

#[test]
fn expanded_nested_models_are_clusters_and_edges_reach_inside() {
    let opts = Options { expand_nested: true, ..Options::default() };
    let text = dot("func_deep_nested", &opts);
    assert!(text.contains("subgraph cluster_wrapper {\nstyle=dashed;\nlabel=wrapper;"));
    assert!(text.contains("subgraph cluster_deep {"));
    // Into a nested Sequential: its first layer (through a Sequential nested in it); out of a
    // nested Functional: the layer making each output; into it: the InputLayer of each input.
    assert!(text.contains("p_proj -> \"wrapper/deep/deep_dense\""));
    assert!(text.contains("\"wrapper/after_deep\" -> \"pair/a\""));
    assert!(text.contains("q_proj -> \"pair/b\""));
    assert!(text.contains("\"pair/wide\" -> merge"));
    assert!(text.contains("\"pair/narrow\" -> merge"));
    assert!(!text.contains("pair ["), "the nested model has no box of its own");
}

#[test]
fn layer_range_draws_the_layers_in_it_and_the_edges_between_them() {
    let keep: HashSet<String> = ["embedding", "global_average_pooling1d", "concatenate"].map(String::from).into();
    let text = dot("func_multi_io", &Options { layer_range: Some(keep), ..Options::default() });
    assert_eq!(text.matches("[label=").count(), 3);
    assert!(text.contains("embedding -> global_average_pooling1d"));
    assert!(text.contains("global_average_pooling1d -> concatenate"));
    assert!(!text.contains("dense -> concatenate"));
    assert!(!text.contains("tok_in"));
}

#[test]
fn names_that_are_not_dot_ids_are_quoted_and_escaped() {
    assert_eq!(quote_id("dense_1"), "dense_1");
    assert_eq!(quote_id("node"), "\"node\"");
    assert_eq!(quote_id("1dense"), "\"1dense\"");
    assert_eq!(quote_id("12"), "12");
    assert_eq!(quote_id("a/b"), "\"a/b\"");
    assert_eq!(quote_id("a\"b\\"), "\"a\\\"b\\\\\"");
    assert_eq!(quote_attr("inner_seq"), "\"inner_seq\"");
    assert_eq!(quote_attr("TB"), "TB");
    assert_eq!(html("a<b>&c"), "a&lt;b&gt;&amp;c");
}

#[test]
fn an_unbuilt_sequential_model_is_refused_as_keras_refuses_it() {
    let model = serde_json::json!({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2}}]}});
    let e = model_to_dot(&model, &Reports::new(), &Options::default()).unwrap_err();
    assert_eq!(e.class(), "kerasconfig_error_value");
    assert!(e.message().contains("has not yet been built"));
}

#[test]
fn a_layer_config_is_not_a_model() {
    let layer = serde_json::json!({"class_name": "Dense", "config": {"name": "d", "units": 2}});
    assert!(matches!(model_to_dot(&layer, &Reports::new(), &Options::default()), Err(DotError::Config(_))));
}

#[test]
fn shapes_print_as_python_prints_them() {
    assert_eq!(py_shape(&[None, Some(8)]), "(None, 8)");
    assert_eq!(py_shape(&[Some(8)]), "(8,)");
    assert_eq!(py_shape(&[]), "()");
    let two = Shapes::Many(vec![Shapes::One(vec![None, Some(4)]), Shapes::One(vec![None, Some(6)])]);
    assert_eq!(py_flat_shapes(&two), "[(None, 4), (None, 6)]");
    assert_eq!(py_flat_shapes(&Shapes::Many(vec![Shapes::One(vec![None, Some(4)])])), "(None, 4)");
}
