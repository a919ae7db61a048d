//! Graphviz DOT text of a model for R (`model_to_dot()`); the drawing is the core's.

mod dotapi;

extendr_api::extendr_module! {
    mod dot;
    use dotapi;
}
