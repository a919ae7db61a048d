//! The config codec: JSON text ↔ R values, byte-exact with Python's `json.dumps`.
use extendr_api::prelude::*;

extendr_module! {
    mod json;
}
