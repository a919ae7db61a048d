//! Module paths that older releases wrote into configs for classes that have since moved.
//!
//! Keras 3.15 imports the module a config names and fails when it no longer exists, so files
//! saved by these releases cannot be loaded there (keras-team/keras#19089, #21663). We accept
//! them: each row names the class the path meant, which still exists under the same name. This
//! is the only place the table lives; add a row when another release's path turns up.

/// `(module as written by an old release, class name, python_path of the class today)`.
pub(super) const LEGACY_CLASSES: &[(&str, &str, &str)] = &[
    // Keras 3.0–3.2 wrote Functional models with this module.
    ("keras.models.functional", "Functional", FUNCTIONAL),
    ("keras.models.sequential", "Sequential", SEQUENTIAL),
    // tf.keras 2.13–2.15 (`keras.src.engine.*`) and earlier tf.keras 2.x (`keras.engine.*`).
    ("keras.src.engine.functional", "Functional", FUNCTIONAL),
    ("keras.engine.functional", "Functional", FUNCTIONAL),
    ("keras.src.engine.sequential", "Sequential", SEQUENTIAL),
    ("keras.engine.sequential", "Sequential", SEQUENTIAL),
    ("keras.src.engine.training", "Model", MODEL),
    ("keras.engine.training", "Model", MODEL),
    ("keras.src.engine.input_layer", "InputLayer", INPUT_LAYER),
    ("keras.engine.input_layer", "InputLayer", INPUT_LAYER),
    ("keras.src.engine.base_layer", "Layer", LAYER),
    ("keras.engine.base_layer", "Layer", LAYER),
];

const FUNCTIONAL: &str = "keras.src.models.functional.Functional";
const SEQUENTIAL: &str = "keras.src.models.sequential.Sequential";
const MODEL: &str = "keras.src.models.model.Model";
const INPUT_LAYER: &str = "keras.src.layers.core.input_layer.InputLayer";
const LAYER: &str = "keras.src.layers.layer.Layer";
