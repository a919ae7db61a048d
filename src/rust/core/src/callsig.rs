//! The `call()` signatures of Keras 3.15.1's layer and model classes (callsig.json, written by
//! tools/gen-functional-fixtures.py). A Functional node records the keyword arguments Keras'
//! `Layer.__call__` adds to a call (`training` from the signature's default, `mask` or
//! `<argument>_mask`), and which it adds depends on the signature.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::LazyLock;

static SIGNATURES: LazyLock<HashMap<String, Value>> =
    LazyLock::new(|| serde_json::from_str(include_str!("callsig.json")).unwrap_or_default());

/// Classes whose `__call__` keeps its arguments as given (`_convert_input_args = False`): the
/// keyword arguments Keras adds then show in their nodes whatever the inputs.
const KEEPS_ARGUMENTS: &[&str] = &[
    "Functional",
    "StringLookup",
    "IntegerLookup",
    "TextVectorization",
    "Hashing",
    "HashedCrossing",
    "RandomFlip",
    "RandomCrop",
    "CategoryEncoding",
    "Pipeline",
];

/// The signature of `class` as JSON text (`{"params": [...], "keeps_arguments": bool,
/// "masking": "none" | "pass" | "custom" | null}`), or `None` for a class Keras does not export.
/// `masking` says how the class's output masks follow from its input's (see R/masking.R).
pub fn signature(class: &str) -> Option<String> {
    let entry = SIGNATURES.get(class)?;
    let params = entry.get("params")?.clone();
    let canonical = entry.get("class").and_then(Value::as_str).unwrap_or(class);
    let keeps = KEEPS_ARGUMENTS.contains(&canonical);
    let masking = entry.get("masking").cloned().unwrap_or(Value::Null);
    Some(serde_json::json!({ "params": params, "keeps_arguments": keeps, "masking": masking }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_holds_the_layers_functional_graphs_use() {
        assert!(SIGNATURES.len() > 150, "callsig.json did not parse");
        let dropout: Value = serde_json::from_str(&signature("Dropout").unwrap()).unwrap();
        assert_eq!(dropout["params"][1]["name"], "training");
        assert_eq!(dropout["params"][1]["default"], false);
        assert_eq!(dropout["keeps_arguments"], false);
        let functional: Value = serde_json::from_str(&signature("Functional").unwrap()).unwrap();
        assert_eq!(functional["keeps_arguments"], true);
        assert!(signature("NoSuchLayer").is_none());
    }

    #[test]
    fn masking_says_how_output_masks_follow() {
        let masking = |class: &str| -> Value {
            serde_json::from_str::<Value>(&signature(class).unwrap()).unwrap()["masking"].clone()
        };
        assert_eq!(masking("Dense"), "pass");
        assert_eq!(masking("LSTM"), "custom");
        assert_eq!(masking("Flatten"), "none");
        // Classes Keras could not build from their required arguments have no entry.
        assert_eq!(masking("Functional"), Value::Null);
    }

    #[test]
    fn aliases_share_their_class_signature() {
        assert_eq!(signature("Convolution2D"), signature("Conv2D"));
    }
}
