//! The JSON writer: a [`Printer`] that lays values out exactly as Python's `json.dumps` does with
//! its defaults (`ensure_ascii=True`, `allow_nan=True`, separators `", "` and `": "`), or with
//! `indent=2`. A [`Source`] walks its own data and calls the printer; the printer owns layout,
//! escaping and number formatting.

use super::{float, MAX_DEPTH};
use std::ops::Range;

/// Data that can be written as JSON.
pub trait Source {
    type Error: From<TooDeep>;
    fn emit(&self, out: &mut Printer) -> Result<(), Self::Error>;
}

/// Writes `value` as JSON text: compact, or Python's `indent=2` layout when `pretty`.
pub fn to_json<S: Source + ?Sized>(value: &S, pretty: bool) -> Result<String, S::Error>
where
    S::Error: From<OutOfMemory>,
{
    let mut printer = Printer::new(pretty);
    value.emit(&mut printer)?;
    Ok(printer.finish()?)
}

/// The text grew larger than the memory the system would give: reported, never an abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

/// Room the printer makes before each value, for everything but a string's text: separators,
/// indentation beyond the depth's, a number or a literal.
const HEADROOM: usize = 64;

/// Opening one more array or object would nest deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep;

/// Lays out one JSON value. Callers keep the call order valid: one top-level value; `key` before
/// each value of an object; every `begin_*` closed by its `end_*`.
///
/// A source whose data shares parts (R's values do) can write a part once and repeat its text:
/// each value method returns where the value starts (`len` tells where it ends), `key` where
/// the key lies, and `repeat_value` and `repeat_key` copy such text. In the indented layout a
/// container's text depends on its depth, so only repeat it at the depth it was written at.
pub struct Printer {
    /// Only ever ASCII: strings are escaped to it.
    out: String,
    pretty: bool,
    depth: usize,
    /// No item written yet in the innermost open container.
    first: bool,
    /// A key was just written: the next value follows it directly.
    after_key: bool,
    /// Memory ran out: the text is dropped, and nothing more is written that could need more.
    out_of_memory: bool,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// How `ensure_ascii` writes each ASCII byte in a string: 0 as itself, `u` as `\u00XX`, any
/// other as a backslash and that letter. Bytes from 0x80 are handled as characters.
static ESCAPE: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x7f] = b'u';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table
};

impl Printer {
    pub fn new(pretty: bool) -> Self {
        Printer { out: String::new(), pretty, depth: 0, first: true, after_key: false, out_of_memory: false }
    }

    pub fn finish(self) -> Result<String, OutOfMemory> {
        if self.out_of_memory {
            Err(OutOfMemory)
        } else {
            Ok(self.out)
        }
    }

    /// Makes room for `extra` more bytes, so that no write until the next call reallocates: a
    /// failed `push_str` would abort the process (and R with it). When memory runs out the text
    /// is dropped; from then on the calls only clear what the small writes left.
    fn room(&mut self, extra: usize) -> bool {
        if !self.out_of_memory && self.out.try_reserve(extra).is_err() {
            self.out_of_memory = true;
            self.out = String::new();
        }
        if self.out_of_memory {
            self.out.clear();
        }
        !self.out_of_memory
    }

    /// Room for the punctuation and indentation before an item at the current depth.
    fn room_for_item(&mut self) -> bool {
        self.room(HEADROOM.saturating_add(self.depth.saturating_mul(2)))
    }

    /// How long the text is so far: where the value just written ends. (A position, not a
    /// container: an `is_empty()` would have no use.)
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// How many arrays and objects are open.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Whether this is the indented layout, where a container's text depends on its depth.
    pub fn indents(&self) -> bool {
        self.pretty
    }

    pub fn null(&mut self) -> usize {
        let start = self.before_value();
        self.out.push_str("null");
        start
    }

    pub fn boolean(&mut self, value: bool) -> usize {
        let start = self.before_value();
        self.out.push_str(if value { "true" } else { "false" });
        start
    }

    pub fn integer(&mut self, value: i64) -> usize {
        let start = self.before_value();
        // `write!` would go through the formatting machinery, several times slower.
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut rest = value.unsigned_abs();
        loop {
            digits[n] = b'0' + (rest % 10) as u8;
            n += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if value < 0 {
            self.out.push('-');
        }
        self.out.extend(digits[..n].iter().rev().map(|&d| char::from(d)));
        start
    }

    /// An integer given by its exact decimal text, which must match `-?(0|[1-9][0-9]*)`.
    pub fn integer_digits(&mut self, digits: &str) -> usize {
        debug_assert!(is_integer_text(digits));
        let start = self.before_value();
        if self.room(digits.len()) {
            self.out.push_str(digits);
        }
        start
    }

    /// Python's `float.__repr__`, with JSON's `NaN`, `Infinity`, `-Infinity` for the rest.
    pub fn float(&mut self, value: f64) -> usize {
        let start = self.before_value();
        if value.is_nan() {
            self.out.push_str("NaN");
        } else if value.is_infinite() {
            self.out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
        } else {
            float::write_repr(value, &mut self.out);
        }
        start
    }

    pub fn string(&mut self, value: &str) -> usize {
        let start = self.before_value();
        self.quoted(value);
        start
    }

    /// Opens an array; returns where its text starts.
    pub fn begin_array(&mut self) -> Result<usize, TooDeep> {
        self.open('[')
    }

    /// Closes the innermost array; returns where its text ends.
    pub fn end_array(&mut self) -> usize {
        self.close(']')
    }

    pub fn begin_object(&mut self) -> Result<usize, TooDeep> {
        self.open('{')
    }

    /// Writes the key of the next value; returns where its text (quotes included) lies.
    pub fn key(&mut self, key: &str) -> Range<usize> {
        self.room_for_item();
        self.item_separator();
        let start = self.out.len();
        self.quoted(key);
        let range = start..self.out.len();
        self.out.push_str(": ");
        self.after_key = true;
        range
    }

    pub fn end_object(&mut self) -> usize {
        self.close('}')
    }

    /// Writes again the value whose text lies at `range`.
    pub fn repeat_value(&mut self, range: Range<usize>) -> usize {
        let start = self.before_value();
        self.repeat(range);
        start
    }

    /// Writes again the key whose text lies at `range`, as `key` told (or a string value's).
    pub fn repeat_key(&mut self, range: Range<usize>) {
        self.room_for_item();
        self.item_separator();
        self.repeat(range);
        self.out.push_str(": ");
        self.after_key = true;
    }

    fn repeat(&mut self, range: Range<usize>) {
        // After running out of memory the text is gone, and with it what `range` pointed at.
        if !self.room(range.len().saturating_add(HEADROOM)) {
            return;
        }
        // SAFETY: `out` is all ASCII, so any range of it is valid UTF-8 (and `extend_from_within`
        // panics rather than read outside it).
        unsafe { self.out.as_mut_vec() }.extend_from_within(range);
    }

    fn open(&mut self, bracket: char) -> Result<usize, TooDeep> {
        if self.depth >= MAX_DEPTH {
            return Err(TooDeep);
        }
        let start = self.before_value();
        self.out.push(bracket);
        self.depth += 1;
        self.first = true;
        Ok(start)
    }

    fn close(&mut self, bracket: char) -> usize {
        self.room_for_item();
        self.depth -= 1;
        // Python writes empty containers as `[]` and `{}` even when indenting.
        if self.pretty && !self.first {
            self.newline_and_indent();
        }
        self.out.push(bracket);
        self.first = false;
        self.out.len()
    }

    /// Writes what goes before a value; returns where the value starts.
    fn before_value(&mut self) -> usize {
        self.room_for_item();
        if self.after_key {
            self.after_key = false;
        } else {
            self.item_separator();
        }
        self.out.len()
    }

    /// What goes before an array item or an object key: `, ` between items when compact; with
    /// `indent=2`, `,` at the end of the previous line, then a new line at the item's depth.
    fn item_separator(&mut self) {
        if self.depth == 0 {
            return;
        }
        if !self.first {
            self.out.push_str(if self.pretty { "," } else { ", " });
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
        if !self.room(escaped_len(value).saturating_add(2)) {
            return;
        }
        self.out.push('"');
        let bytes = value.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let escape = ESCAPE.get(usize::from(b)).copied();
            if escape == Some(0) {
                i += 1;
                continue;
            }
            // `run` and `i` sit on character boundaries: every step moves past a whole character.
            self.out.push_str(&value[run..i]);
            match escape {
                Some(b'u') => {
                    self.unicode_escape(u16::from(b));
                    i += 1;
                }
                Some(letter) => {
                    self.out.push('\\');
                    self.out.push(char::from(letter));
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
        // `quoted` made room for these: `escaped_len` counts them.
        self.out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            self.out.push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
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

/// An upper bound of the length of `value` escaped by `quoted` (quotes excepted): exact for long
/// strings, six bytes a byte for short ones, where counting would cost more than it saves.
fn escaped_len(value: &str) -> usize {
    if value.len() <= 1024 {
        return value.len() * 6;
    }
    value
        .chars()
        .map(|c| match ESCAPE.get(c as usize) {
            Some(0) => 1,
            Some(b'u') => 6,
            Some(_) => 2,
            None => 6 * c.len_utf16(),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::tree::{parse, to_json, Value};
    use super::*;

    fn compact(json: &str) -> String {
        to_json(&parse(json.as_bytes()).unwrap(), false).unwrap()
    }

    #[test]
    fn running_out_of_memory_is_reported_and_nothing_large_is_written_after() {
        let mut p = Printer::new(true);
        p.begin_array().unwrap();
        p.string("before");
        // A request no allocator grants: as when the system has no memory left.
        assert!(!p.room(usize::MAX));
        p.string(&"x".repeat(5000));
        p.integer(3);
        let range = 0..2;
        p.repeat_value(range);
        p.end_array();
        assert!(p.len() < HEADROOM);
        assert_eq!(p.finish(), Err(OutOfMemory));
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
        assert_eq!(
            compact("[NaN, Infinity, -Infinity, -0.0, 1e16, 1E-7]"),
            "[NaN, Infinity, -Infinity, -0.0, 1e+16, 1e-07]"
        );
        let huge = format!("-{}", "9".repeat(400));
        assert_eq!(compact(&format!("[9223372036854775808, {huge}, -0]")), format!("[9223372036854775808, {huge}, 0]"));
    }

    #[test]
    fn refuses_to_nest_deeper_than_100_levels() {
        let mut v = Value::Null;
        for _ in 0..100 {
            v = Value::Array(vec![v]);
        }
        assert!(to_json(&v, false).is_ok());
        let v = Value::Object(vec![("k".into(), v)]);
        assert_eq!(to_json(&v, true), Err(super::super::tree::Failure::TooDeep));
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
