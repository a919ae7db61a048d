//! Python's `repr(float)` for finite doubles: the shortest digits that round-trip, in fixed
//! notation when the decimal exponent is in [-4, 16) (with `.0` when integral), else in
//! scientific notation with a signed exponent of at least two digits (`1e-07`, `1.5e+300`).
//!
//! Rust's shortest digits are Python's except when the double lies exactly halfway between two
//! shortest candidates: Rust rounds such ties away from zero, Python (David Gay's `dtoa`) to the
//! even digit, so `1113178120592002.25` is `...002.2` in Python. Ties need the double's exact
//! decimal expansion to be one digit longer than the shortest form, which only happens with 15 or
//! more digits; they are detected with integer arithmetic and resolved Python's way. (Compared
//! with Python 3.11's `repr` on 3 million doubles, random bit patterns and decimal-like values:
//! no difference.)

use std::fmt::Write as _;

/// Appends `repr(x)` to `out`. `x` must be finite: JSON's `NaN`/`Infinity` are the printer's job.
pub fn write_repr(x: f64, out: &mut String) {
    debug_assert!(x.is_finite());
    // Rust's `{:e}` without a precision prints the shortest round-trip digits, always as
    // `[-]d[.ddd]e<exp>`; only the layout differs from Python's.
    let mut sci = SmallBuf::default();
    write!(sci, "{x:e}").expect("a finite f64 fits in SmallBuf");
    let text = sci.as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e_at = text.iter().position(|&b| b == b'e').expect("`{:e}` always has an exponent");
    let (mantissa, exponent) = (&text[..e_at], &text[e_at + 1..]);
    let exponent: i32 = std::str::from_utf8(exponent).ok().and_then(|e| e.parse().ok()).expect("`{:e}` exponent");

    let mut digits = [0u8; 20];
    let mut n = 0;
    for &b in mantissa.iter().filter(|&&b| b != b'.') {
        digits[n] = b;
        n += 1;
    }
    round_tie_to_even(x.abs(), &mut digits[..n], exponent);
    let digits = &digits[..n];

    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        write_fixed(digits, exponent, out);
    } else {
        write_scientific(digits, exponent, out);
    }
}

/// Moves the last of `digits` (Rust's shortest, which breaks ties away from zero) down to the
/// even neighbour when `x` is exactly halfway between the two. An odd last digit is the only
/// case: after a tie broken upwards to an even digit Python agrees, and a lower neighbour ending
/// in 0 would have been a shorter form.
fn round_tie_to_even(x: f64, digits: &mut [u8], exponent: i32) {
    let n = digits.len();
    let last = digits[n - 1] - b'0';
    if n < 15 || last % 2 == 0 {
        return;
    }
    let value = digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
    // The midpoint below, one digit longer: x = midpoint × 10^(exponent - n).
    if is_exactly(x, value * 10 - 5, exponent - n as i32) {
        digits[n - 1] -= 1;
    }
}

/// Whether `x` is exactly `odd × 10^scale`, for an odd `odd` below 10^19.
fn is_exactly(x: f64, odd: u64, scale: i32) -> bool {
    const LIMIT: u128 = 1 << 53;
    // A double is an odd integer below 2^53 times a power of two. 5^28 > 10^19, so larger powers
    // of five can neither be divided out of `odd` nor multiplied into it below the limit.
    let k = scale.unsigned_abs();
    if k > 27 {
        return false;
    }
    let five_k = 5u128.pow(k);
    let odd_part = if scale >= 0 {
        u128::from(odd) * five_k
    } else if u128::from(odd) % five_k == 0 {
        u128::from(odd) / five_k
    } else {
        return false;
    };
    // |scale| <= 27 keeps the power of two and the product exact.
    odd_part < LIMIT && (odd_part as f64) * 2f64.powi(scale) == x
}

/// `digits` × 10^(exponent - digits.len() + 1), laid out without an exponent.
fn write_fixed(digits: &[u8], exponent: i32, out: &mut String) {
    // Digits before the decimal point, when there are any.
    let point = exponent + 1;
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        push_ascii(out, digits);
    } else if (point as usize) < digits.len() {
        let (int, frac) = digits.split_at(point as usize);
        push_ascii(out, int);
        out.push('.');
        push_ascii(out, frac);
    } else {
        push_ascii(out, digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
        out.push_str(".0");
    }
}

fn write_scientific(digits: &[u8], exponent: i32, out: &mut String) {
    out.push(char::from(digits[0]));
    if digits.len() > 1 {
        out.push('.');
        push_ascii(out, &digits[1..]);
    }
    out.push('e');
    out.push(if exponent < 0 { '-' } else { '+' });
    // |exponent| <= 324: at most three digits, and Python pads to at least two.
    let magnitude = exponent.unsigned_abs();
    if magnitude >= 100 {
        out.push(char::from(b'0' + (magnitude / 100) as u8));
    }
    out.push(char::from(b'0' + (magnitude / 10 % 10) as u8));
    out.push(char::from(b'0' + (magnitude % 10) as u8));
}

fn push_ascii(out: &mut String, digits: &[u8]) {
    out.extend(digits.iter().map(|&b| char::from(b)));
}

/// A stack buffer for `write!`, so formatting a float allocates nothing. The longest `{:e}` of an
/// f64 is `-2.2250738585072014e-308` (24 bytes).
#[derive(Default)]
struct SmallBuf {
    bytes: [u8; 32],
    len: usize,
}

impl SmallBuf {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl std::fmt::Write for SmallBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repr(x: f64) -> String {
        let mut out = String::new();
        write_repr(x, &mut out);
        out
    }

    /// Every value of the reference corpus' `edge/float_formatting.json`, as Python wrote it.
    #[test]
    fn matches_python_repr_on_the_reference_float_formatting_values() {
        let cases = [
            "0.1",
            "0.9",
            "1e-07",
            "1e-05",
            "0.0001",
            "1e+16",
            "1.5e-323",
            "2.0",
            "0.3333333333333333",
            "123456789.123",
            "-0.0",
            "5e-324",
            "1.7976931348623157e+308",
            "0.10000000149011612",
            "0.8999999761581421",
            "0.0010000000474974513",
            "1.0000000116860974e-07",
            "0.9900000095367432",
        ];
        for text in cases {
            let x: f64 = text.parse().unwrap();
            assert_eq!(repr(x), text, "repr of {text}");
        }
    }

    #[test]
    fn switches_to_scientific_outside_exponents_minus_4_to_15() {
        assert_eq!(repr(1e15), "1000000000000000.0");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(1234567890123456.7), "1234567890123456.8");
        assert_eq!(repr(12345678901234567.0), "1.2345678901234568e+16");
        assert_eq!(repr(0.00012), "0.00012");
        assert_eq!(repr(0.000012), "1.2e-05");
        assert_eq!(repr(1e100), "1e+100");
        assert_eq!(repr(-2.5e-300), "-2.5e-300");
    }

    #[test]
    fn integral_fixed_values_keep_a_dot_zero() {
        assert_eq!(repr(0.0), "0.0");
        assert_eq!(repr(100.0), "100.0");
        assert_eq!(repr(-3.0), "-3.0");
        assert_eq!(repr(140234567890123.0), "140234567890123.0");
    }

    /// Doubles exactly halfway between two shortest forms, as Python 3.11 writes them.
    #[test]
    #[allow(clippy::excessive_precision)] // The literals are the doubles' exact values.
    fn breaks_exact_ties_to_the_even_digit_like_python() {
        assert_eq!(repr(1113178120592002.25), "1113178120592002.2");
        assert_eq!(repr(-2152548015248394.25), "-2152548015248394.2");
        assert_eq!(repr(111659285584252.125), "111659285584252.12");
        assert_eq!(repr(233891771783429.625), "233891771783429.62");
        // Not ties: the nearest shortest form stays.
        assert_eq!(repr(1113178120592002.375), "1113178120592002.4");
        assert_eq!(repr(0.30000000000000004), "0.30000000000000004");
    }

    #[test]
    fn round_trips_through_rust_parsing() {
        let mut x = 1.0e-310_f64;
        while x < 1e300 {
            let text = repr(x);
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
            x *= 1.7320508;
        }
    }
}
