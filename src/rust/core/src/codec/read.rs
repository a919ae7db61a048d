//! The JSON reader: a recursive-descent parser over bytes that pushes each value into a [`Sink`]
//! as soon as it is read, so no intermediate tree is built.
//!
//! It reads what Python's `json.loads` reads, with these differences, all on purpose:
//! numbers beyond the double range (`1e400`) are refused instead of becoming infinity; unpaired
//! UTF-16 surrogates in `\u` escapes are refused; invalid UTF-8 is refused; a sink may refuse
//! `\u0000` ([`Sink::ACCEPTS_NUL`]); nesting deeper than [`MAX_DEPTH`] is refused; a leading UTF-8
//! byte-order mark is skipped. Like Python it accepts the bare tokens `NaN`, `Infinity` and
//! `-Infinity`, and rejects control characters inside strings.

use super::MAX_DEPTH;
use std::fmt;

/// Receives values in document order. Containers arrive as `begin_*`, their items, then `end_*`
/// with the number of items, so a sink can keep its pending values on a stack.
pub trait Sink {
    /// Whether strings may hold U+0000 (R's strings cannot).
    const ACCEPTS_NUL: bool = true;
    /// The longest string, in UTF-8 bytes, the sink can store.
    const MAX_STRING_BYTES: usize = usize::MAX;

    fn null(&mut self);
    fn boolean(&mut self, value: bool);
    /// An integer literal (no fraction, no exponent) that fits in an `i64`.
    fn integer(&mut self, value: i64);
    /// An integer literal beyond `i64`; `digits` is its exact text, `-?[1-9][0-9]*`.
    fn big_integer(&mut self, digits: &str);
    /// A literal with a fraction or an exponent, or `NaN`, `Infinity`, `-Infinity`.
    fn float(&mut self, value: f64);
    fn string(&mut self, value: &str);
    fn begin_array(&mut self);
    /// Closes the innermost array, which received `len` values.
    fn end_array(&mut self, len: usize);
    fn begin_object(&mut self);
    /// The key of the next value of the innermost object.
    fn key(&mut self, key: &str);
    /// Closes the innermost object, which received `len` key/value pairs, repeated keys included:
    /// resolving them (Python keeps a repeated key at its first position with its last value) is
    /// the sink's job.
    fn end_object(&mut self, len: usize);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    UnexpectedEnd,
    ExpectedValue,
    ExpectedCommaOrBracket,
    ExpectedCommaOrBrace,
    ExpectedColon,
    ExpectedKey,
    TrailingCharacters,
    InvalidNumber,
    NumberOutOfRange,
    UnterminatedString,
    ControlCharacter,
    InvalidEscape,
    InvalidUnicodeEscape,
    LoneSurrogate,
    NulInString,
    InvalidUtf8,
    StringTooLong,
    TooDeep,
}

impl ErrorKind {
    pub fn message(self) -> &'static str {
        match self {
            ErrorKind::UnexpectedEnd => "unexpected end of text",
            ErrorKind::ExpectedValue => "expected a value",
            ErrorKind::ExpectedCommaOrBracket => "expected ',' or ']'",
            ErrorKind::ExpectedCommaOrBrace => "expected ',' or '}'",
            ErrorKind::ExpectedColon => "expected ':'",
            ErrorKind::ExpectedKey => "expected a key (a string in double quotes)",
            ErrorKind::TrailingCharacters => "trailing characters after the value",
            ErrorKind::InvalidNumber => "invalid number",
            ErrorKind::NumberOutOfRange => "number out of the range of a double",
            ErrorKind::UnterminatedString => "unterminated string",
            ErrorKind::ControlCharacter => "control character in a string (escape it)",
            ErrorKind::InvalidEscape => "invalid escape in a string",
            ErrorKind::InvalidUnicodeEscape => "invalid \\u escape (expected 4 hex digits)",
            ErrorKind::LoneSurrogate => "unpaired UTF-16 surrogate in a \\u escape",
            ErrorKind::NulInString => "\\u0000 cannot be stored in an R string",
            ErrorKind::InvalidUtf8 => "invalid UTF-8",
            ErrorKind::StringTooLong => "string too long to store",
            ErrorKind::TooDeep => "nesting deeper than 100 arrays and objects",
        }
    }
}

/// A parse failure at byte `offset` of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub offset: usize,
}

impl ParseError {
    /// The 1-based line and column of the failure, counting columns in characters as Python does
    /// (and not counting a skipped byte-order mark).
    pub fn location(&self, input: &[u8]) -> (usize, usize) {
        let before = &input[..self.offset.min(input.len())];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let mut column = 1 + before[line_start..].iter().filter(|&&b| !is_continuation(b)).count();
        if line_start == 0 && before.starts_with(BOM) {
            column -= 1;
        }
        (line, column)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.message(), self.offset)
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Parses one JSON text into `sink`. On error the sink holds a partial build and should be
/// discarded.
pub fn parse<S: Sink>(input: &[u8], sink: &mut S) -> Result<(), ParseError> {
    let start = if input.starts_with(BOM) { BOM.len() } else { 0 };
    let mut parser = Parser { input, pos: start, depth: 0, scratch: String::new(), sink };
    parser.skip_whitespace();
    parser.value()?;
    parser.skip_whitespace();
    if parser.pos < input.len() {
        return Err(parser.error(ErrorKind::TrailingCharacters));
    }
    Ok(())
}

struct Parser<'a, 's, S> {
    input: &'a [u8],
    pos: usize,
    depth: usize,
    /// Where strings with escapes are decoded; strings without escapes are borrowed from `input`.
    scratch: String,
    sink: &'s mut S,
}

/// Where a just-parsed string's text is.
enum Text<'a> {
    Borrowed(&'a str),
    Scratch,
}

/// Bytes that end the fast scan of a string: the closing quote, a backslash, a control character.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

impl<'a, S: Sink> Parser<'a, '_, S> {
    fn error(&self, kind: ErrorKind) -> ParseError {
        self.error_at(kind, self.pos)
    }

    fn error_at(&self, kind: ErrorKind, offset: usize) -> ParseError {
        ParseError { kind, offset }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Parses the value at `pos`, whitespace already skipped.
    fn value(&mut self) -> Result<(), ParseError> {
        match self.peek() {
            None => Err(self.error(ErrorKind::UnexpectedEnd)),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let text = self.string()?;
                let text = match text {
                    Text::Borrowed(s) => s,
                    Text::Scratch => &self.scratch,
                };
                self.sink.string(text);
                Ok(())
            }
            Some(b't') => self.literal("true").map(|()| self.sink.boolean(true)),
            Some(b'f') => self.literal("false").map(|()| self.sink.boolean(false)),
            Some(b'n') => self.literal("null").map(|()| self.sink.null()),
            Some(b'N') => self.literal("NaN").map(|()| self.sink.float(f64::NAN)),
            Some(b'I') => self.literal("Infinity").map(|()| self.sink.float(f64::INFINITY)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error(ErrorKind::ExpectedValue)),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), ParseError> {
        if self.input[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error(ErrorKind::ExpectedValue))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(ErrorKind::TooDeep));
        }
        self.pos += 1;
        self.skip_whitespace();
        Ok(())
    }

    fn array(&mut self) -> Result<(), ParseError> {
        self.enter()?;
        self.sink.begin_array();
        let mut len = 0;
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.value()?;
                len += 1;
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => return Err(self.error(ErrorKind::ExpectedCommaOrBracket)),
                    None => return Err(self.error(ErrorKind::UnexpectedEnd)),
                }
            }
        }
        self.depth -= 1;
        self.sink.end_array(len);
        Ok(())
    }

    fn object(&mut self) -> Result<(), ParseError> {
        self.enter()?;
        self.sink.begin_object();
        let mut len = 0;
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                match self.peek() {
                    Some(b'"') => {}
                    Some(_) => return Err(self.error(ErrorKind::ExpectedKey)),
                    None => return Err(self.error(ErrorKind::UnexpectedEnd)),
                }
                let key = self.string()?;
                let key = match key {
                    Text::Borrowed(s) => s,
                    Text::Scratch => &self.scratch,
                };
                self.sink.key(key);
                self.skip_whitespace();
                match self.peek() {
                    Some(b':') => self.pos += 1,
                    Some(_) => return Err(self.error(ErrorKind::ExpectedColon)),
                    None => return Err(self.error(ErrorKind::UnexpectedEnd)),
                }
                self.skip_whitespace();
                self.value()?;
                len += 1;
                self.skip_whitespace();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => return Err(self.error(ErrorKind::ExpectedCommaOrBrace)),
                    None => return Err(self.error(ErrorKind::UnexpectedEnd)),
                }
            }
        }
        self.depth -= 1;
        self.sink.end_object(len);
        Ok(())
    }

    /// Parses the string whose opening quote is at `pos`.
    fn string(&mut self) -> Result<Text<'a>, ParseError> {
        let input = self.input;
        let open = self.pos;
        let mut run = open + 1;
        // Fast path: most strings are short, ASCII and without escapes, and are borrowed as they
        // are.
        let (mut pos, ascii) = scan_string(input, run);
        match input.get(pos) {
            Some(b'"') if ascii && pos - run <= S::MAX_STRING_BYTES => {
                // SAFETY: every byte is below 0x80: ASCII is valid UTF-8.
                let text = unsafe { std::str::from_utf8_unchecked(&input[run..pos]) };
                self.pos = pos + 1;
                return Ok(Text::Borrowed(text));
            }
            Some(b'"') => {
                let text = self.checked_text(run, pos, open)?;
                self.pos = pos + 1;
                return Ok(Text::Borrowed(text));
            }
            Some(b'\\') => {}
            Some(_) => return Err(self.error_at(ErrorKind::ControlCharacter, pos)),
            None => return Err(self.error_at(ErrorKind::UnterminatedString, open)),
        }

        self.scratch.clear();
        loop {
            // `pos` is on a stop byte; `input[run..pos]` is plain text still to copy.
            let text = self.checked_text(run, pos, open)?;
            self.scratch.push_str(text);
            match input.get(pos) {
                Some(b'"') => {
                    if self.scratch.len() > S::MAX_STRING_BYTES {
                        return Err(self.error_at(ErrorKind::StringTooLong, open));
                    }
                    self.pos = pos + 1;
                    return Ok(Text::Scratch);
                }
                Some(b'\\') => {
                    pos = self.escape(pos)?;
                }
                Some(_) => return Err(self.error_at(ErrorKind::ControlCharacter, pos)),
                None => return Err(self.error_at(ErrorKind::UnterminatedString, open)),
            }
            run = pos;
            pos = scan_string(input, pos).0;
        }
    }

    /// `input[start..end]` (part of the string opened at `open`) as text: it must be valid UTF-8,
    /// and short enough for the sink.
    fn checked_text(&self, start: usize, end: usize, open: usize) -> Result<&'a str, ParseError> {
        let input = self.input;
        if end - start > S::MAX_STRING_BYTES {
            return Err(self.error_at(ErrorKind::StringTooLong, open));
        }
        std::str::from_utf8(&input[start..end])
            .map_err(|e| self.error_at(ErrorKind::InvalidUtf8, start + e.valid_up_to()))
    }

    /// Decodes the escape whose backslash is at `at` into `scratch`; returns the offset after it.
    fn escape(&mut self, at: usize) -> Result<usize, ParseError> {
        let decoded = match self.input.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (c, next) = self.unicode_escape(at)?;
                self.scratch.push(c);
                return Ok(next);
            }
            Some(_) => return Err(self.error_at(ErrorKind::InvalidEscape, at)),
            None => return Err(self.error_at(ErrorKind::UnexpectedEnd, at + 1)),
        };
        self.scratch.push(decoded);
        Ok(at + 2)
    }

    /// The character of the `\uXXXX` escape at `at` (a surrogate pair takes two escapes), and the
    /// offset after it.
    fn unicode_escape(&self, at: usize) -> Result<(char, usize), ParseError> {
        let unit = self.hex4(at + 2).ok_or(self.error_at(ErrorKind::InvalidUnicodeEscape, at))?;
        let (code, next) = match unit {
            0xD800..=0xDBFF => {
                let low = if self.input.get(at + 6..at + 8) == Some(b"\\u") { self.hex4(at + 8) } else { None };
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), at + 12),
                    _ => return Err(self.error_at(ErrorKind::LoneSurrogate, at)),
                }
            }
            0xDC00..=0xDFFF => return Err(self.error_at(ErrorKind::LoneSurrogate, at)),
            0 if !S::ACCEPTS_NUL => return Err(self.error_at(ErrorKind::NulInString, at)),
            _ => (unit, at + 6),
        };
        let c = char::from_u32(code).ok_or(self.error_at(ErrorKind::LoneSurrogate, at))?;
        Ok((c, next))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.input.get(at..at + 4)?;
        digits.iter().try_fold(0u32, |acc, &b| Some(acc * 16 + (b as char).to_digit(16)?))
    }

    /// Parses the number (or `-Infinity`) at `pos`, per JSON's grammar.
    fn number(&mut self) -> Result<(), ParseError> {
        let input = self.input;
        let start = self.pos;
        let mut pos = start;
        let negative = input[pos] == b'-';
        if negative {
            pos += 1;
            if input.get(pos) == Some(&b'I') {
                if input[pos..].starts_with(b"Infinity") {
                    self.pos = pos + "Infinity".len();
                    self.sink.float(f64::NEG_INFINITY);
                    return Ok(());
                }
                return Err(self.error(ErrorKind::ExpectedValue));
            }
        }
        let digits_start = pos;
        match input.get(pos) {
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => pos = skip_digits(input, pos),
            _ => return Err(self.error(ErrorKind::ExpectedValue)),
        }
        let digits_end = pos;
        let mut is_float = false;
        if input.get(pos) == Some(&b'.') {
            let after = skip_digits(input, pos + 1);
            if after == pos + 1 {
                return Err(self.error_at(ErrorKind::InvalidNumber, after));
            }
            pos = after;
            is_float = true;
        }
        if let Some(b'e' | b'E') = input.get(pos) {
            pos += 1;
            if let Some(b'+' | b'-') = input.get(pos) {
                pos += 1;
            }
            let after = skip_digits(input, pos);
            if after == pos {
                return Err(self.error_at(ErrorKind::InvalidNumber, after));
            }
            pos = after;
            is_float = true;
        }
        self.pos = pos;

        // Up to 18 digits cannot overflow an i64: the common case needs no checks.
        if !is_float && digits_end - digits_start <= 18 {
            let magnitude = input[digits_start..digits_end].iter().fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'));
            self.sink.integer(if negative { -magnitude } else { magnitude });
            return Ok(());
        }
        // The grammar above admits only ASCII.
        let text =
            std::str::from_utf8(&input[start..pos]).map_err(|_| self.error_at(ErrorKind::InvalidNumber, start))?;
        if is_float {
            // Rust's float parsing is correctly rounded, like Python's.
            let value: f64 = text.parse().map_err(|_| self.error_at(ErrorKind::InvalidNumber, start))?;
            if value.is_infinite() {
                return Err(self.error_at(ErrorKind::NumberOutOfRange, start));
            }
            self.sink.float(value);
        } else {
            match text.parse::<i64>() {
                Ok(value) => self.sink.integer(value),
                Err(_) => self.sink.big_integer(text),
            }
        }
        Ok(())
    }
}

/// The offset of the first byte from `pos` that ends plain string text (a quote, a backslash, a
/// control character; the end of the input if none), and whether the text up to it is ASCII.
/// Looks at 8 bytes at a time: strings are most of a config's bytes.
fn scan_string(input: &[u8], mut pos: usize) -> (usize, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut ascii = true;
    while let Some(Ok(word)) = input.get(pos..pos + 8).map(<[u8; 8]>::try_from) {
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // Per byte, `(v - 1) & !v` has its high bit set where `v` is 0, and `(w - 0x20) & !w`
        // where `w` is below 0x20 (bytes from 0x80 never: `!w` clears their high bit). Borrows
        // can mark bytes after a marked one, never before: the lowest mark is exact.
        let stop = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | w.wrapping_sub(ONES * 0x20) & !w)
            & HIGHS;
        if stop != 0 {
            let end = pos + (stop.trailing_zeros() / 8) as usize;
            return (end, ascii && input[pos..end].is_ascii());
        }
        ascii &= w & HIGHS == 0;
        pos += 8;
    }
    while pos < input.len() && !STRING_STOP[input[pos] as usize] {
        ascii &= input[pos].is_ascii();
        pos += 1;
    }
    (pos, ascii)
}

fn skip_digits(input: &[u8], mut pos: usize) -> usize {
    while let Some(b'0'..=b'9') = input.get(pos) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::super::tree::{parse as tree, Value};
    use super::*;

    fn error(input: &str) -> (ErrorKind, (usize, usize)) {
        let e = tree(input.as_bytes()).expect_err(input);
        (e.kind, e.location(input.as_bytes()))
    }

    fn obj(members: &[(&str, Value)]) -> Value {
        Value::Object(members.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    #[test]
    fn reads_every_kind_of_value_in_order() {
        let v =
            tree(br#" {"n": null, "t": true, "f": false, "i": -12, "x": 2.5e-3, "s": "hi", "a": [1, []], "o": {}} "#);
        let expected = obj(&[
            ("n", Value::Null),
            ("t", Value::Bool(true)),
            ("f", Value::Bool(false)),
            ("i", Value::Int(-12)),
            ("x", Value::Float(0.0025)),
            ("s", Value::Str("hi".into())),
            ("a", Value::Array(vec![Value::Int(1), Value::Array(vec![])])),
            ("o", obj(&[])),
        ]);
        assert_eq!(v.unwrap(), expected);
    }

    #[test]
    fn top_level_scalars_are_values() {
        assert_eq!(tree(b"\"relu\"").unwrap(), Value::Str("relu".into()));
        assert_eq!(tree(b"\t7\r\n").unwrap(), Value::Int(7));
    }

    #[test]
    fn accepts_python_nan_and_infinities_but_not_other_spellings() {
        let v = tree(b"[NaN, Infinity, -Infinity]").unwrap();
        let Value::Array(items) = v else { panic!("an array") };
        assert!(matches!(items[0], Value::Float(x) if x.is_nan()));
        assert_eq!(items[1], Value::Float(f64::INFINITY));
        assert_eq!(items[2], Value::Float(f64::NEG_INFINITY));
        for bad in ["nan", "-NaN", "+Infinity", "Inf", "infinity", "-Inf"] {
            assert_eq!(error(bad).0, ErrorKind::ExpectedValue, "{bad}");
        }
    }

    #[test]
    fn integers_beyond_i64_keep_their_exact_text() {
        assert_eq!(tree(b"9007199254740993").unwrap(), Value::Int(9007199254740993));
        assert_eq!(tree(b"9223372036854775807").unwrap(), Value::Int(i64::MAX));
        assert_eq!(tree(b"-9223372036854775808").unwrap(), Value::Int(i64::MIN));
        assert_eq!(tree(b"9223372036854775808").unwrap(), Value::BigInt("9223372036854775808".into()));
        assert_eq!(tree(b"-9223372036854775809").unwrap(), Value::BigInt("-9223372036854775809".into()));
        let huge = format!("1{}", "0".repeat(399));
        assert_eq!(tree(huge.as_bytes()).unwrap(), Value::BigInt(huge.clone()));
        assert_eq!(tree(b"-0").unwrap(), Value::Int(0));
    }

    #[test]
    fn floats_are_correctly_rounded_and_refused_beyond_the_double_range() {
        assert_eq!(tree(b"0.1").unwrap(), Value::Float(0.1));
        assert_eq!(tree(b"1E+2").unwrap(), Value::Float(100.0));
        assert_eq!(tree(b"-0.0").unwrap(), Value::Float(-0.0));
        assert_eq!(tree(b"2.2250738585072011e-308").unwrap(), Value::Float(2.225073858507201e-308));
        assert_eq!(tree(b"1e-400").unwrap(), Value::Float(0.0), "underflow gives zero, as in Python");
        assert_eq!(error("[1, 1e400]"), (ErrorKind::NumberOutOfRange, (1, 5)));
        assert_eq!(error("-1.8e308").0, ErrorKind::NumberOutOfRange);
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(error("-").0, ErrorKind::ExpectedValue);
        assert_eq!(error("1.").0, ErrorKind::InvalidNumber);
        assert_eq!(error("1.e5").0, ErrorKind::InvalidNumber);
        assert_eq!(error("1e").0, ErrorKind::InvalidNumber);
        assert_eq!(error("1e+").0, ErrorKind::InvalidNumber);
        assert_eq!(error("+1").0, ErrorKind::ExpectedValue);
        assert_eq!(error(".5").0, ErrorKind::ExpectedValue);
        assert_eq!(error("01"), (ErrorKind::TrailingCharacters, (1, 2)));
        assert_eq!(error("[01]"), (ErrorKind::ExpectedCommaOrBracket, (1, 3)));
    }

    #[test]
    fn repeated_keys_keep_the_first_position_and_the_last_value() {
        let v = tree(br#"{"a": 1, "b": 2, "a": 3, "c": {"x": 0, "x": [4]}}"#).unwrap();
        let expected =
            obj(&[("a", Value::Int(3)), ("b", Value::Int(2)), ("c", obj(&[("x", Value::Array(vec![Value::Int(4)]))]))]);
        assert_eq!(v, expected);
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let v = tree(br#""\"\\\/\b\f\n\r\t\u00e9\u6F22\ud83d\ude00""#).unwrap();
        assert_eq!(v, Value::Str("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{6f22}\u{1f600}".into()));
        assert_eq!(tree("\"d\u{e9}nse_\u{3bb}\"".as_bytes()).unwrap(), Value::Str("dénse_λ".into()));
    }

    #[test]
    fn refuses_lone_surrogates_nul_and_bad_escapes() {
        assert_eq!(error(r#"["\ud800"]"#), (ErrorKind::LoneSurrogate, (1, 3)));
        assert_eq!(error(r#""\ud800\u0041""#).0, ErrorKind::LoneSurrogate);
        assert_eq!(error(r#""\udc00""#).0, ErrorKind::LoneSurrogate);
        assert_eq!(error(r#""a\u0000b""#), (ErrorKind::NulInString, (1, 3)));
        assert_eq!(error(r#""\u12G4""#).0, ErrorKind::InvalidUnicodeEscape);
        assert_eq!(error(r#""\u12""#).0, ErrorKind::InvalidUnicodeEscape);
        assert_eq!(error(r#""\x41""#).0, ErrorKind::InvalidEscape);
        assert_eq!(error("\"\\").0, ErrorKind::UnexpectedEnd);
    }

    #[test]
    fn refuses_control_characters_invalid_utf8_and_unterminated_strings() {
        assert_eq!(error("[\"a\tb\"]"), (ErrorKind::ControlCharacter, (1, 4)));
        assert_eq!(error("\"ab"), (ErrorKind::UnterminatedString, (1, 1)));
        let e = tree(b"[\"ok\", \"\xc3\xa9\xff\"]").unwrap_err();
        assert_eq!((e.kind, e.location(b"[\"ok\", \"\xc3\xa9\xff\"]")), (ErrorKind::InvalidUtf8, (1, 10)));
        assert_eq!(tree(b"\"\xed\xa0\x80\"").unwrap_err().kind, ErrorKind::InvalidUtf8, "encoded surrogate");
        assert_eq!(tree(b"[1, \xc3\xa9]").unwrap_err().kind, ErrorKind::ExpectedValue);
    }

    #[test]
    fn locates_errors_by_line_and_character_column_like_python() {
        // Python: "Expecting value: line 2 column 4 (char 7)".
        assert_eq!(error("[1,\n 2,,3]"), (ErrorKind::ExpectedValue, (2, 4)));
        // Columns count characters, not bytes.
        assert_eq!(error("[\"\u{e9}\u{6f22}\", x]"), (ErrorKind::ExpectedValue, (1, 8)));
        assert_eq!(error("{\"a\" 1}"), (ErrorKind::ExpectedColon, (1, 6)));
        assert_eq!(error("{\"a\": 1 \"b\": 2}"), (ErrorKind::ExpectedCommaOrBrace, (1, 9)));
        assert_eq!(error("{1: 2}"), (ErrorKind::ExpectedKey, (1, 2)));
        assert_eq!(error("[1,]"), (ErrorKind::ExpectedValue, (1, 4)));
        assert_eq!(error("{\"a\": 1,}"), (ErrorKind::ExpectedKey, (1, 9)));
        assert_eq!(error("[1, 2"), (ErrorKind::UnexpectedEnd, (1, 6)));
        assert_eq!(error(""), (ErrorKind::UnexpectedEnd, (1, 1)));
        assert_eq!(error("  \n "), (ErrorKind::UnexpectedEnd, (2, 2)));
        assert_eq!(error("{} x"), (ErrorKind::TrailingCharacters, (1, 4)));
        assert_eq!(error("nul"), (ErrorKind::ExpectedValue, (1, 1)));
    }

    #[test]
    fn skips_a_byte_order_mark_and_leaves_it_out_of_columns() {
        assert_eq!(tree(b"\xef\xbb\xbf[1]").unwrap(), Value::Array(vec![Value::Int(1)]));
        assert_eq!(error("\u{feff}[1,,]"), (ErrorKind::ExpectedValue, (1, 4)));
        assert_eq!(error("[\u{feff}]").0, ErrorKind::ExpectedValue, "only a leading mark is skipped");
    }

    #[test]
    fn nesting_is_limited_to_100_levels() {
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(tree(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert_eq!(error(&deep), (ErrorKind::TooDeep, (1, 101)));
        let objects = format!("{}1{}", "{\"a\": ".repeat(101), "}".repeat(101));
        assert_eq!(error(&objects).0, ErrorKind::TooDeep);
    }

    #[test]
    fn a_hundred_thousand_open_brackets_fail_cleanly() {
        assert_eq!(error(&"[".repeat(100_000)).0, ErrorKind::TooDeep);
        assert_eq!(error(&"{\"k\":".repeat(100_000)).0, ErrorKind::TooDeep);
    }
}
