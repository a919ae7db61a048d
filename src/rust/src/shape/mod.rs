//! Shapes and variables of layers and models for R: the seam (`rapi`) over the core's shape engine.

pub(crate) use kerasconfig_core::built_at_init;

pub(crate) mod rapi;

extendr_api::extendr_module! {
    mod shape;
    use rapi;
}
