//! `.npy` arrays (numpy's format, versions 1-3): the magic, a header that is a Python dict
//! literal (`{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`), then the data. The
//! data must be exactly what the header declares; object arrays (`|O`) hold a pickle instead.

use crate::hdf5::tree::{Dtype, Values};
use crate::hdf5::Error;

/// Headers longer than this are refused (numpy writes a few hundred bytes).
const MAX_HEADER: usize = 1 << 16;
const MAX_RANK: usize = 32;

#[derive(Debug)]
pub enum Content<'a> {
    /// Numbers or booleans: checked against the header, not decoded, as npz weights never hold one.
    Numeric,
    /// The pickle an object array is stored as.
    Object(&'a [u8]),
}

#[derive(Debug)]
pub struct Npy<'a> {
    pub shape: Vec<u64>,
    pub content: Content<'a>,
}

/// The element type a numpy type string names (`<f4`, `|b1`, `f8`...): its dtype, size, and
/// whether it is big-endian. `None` for types weights never have (strings, structures, ...).
pub fn numeric_type(descr: &str) -> Option<(Dtype, usize, bool)> {
    let (big, code) = match descr.as_bytes().first()? {
        b'<' | b'|' | b'=' => (false, &descr[1..]),
        b'>' => (true, &descr[1..]),
        _ => (false, descr),
    };
    let dtype = match code {
        "f2" => Dtype::Float { size: 2 },
        "f4" => Dtype::Float { size: 4 },
        "f8" => Dtype::Float { size: 8 },
        "i1" => Dtype::Int { size: 1, signed: true },
        "i2" => Dtype::Int { size: 2, signed: true },
        "i4" => Dtype::Int { size: 4, signed: true },
        "i8" => Dtype::Int { size: 8, signed: true },
        "u1" => Dtype::Int { size: 1, signed: false },
        "u2" => Dtype::Int { size: 2, signed: false },
        "u4" => Dtype::Int { size: 4, signed: false },
        "u8" => Dtype::Int { size: 8, signed: false },
        "b1" => Dtype::Bool,
        _ => return None,
    };
    let size = match dtype {
        Dtype::Float { size } | Dtype::Int { size, .. } => size as usize,
        _ => 1,
    };
    Some((dtype, size, big))
}

/// Whether `data` is exactly `count` elements of `size` bytes.
fn check_stored(data: &[u8], size: usize, count: u64) -> Result<(), Error> {
    let want = count.checked_mul(size as u64).ok_or_else(|| Error::limit("an array larger than memory can address"))?;
    if want != data.len() as u64 {
        return Err(Error::corrupt(format!("the array declares {want} bytes of data but {} are stored", data.len())));
    }
    Ok(())
}

/// The elements of `data` (exactly `count` of them, row-major) as values of `dtype`.
pub fn decode(data: &[u8], dtype: Dtype, size: usize, big: bool, count: u64) -> Result<Values, Error> {
    check_stored(data, size, count)?;
    let word = |chunk: &[u8]| -> u64 {
        let mut b = [0u8; 8];
        if big {
            b[8 - chunk.len()..].copy_from_slice(chunk);
            u64::from_be_bytes(b)
        } else {
            b[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(b)
        }
    };
    let chunks = data.chunks_exact(size);
    Ok(match dtype {
        Dtype::Float { size: 2 } => Values::Float(chunks.map(|c| half_to_f64(word(c) as u16)).collect()),
        Dtype::Float { size: 4 } => Values::Float(chunks.map(|c| f32::from_bits(word(c) as u32) as f64).collect()),
        Dtype::Float { .. } => Values::Float(chunks.map(|c| f64::from_bits(word(c))).collect()),
        Dtype::Int { signed: true, .. } => {
            let shift = 64 - 8 * size as u32;
            Values::Int(chunks.map(|c| ((word(c) << shift) as i64) >> shift).collect())
        }
        Dtype::Int { .. } => Values::Int(chunks.map(|c| word(c) as i64).collect()),
        Dtype::Bool => Values::Bool(data.iter().map(|&b| b != 0).collect()),
        _ => return Err(Error::unsupported("arrays of this type")),
    })
}

fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let frac = (h & 0x3ff) as f64;
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// The number of elements of `shape`, or an error when it overflows.
pub fn element_count(shape: &[u64]) -> Result<u64, Error> {
    shape
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .ok_or_else(|| Error::limit("an array whose declared shape has more elements than memory can address"))
}

/// Parses one `.npy` file.
pub fn parse(bytes: &[u8]) -> Result<Npy<'_>, Error> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(Error::corrupt("not an .npy array (no \\x93NUMPY magic)"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            let b = bytes.get(8..12).ok_or_else(|| Error::corrupt("a truncated .npy header"))?;
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        v => return Err(Error::unsupported(format!(".npy format version {v}"))),
    };
    if len > MAX_HEADER {
        return Err(Error::limit(format!("an .npy header of {len} bytes (at most {MAX_HEADER})")));
    }
    let header = bytes.get(start..start + len).ok_or_else(|| Error::corrupt("a truncated .npy header"))?;
    let header = std::str::from_utf8(header).map_err(|_| Error::corrupt("an .npy header that is not text"))?;
    let h = Header::parse(header)?;
    let data = &bytes[start + len..];
    if h.descr == "|O" || h.descr == "O" {
        return Ok(Npy { shape: h.shape, content: Content::Object(data) });
    }
    let (_, size, _) =
        numeric_type(&h.descr).ok_or_else(|| Error::unsupported(format!("arrays of numpy type '{}'", h.descr)))?;
    if h.fortran_order && h.shape.len() > 1 {
        return Err(Error::unsupported("arrays in Fortran order"));
    }
    check_stored(data, size, element_count(&h.shape)?)?;
    Ok(Npy { shape: h.shape, content: Content::Numeric })
}

struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

impl Header {
    /// The dict literal numpy writes: string keys; a string, a boolean or a tuple of integers.
    fn parse(text: &str) -> Result<Header, Error> {
        let bad = || Error::corrupt("an .npy header that is not the dict numpy writes");
        let mut p = Lexer { s: text.as_bytes(), i: 0 };
        p.expect(b'{').ok_or_else(bad)?;
        let (mut descr, mut fortran, mut shape) = (None, None, None);
        loop {
            p.space();
            if p.eat(b'}') {
                break;
            }
            let key = p.string().ok_or_else(bad)?;
            p.expect(b':').ok_or_else(bad)?;
            p.space();
            match key.as_str() {
                "descr" => {
                    descr = Some(p.string().ok_or_else(|| Error::unsupported("an .npy array of structured type"))?)
                }
                "fortran_order" => fortran = Some(p.boolean().ok_or_else(bad)?),
                "shape" => shape = Some(p.tuple()?),
                _ => return Err(bad()),
            }
            p.space();
            if !p.eat(b',') {
                p.expect(b'}').ok_or_else(bad)?;
                break;
            }
        }
        if !p.s[p.i..].iter().all(|c| c.is_ascii_whitespace()) {
            return Err(bad());
        }
        match (descr, fortran, shape) {
            (Some(descr), Some(fortran_order), Some(shape)) => Ok(Header { descr, fortran_order, shape }),
            _ => Err(bad()),
        }
    }
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn space(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        self.space();
        self.eat(c).then_some(())
    }
    fn string(&mut self) -> Option<String> {
        self.space();
        let q = *self.s.get(self.i)?;
        if q != b'\'' && q != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = start + self.s[start..].iter().position(|&c| c == q)?;
        let out = std::str::from_utf8(&self.s[start..end]).ok()?;
        if out.contains('\\') {
            return None;
        }
        self.i = end + 1;
        Some(out.to_owned())
    }
    fn boolean(&mut self) -> Option<bool> {
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Some(v);
            }
        }
        None
    }
    fn tuple(&mut self) -> Result<Vec<u64>, Error> {
        let bad = || Error::corrupt("an .npy header whose shape is not a tuple of integers");
        self.expect(b'(').ok_or_else(bad)?;
        let mut out = Vec::new();
        loop {
            self.space();
            if self.eat(b')') {
                return Ok(out);
            }
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            let digits = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| bad())?;
            let d: u64 = digits.parse().map_err(|_| bad())?;
            out.push(d);
            if out.len() > MAX_RANK {
                return Err(Error::limit(format!("an array of more than {MAX_RANK} dimensions")));
            }
            self.space();
            if !self.eat(b',') {
                self.expect(b')').ok_or_else(bad)?;
                return Ok(out);
            }
        }
    }
}
