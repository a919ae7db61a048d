//! Fuzzes the JSON codec with arbitrary bytes. Properties:
//! - parsing never panics, whatever the bytes;
//! - what parses writes (compact and indented) to text that parses back to an equal value;
//! - writing is a fixed point: writing the value parsed back gives the same text again;
//! - any finite double (the first 8 bytes, as bits) prints as Python's repr to text that parses
//!   back to the same double.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The R side uses parts of the printer (repeating text) that these properties do not.
#[allow(dead_code)]
#[path = "../../core/src/codec/mod.rs"]
mod codec;
// The value model is compiled into the main crate for tests only; `tree` finds `read` and
// `write` through these imports.
#[path = "../../core/src/codec/tree.rs"]
mod tree;
use codec::{float, read, write};

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = tree::parse(data) {
        for pretty in [false, true] {
            let text = tree::to_json(&value, pretty).expect("a parsed value nests no deeper than the limit");
            let again = tree::parse(text.as_bytes()).unwrap_or_else(|e| panic!("written text does not parse: {e}: {text}"));
            assert!(again == value, "parsed back differently: {text}");
            assert_eq!(tree::to_json(&again, pretty).as_deref(), Ok(text.as_str()), "writing is not a fixed point");
        }
    }

    if let Some(bits) = data.get(..8) {
        let x = f64::from_le_bytes(bits.try_into().expect("8 bytes"));
        if x.is_finite() {
            let mut text = String::new();
            float::write_repr(x, &mut text);
            assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(x.to_bits()), "{text} does not round-trip");
        }
    }
});
