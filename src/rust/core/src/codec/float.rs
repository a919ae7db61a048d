//! Python's `repr(float)` for finite doubles: the shortest digits that round-trip, in fixed
//! notation when the decimal exponent is in [-4, 16) (with `.0` when integral), else in
//! scientific notation with a signed exponent of at least two digits (`1e-07`, `1.5e+300`).
//!
//! The digits are `zmij`'s, chosen as Python's (David Gay's `dtoa`) are: the shortest that
//! round-trip and, of those, the nearest to the double, an exact tie going to the even digit
//! (`1113178120592002.25` is `...002.2`; Rust's own `{:e}` rounds it up). The layout is ours: zmij
//! switches to scientific notation at other exponents (`0.00001`) and does not pad them (`1e-7`),
//! so its text is taken apart into digits and exponent and laid out again by Python's rules. The
//! tests compare the result with Python's `repr` on 32 348 doubles (`testdata/float-repr.txt`).

/// Appends `repr(x)` to `out`. `x` must be finite: JSON's `NaN`/`Infinity` are the printer's job.
pub fn write_repr(x: f64, out: &mut String) {
    debug_assert!(x.is_finite());
    let mut buffer = zmij::Buffer::new();
    let text = buffer.format_finite(x).as_bytes();
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if negative {
        out.push('-');
    }
    let mut digits = [0u8; 24];
    match significant_digits(text, &mut digits) {
        Some((n, exponent)) if (-4..16).contains(&exponent) => write_fixed(&digits[..n], exponent, out),
        Some((n, exponent)) => write_scientific(&digits[..n], exponent, out),
        None => out.push_str("0.0"),
    }
}

/// Takes apart zmij's text of a non-negative number, whichever layout it chose (`123.45`,
/// `0.00012`, `1200.0`, `1.5e-7`, `5e+300`): copies its significant digits (no leading or trailing
/// zero) to `digits` and returns their count and the decimal exponent `e` of `d.ddd × 10^e`, or
/// `None` for zero. zmij's text is at most 24 bytes, its whole buffer.
fn significant_digits(text: &[u8], digits: &mut [u8; 24]) -> Option<(usize, i32)> {
    let e_at = text.iter().position(|&b| b == b'e').unwrap_or(text.len());
    let (mantissa, exponent) = text.split_at(e_at);
    let mut n = 0;
    let mut before_point = None;
    for &b in mantissa {
        if b == b'.' {
            before_point = Some(n);
        } else {
            digits[n] = b;
            n += 1;
        }
    }
    let before_point = before_point.unwrap_or(n) as i32;
    let leading = digits[..n].iter().take_while(|&&d| d == b'0').count();
    if leading == n {
        return None;
    }
    let trailing = digits[..n].iter().rev().take_while(|&&d| d == b'0').count();
    digits.copy_within(leading..n - trailing, 0);
    // `e-7`, `e+300`, or nothing in fixed notation.
    let scale = exponent.get(1..).map_or(0, parse_exponent);
    Some((n - leading - trailing, before_point - leading as i32 - 1 + scale))
}

/// The exponent after zmij's `e`: an optional sign, then digits.
fn parse_exponent(text: &[u8]) -> i32 {
    let (sign, digits) = match text.split_first() {
        Some((b'-', rest)) => (-1, rest),
        Some((b'+', rest)) => (1, rest),
        _ => (1, text),
    };
    sign * digits.iter().fold(0, |acc, &d| acc * 10 + i32::from(d - b'0'))
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

    /// Doubles exactly halfway between two shortest forms, as Python 3.11 writes them: the even
    /// digit wins, whichever way it lies (Rust's `{:e}` rounds the first four away from zero).
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

    /// Values whose digits or layout are easy to get wrong, with Python 3.11's `repr` of each.
    #[test]
    #[allow(clippy::excessive_precision)] // The literals are the doubles' exact values.
    fn matches_python_on_shortest_digit_and_threshold_cases() {
        let cases: [(f64, &str); 18] = [
            (f64::from_bits(1), "5e-324"),
            (-f64::from_bits(1), "-5e-324"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (f64::from_bits(0x000f_ffff_ffff_ffff), "2.225073858507201e-308"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "1e+16"),
            (1e16 - 2.0, "9999999999999998.0"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.0001f64.next_down(), "9.999999999999999e-05"),
            (9007199254740993u64 as f64, "9007199254740992.0"),
            (2f64.powi(63), "9.223372036854776e+18"),
            (1e23, "1e+23"),
            (f64::from(f32::MAX), "3.4028234663852886e+38"),
            // Exactly ...0625, but ...062 would read back as the double below (a power of two's
            // lower neighbour is nearer): the hand-made tie fix zmij replaced got this wrong.
            (2f64.powi(-24), "5.960464477539063e-08"),
            // Exactly ...091.625: one digit fewer than a tie would need.
            (544431068535091.625, "544431068535091.6"),
        ];
        for (x, text) in cases {
            assert_eq!(repr(x), text, "{:#018x}", x.to_bits());
        }
    }

    /// Keras stores float32 hyperparameters; widened to double they need all 17 digits.
    #[test]
    fn writes_widened_float32_values_as_python_does() {
        let cases: [(f32, &str); 5] = [
            (0.001, "0.0010000000474974513"),
            (0.1, "0.10000000149011612"),
            (1e-7, "1.0000000116860974e-07"),
            (f32::from_bits(1), "1.401298464324817e-45"),
            (f32::MIN_POSITIVE, "1.1754943508222875e-38"),
        ];
        for (x, text) in cases {
            assert_eq!(repr(f64::from(x)), text);
        }
    }

    /// `testdata/float-repr.txt`: Python's `repr` of 32 348 doubles (random bit patterns, powers of two, values
    /// around the notation thresholds, widened float32s, 2 093 exact ties, short decimals), from
    /// `tools/gen-float-repr-fixture.py`. Each line reads back to its double, which must print the same.
    #[test]
    fn matches_python_repr_on_the_fixture_of_random_and_tie_doubles() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/float-repr.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut checked = 0;
        let mut wrong = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let x: f64 = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
            let ours = repr(x);
            if ours != line {
                wrong.push(format!("{line} (ours {ours})"));
            }
            checked += 1;
        }
        assert!(
            wrong.is_empty(),
            "{} of {checked} differ from Python, e.g. {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(10)]
        );
        assert_eq!(checked, 32348, "the fixture lost lines");
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
