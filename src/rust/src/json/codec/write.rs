//! The JSON writer: a [`Printer`] that lays values out exactly as Python's `json.dumps` does with
//! its defaults (`ensure_ascii=True`, `allow_nan=True`, separators `", "` and `": "`), or with
//! `indent=2`. A [`Source`] walks its own data and calls the printer; the printer owns layout,
//! escaping and number formatting.

use super::{float, MAX_DEPTH};
use std::fmt::Write as _;

/// Data that can be written as JSON.
pub trait Source {
    type Error: From<TooDeep>;
    fn emit(&self, out: &mut Printer) -> Result<(), Self::Error>;
}

/// Writes `value` as JSON text: compact, or Python's `indent=2` layout when `pretty`.
pub fn to_json<S: Source + ?Sized>(value: &S, pretty: bool) -> Result<String, S::Error> {
    let mut printer = Printer::new(pretty);
    value.emit(&mut printer)?;
    Ok(printer.finish())
}

/// Opening one more array or object would nest deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep;

/// Lays out one JSON value. Callers keep the call order valid: one top-level value; `key` before
/// each value of an object; every `begin_*` closed by its `end_*`.
pub struct Printer {
    out: String,
    pretty: bool,
    depth: usize,
    /// No item written yet in the innermost open container.
    first: bool,
    /// A key was just written: the next value follows it directly.
    after_key: bool,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Printer {
    pub fn new(pretty: bool) -> Self {
        Printer { out: String::new(), pretty, depth: 0, first: true, after_key: false }
    }

    pub fn finish(self) -> String {
        self.out
    }

    pub fn null(&mut self) {
        self.before_value();
        self.out.push_str("null");
    }

    pub fn boolean(&mut self, value: bool) {
        self.before_value();
        self.out.push_str(if value { "true" } else { "false" });
    }

    pub fn integer(&mut self, value: i64) {
        self.before_value();
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{value}");
    }

    /// An integer given by its exact decimal text, which must match `-?(0|[1-9][0-9]*)`.
    pub fn integer_digits(&mut self, digits: &str) {
        debug_assert!(is_integer_text(digits));
        self.before_value();
        self.out.push_str(digits);
    }

    /// Python's `float.__repr__`, with JSON's `NaN`, `Infinity`, `-Infinity` for the rest.
    pub fn float(&mut self, value: f64) {
        self.before_value();
        if value.is_nan() {
            self.out.push_str("NaN");
        } else if value.is_infinite() {
            self.out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            float::write_repr(value, &mut self.out);
        }
    }

    pub fn string(&mut self, value: &str) {
        self.before_value();
        self.quoted(value);
    }

    pub fn begin_array(&mut self) -> Result<(), TooDeep> {
        self.open(b'[')
    }

    pub fn end_array(&mut self) {
        self.close(b']');
    }

    pub fn begin_object(&mut self) -> Result<(), TooDeep> {
        self.open(b'{')
    }

    pub fn key(&mut self, key: &str) {
        self.item_separator();
        self.quoted(key);
        self.out.push_str(": ");
        self.after_key = true;
    }

    pub fn end_object(&mut self) {
        self.close(b'}');
    }

    fn open(&mut self, bracket: u8) -> Result<(), TooDeep> {
        if self.depth >= MAX_DEPTH {
            return Err(TooDeep);
        }
        self.before_value();
        self.out.push(bracket as char);
        self.depth += 1;
        self.first = true;
        Ok(())
    }

    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        // Python writes empty containers as `[]` and `{}` even when indenting.
        if self.pretty && !self.first {
            self.newline_and_indent();
        }
        self.out.push(bracket as char);
        self.first = false;
    }

    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else {
            self.item_separator();
        }
    }

    /// What goes before an array item or an object key: `, ` between items when compact; with
    /// `indent=2`, `,` at the end of the previous line, then a new line at the item's depth.
    fn item_separator(&mut self) {
        if self.depth == 0 {
            return;
        }
        if !self.first {
            self.out.push(',');
            if !self.pretty {
                self.out.push(' ');
            }
        }
        if self.pretty {
            self.newline_and_indent();
        }
        self.first = false;
    }

    fn newline_and_indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// `value` in double quotes, escaped as `ensure_ascii=True` does: `\"`, `\\`, `\n`, `\r`,
    /// `\t`, `\b`, `\f`, every other character outside printable ASCII (DEL included) as `\uxxxx`
    /// in lowercase hex, with a surrogate pair above the BMP.
    fn quoted(&mut self, value: &str) {
        self.out.push('"');
        let bytes = value.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                i += 1;
                continue;
            }
            // `run` and `i` sit on character boundaries: every step moves past a whole character.
            self.out.push_str(&value[run..i]);
            let escape = match b {
                b'"' => Some("\\\""),
                b'\\' => Some("\\\\"),
                b'\n' => Some("\\n"),
                b'\r' => Some("\\r"),
                b'\t' => Some("\\t"),
                0x08 => Some("\\b"),
                0x0c => Some("\\f"),
                _ => None,
            };
            match escape {
                Some(text) => {
                    self.out.push_str(text);
                    i += 1;
                }
                None => {
                    let c = value[i..].chars().next().unwrap_or('\u{fffd}');
                    let mut units = [0u16; 2];
                    for &unit in c.encode_utf16(&mut units).iter() {
                        self.unicode_escape(unit);
                    }
                    i += c.len_utf8();
                }
            }
            run = i;
        }
        self.out.push_str(&value[run..]);
        self.out.push('"');
    }

    fn unicode_escape(&mut self, unit: u16) {
        self.out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            self.out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
        }
    }
}

/// Whether `text` is a JSON integer: `-?(0|[1-9][0-9]*)`.
pub fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text).as_bytes();
    match digits {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{parse, to_json, Value};
    use super::*;

    fn compact(json: &str) -> String {
        to_json(&parse(json.as_bytes()).unwrap(), false).unwrap()
    }

    #[test]
    fn escapes_strings_like_ensure_ascii() {
        let v = Value::Str("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} \u{e9} \u{6f22} \u{1f600} /".into());
        // Python 3.11: json.dumps("a\"b\\c\n\r\t\x08\x0c\x01\x1f\x7f é 漢 😀 /")
        let python = r#""a\"b\\c\n\r\t\b\f\u0001\u001f\u007f \u00e9 \u6f22 \ud83d\ude00 /""#;
        assert_eq!(to_json(&v, false).unwrap(), python);
    }

    #[test]
    fn compact_layout_uses_python_separators() {
        let json = r#"{"a": [1, 2.5, {}, [], {"b": null}], "c": {"d": [true]}}"#;
        assert_eq!(compact(r#"{"a":[1,2.5,{},[],{"b":null}],"c":{"d":[true]}}"#), json);
    }

    #[test]
    fn pretty_layout_matches_python_indent_2() {
        let v = parse(br#"{"a": [1, 2.5, {}, [], {"b": null}], "c": {"d": [true]}}"#).unwrap();
        let python = "{\n  \"a\": [\n    1,\n    2.5,\n    {},\n    [],\n    {\n      \"b\": null\n    }\n  ],\n  \
                      \"c\": {\n    \"d\": [\n      true\n    ]\n  }\n}";
        assert_eq!(to_json(&v, true).unwrap(), python);
        assert_eq!(to_json(&Value::Int(3), true).unwrap(), "3");
        assert_eq!(to_json(&Value::Array(vec![]), true).unwrap(), "[]");
    }

    #[test]
    fn writes_special_floats_and_big_integers_as_python_does() {
        assert_eq!(compact("[NaN, Infinity, -Infinity, -0.0, 1e16, 1E-7]"), "[NaN, Infinity, -Infinity, -0.0, 1e+16, 1e-07]");
        let huge = format!("-{}", "9".repeat(400));
        assert_eq!(compact(&format!("[9223372036854775808, {huge}, -0]")), format!("[9223372036854775808, {huge}, 0]"));
    }

    #[test]
    fn refuses_to_nest_deeper_than_1000_levels() {
        let mut v = Value::Null;
        for _ in 0..1000 {
            v = Value::Array(vec![v]);
        }
        assert!(to_json(&v, false).is_ok());
        let v = Value::Object(vec![("k".into(), v)]);
        assert_eq!(to_json(&v, true), Err(TooDeep));
    }

    #[test]
    fn recognises_json_integer_text() {
        for ok in ["0", "-0", "7", "-12", "123456789012345678901234567890"] {
            assert!(is_integer_text(ok), "{ok}");
        }
        for bad in ["", "-", "01", "+1", "1.0", "1e5", " 1", "١"] {
            assert!(!is_integer_text(bad), "{bad}");
        }
    }
}
