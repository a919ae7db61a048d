//! Writes a tree of groups, datasets and attributes as an HDF5 file that HDF5 1.8+ (h5py, Keras)
//! reads: superblock version 0 and version 1 object headers (no checksums), groups with compact
//! link messages, contiguous datasets, and strings as variable-length UTF-8 in a global heap,
//! as h5py stores Python `str` values.

use super::error::{Error, Result};
use super::tree::{Array, Dtype, Group, Node, Values};

const UNDEF: u64 = u64::MAX;
const SUPERBLOCK: usize = 96;
const HEAP_MIN: usize = 4096;
const HEAP_OBJECTS: usize = 60_000;

/// The bytes of an HDF5 file holding `root` (for the tests and the fuzz target; R's files are
/// written with [`write_with`] or [`write_pieces`]).
#[cfg(any(test, fuzzing))]
pub fn write(root: &Group) -> Result<Vec<u8>> {
    write_with(root, &mut |_, _| false)
}

/// Encodes the values of an `External` array (its `source`) as little-endian float32 into the
/// bytes given, which have room for exactly its values; `false` when it cannot.
pub type Fill<'f> = dyn FnMut(usize, &mut [u8]) -> bool + 'f;

/// [`write`], `fill` encoding the `External` arrays.
pub fn write_with(root: &Group, fill: &mut Fill) -> Result<Vec<u8>> {
    let pieces = write_pieces(root, fill)?;
    let mut out = Vec::with_capacity(pieces.iter().map(Piece::len).sum());
    for piece in &pieces {
        match piece {
            Piece::Bytes(b) => out.extend_from_slice(b),
            &Piece::External { source, len } => {
                let start = out.len();
                out.resize(start + len * 4, 0);
                if !fill(source, &mut out[start..]) {
                    return Err(Error::corrupt(format!("the values of array {source} could not be encoded")));
                }
            }
        }
    }
    Ok(out)
}

/// A stretch of a written file: bytes, or the `len` float32 values of an `External` dataset,
/// which the caller encodes where they go (a file, an archive) without a copy in between.
#[derive(Debug)]
pub enum Piece {
    Bytes(Vec<u8>),
    External { source: usize, len: usize },
}

impl Piece {
    /// Its size in the file.
    pub fn len(&self) -> usize {
        match self {
            Piece::Bytes(b) => b.len(),
            Piece::External { len, .. } => len * 4,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The file holding `root` as pieces, in order: the data of `External` datasets left to the
/// caller (`fill` encodes only `External` attributes, which live inside object headers).
pub fn write_pieces(root: &Group, fill: &mut Fill) -> Result<Vec<Piece>> {
    let mut buf = Vec::with_capacity(SUPERBLOCK + estimate(root));
    buf.resize(SUPERBLOCK, 0);
    let mut w = Writer { buf, base: 0, pieces: Vec::new(), heap: Vec::new(), strings: Vec::new(), fill };
    w.collect_group(root)?;
    w.write_heaps();
    let root_addr = w.group(root)?;
    let eof = w.pos() as u64;
    let mut sb = Vec::with_capacity(SUPERBLOCK);
    sb.extend_from_slice(b"\x89HDF\r\n\x1a\n");
    sb.extend_from_slice(&[0, 0, 0, 0, 0, 8, 8, 0]);
    sb.extend_from_slice(&4u16.to_le_bytes()); // group leaf node K
    sb.extend_from_slice(&16u16.to_le_bytes()); // group internal node K
    sb.extend_from_slice(&0u32.to_le_bytes());
    for a in [0, UNDEF, eof, UNDEF] {
        sb.extend_from_slice(&a.to_le_bytes());
    }
    // Root group symbol table entry: name offset, header address, cache type 0, scratch.
    sb.extend_from_slice(&0u64.to_le_bytes());
    sb.extend_from_slice(&root_addr.to_le_bytes());
    sb.extend_from_slice(&[0; 24]);
    let mut pieces = w.pieces;
    pieces.push(Piece::Bytes(w.buf));
    // The first piece holds the superblock: data never comes before it.
    if let Some(Piece::Bytes(first)) = pieces.first_mut() {
        first[..SUPERBLOCK].copy_from_slice(&sb);
    }
    Ok(pieces)
}

/// About the bytes `g` takes: its arrays' data and a little for each header (the buffer then
/// grows rarely, if at all, instead of being copied as it doubles).
fn estimate(g: &Group) -> usize {
    // External values go to the caller, not into the buffer.
    let array = |a: &Array| {
        if matches!(a.values, Values::External { .. }) {
            64
        } else {
            a.values.len().saturating_mul(8) + 64
        }
    };
    let attrs = |attrs: &[(String, Array)]| attrs.iter().map(|(n, a)| n.len() + array(a)).sum::<usize>();
    let mut total = 256 + attrs(&g.attrs);
    for (name, m) in &g.members {
        total += name.len()
            + 32
            + match m {
                Node::Group(c) => estimate(c),
                Node::Dataset(d) => 256 + attrs(&d.attrs) + array(&d.data),
            };
    }
    total
}

struct Writer<'f, 'g> {
    /// The bytes since the last `External` piece, which starts at `base` in the file.
    buf: Vec<u8>,
    base: usize,
    pieces: Vec<Piece>,
    fill: &'g mut Fill<'f>,
    /// (collection address, index) of each string, in collection order.
    heap: Vec<(u64, u32)>,
    strings: Vec<String>,
}

fn pad8(v: &mut Vec<u8>) {
    while v.len() % 8 != 0 {
        v.push(0);
    }
}

impl Writer<'_, '_> {
    /// Where the next byte goes in the file.
    fn pos(&self) -> usize {
        self.base + self.buf.len()
    }

    /// Zeros up to the next multiple of 8 in the file.
    fn align8(&mut self) {
        while self.pos() % 8 != 0 {
            self.buf.push(0);
        }
    }

    /// First pass: every string value, in the order the second pass meets them.
    fn collect_group(&mut self, g: &Group) -> Result<()> {
        self.collect_attrs(&g.attrs);
        for (_, m) in &g.members {
            match m {
                Node::Group(c) => self.collect_group(c)?,
                Node::Dataset(d) => {
                    self.collect_attrs(&d.attrs);
                    self.collect_array(&d.data);
                }
            }
        }
        Ok(())
    }

    fn collect_attrs(&mut self, attrs: &[(String, Array)]) {
        for (_, a) in attrs {
            self.collect_array(a);
        }
    }

    fn collect_array(&mut self, a: &Array) {
        if let Values::Str(v) = &a.values {
            self.strings.extend(v.iter().cloned());
        }
    }

    fn write_heaps(&mut self) {
        let strings = std::mem::take(&mut self.strings);
        for batch in strings.chunks(HEAP_OBJECTS) {
            let addr = self.pos() as u64;
            let mut c = Vec::new();
            c.extend_from_slice(b"GCOL");
            c.extend_from_slice(&[1, 0, 0, 0]);
            c.extend_from_slice(&0u64.to_le_bytes()); // size, set below
            for (i, s) in batch.iter().enumerate() {
                let index = i as u32 + 1;
                c.extend_from_slice(&(index as u16).to_le_bytes());
                c.extend_from_slice(&1u16.to_le_bytes());
                c.extend_from_slice(&[0; 4]);
                c.extend_from_slice(&(s.len() as u64).to_le_bytes());
                c.extend_from_slice(s.as_bytes());
                pad8(&mut c);
                self.heap.push((addr, index));
            }
            // Free space (object 0) fills the collection to HDF5's minimum size.
            let total = (c.len() + 16).max(HEAP_MIN);
            let free = total - c.len();
            c.extend_from_slice(&0u16.to_le_bytes());
            c.extend_from_slice(&[0; 6]);
            c.extend_from_slice(&(free as u64).to_le_bytes());
            c.resize(total, 0);
            c[8..16].copy_from_slice(&(total as u64).to_le_bytes());
            self.buf.extend_from_slice(&c);
        }
        self.heap.reverse(); // popped in order
    }

    fn next_string(&mut self) -> (u64, u32) {
        self.heap.pop().unwrap_or((0, 0))
    }

    /// Writes a group's members, then its header; returns the header's address.
    fn group(&mut self, g: &Group) -> Result<u64> {
        let attrs = self.attr_messages(&g.attrs)?;
        let mut links = Vec::with_capacity(g.members.len());
        for (name, m) in &g.members {
            let addr = match m {
                Node::Group(c) => self.group(c)?,
                Node::Dataset(d) => {
                    let attrs = self.attr_messages(&d.attrs)?;
                    self.dataset(&d.data, attrs)?
                }
            };
            links.push((name.as_str(), addr));
        }
        links.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut messages: Vec<(u16, Vec<u8>)> = Vec::new();
        let mut linfo = vec![0u8, 0];
        linfo.extend_from_slice(&UNDEF.to_le_bytes());
        linfo.extend_from_slice(&UNDEF.to_le_bytes());
        messages.push((2, linfo));
        messages.push((10, vec![0, 0]));
        for (name, addr) in links {
            if name.is_empty() || name.contains('/') || name == "." {
                return Err(Error::corrupt(format!("'{}' cannot name an HDF5 member", super::error::shown(name))));
            }
            let long = name.len() > 255;
            let mut m = vec![1u8, 0x10 | u8::from(long), 1];
            if long {
                let n = u16::try_from(name.len()).map_err(|_| Error::limit("a member name longer than 65535 bytes"))?;
                m.extend_from_slice(&n.to_le_bytes());
            } else {
                m.push(name.len() as u8);
            }
            m.extend_from_slice(name.as_bytes());
            m.extend_from_slice(&addr.to_le_bytes());
            messages.push((6, m));
        }
        messages.extend(attrs);
        self.header(messages)
    }

    fn dataset(&mut self, a: &Array, attrs: Vec<(u16, Vec<u8>)>) -> Result<u64> {
        // Encoded straight into the file: weights are most of it.
        let start = self.pos();
        if let (&Values::External { source, len }, Dtype::Float { size: 4 }) = (&a.values, a.dtype) {
            // Left to the caller: a piece of its own.
            if a.shape.iter().try_fold(1u64, |p, &d| p.checked_mul(d)) != Some(len as u64) {
                return Err(Error::corrupt(format!("{len} values for shape {:?}", a.shape)));
            }
            let done = std::mem::take(&mut self.buf);
            self.base += done.len() + len * 4;
            self.pieces.push(Piece::Bytes(done));
            self.pieces.push(Piece::External { source, len });
        } else {
            // Encoded straight into the file.
            let mut buf = std::mem::take(&mut self.buf);
            let encoded = self.encode_into(a, &mut buf);
            self.buf = buf;
            encoded?;
        }
        let len = self.pos() - start;
        let addr = if len == 0 { UNDEF } else { start as u64 };
        let mut messages = vec![(1u16, dataspace(&a.shape)), (3, datatype(a.dtype)?)];
        messages.push((5, vec![2, 2, 2, 0])); // fill value: late allocation, none defined
        let mut layout = vec![3u8, 1];
        layout.extend_from_slice(&addr.to_le_bytes());
        layout.extend_from_slice(&(len as u64).to_le_bytes());
        messages.push((8, layout));
        messages.extend(attrs);
        self.header(messages)
    }

    fn attr_messages(&mut self, attrs: &[(String, Array)]) -> Result<Vec<(u16, Vec<u8>)>> {
        let mut out = Vec::with_capacity(attrs.len());
        for (name, a) in attrs {
            let ty = datatype(a.dtype)?;
            let space = dataspace(&a.shape);
            let data = self.encode(a)?;
            let mut m = vec![1u8, 0];
            let name_len = u16::try_from(name.len() + 1).map_err(|_| Error::limit("an attribute name too long"))?;
            m.extend_from_slice(&name_len.to_le_bytes());
            m.extend_from_slice(&(ty.len() as u16).to_le_bytes());
            m.extend_from_slice(&(space.len() as u16).to_le_bytes());
            m.extend_from_slice(name.as_bytes());
            m.push(0);
            pad8(&mut m);
            m.extend_from_slice(&ty);
            pad8(&mut m);
            m.extend_from_slice(&space);
            pad8(&mut m);
            m.extend_from_slice(&data);
            if m.len() > 65_000 {
                return Err(Error::limit(format!(
                    "attribute '{}' is too large for an object header",
                    super::error::shown(name)
                )));
            }
            out.push((12, m));
        }
        Ok(out)
    }

    fn encode(&mut self, a: &Array) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.encode_into(a, &mut out)?;
        Ok(out)
    }

    /// Appends the stored bytes of `a` to `out`.
    fn encode_into(&mut self, a: &Array, out: &mut Vec<u8>) -> Result<()> {
        let n = a.shape.iter().try_fold(1u64, |p, &d| p.checked_mul(d));
        if n != Some(a.values.len() as u64) {
            return Err(Error::corrupt(format!("{} values for shape {:?}", a.values.len(), a.shape)));
        }
        /// Each value's `W` bytes, in a tight loop over the room made for them.
        fn put<T, const W: usize>(out: &mut Vec<u8>, v: &[T], f: impl Fn(&T) -> [u8; W]) {
            let start = out.len();
            out.resize(start + v.len() * W, 0);
            for (o, x) in out[start..].chunks_exact_mut(W).zip(v) {
                o.copy_from_slice(&f(x));
            }
        }
        match (&a.values, a.dtype) {
            (Values::F32(v), Dtype::Float { size: 4 }) => put(out, v, |x| x.to_le_bytes()),
            (Values::F32(v), Dtype::Float { size: 8 }) => put(out, v, |x| f64::from(*x).to_le_bytes()),
            (Values::F32(v), Dtype::Float { size: 2 }) => put(out, v, |x| f64_to_half(f64::from(*x)).to_le_bytes()),
            (Values::F32(v), Dtype::Bfloat16) => put(out, v, |x| ((x.to_bits() >> 16) as u16).to_le_bytes()),
            (Values::External { source, len }, Dtype::Float { size: 4 }) => {
                let start = out.len();
                out.resize(start + len * 4, 0);
                if !(self.fill)(*source, &mut out[start..]) {
                    return Err(Error::corrupt(format!("the values of array {source} could not be encoded")));
                }
            }
            (Values::Float(v), Dtype::Float { size: 4 }) => put(out, v, |x| (*x as f32).to_le_bytes()),
            (Values::Float(v), Dtype::Float { size: 8 }) => put(out, v, |x| x.to_le_bytes()),
            (Values::Float(v), Dtype::Float { size: 2 }) => put(out, v, |x| f64_to_half(*x).to_le_bytes()),
            (Values::Float(v), Dtype::Bfloat16) => {
                put(out, v, |x| (((*x as f32).to_bits() >> 16) as u16).to_le_bytes())
            }
            (Values::Int(v), Dtype::Int { size: 1, .. }) => put(out, v, |x| (*x as u8).to_le_bytes()),
            (Values::Int(v), Dtype::Int { size: 2, .. }) => put(out, v, |x| (*x as u16).to_le_bytes()),
            (Values::Int(v), Dtype::Int { size: 4, .. }) => put(out, v, |x| (*x as u32).to_le_bytes()),
            (Values::Int(v), Dtype::Int { size: 8, .. }) => put(out, v, |x| x.to_le_bytes()),
            (Values::Int(v), Dtype::Int { size, .. }) => {
                v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()[..(size as usize).min(8)]))
            }
            (Values::Bool(v), Dtype::Bool) => put(out, v, |x| [u8::from(*x)]),
            (Values::Str(v), Dtype::Str) => {
                for s in v {
                    let (coll, index) = self.next_string();
                    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    out.extend_from_slice(&coll.to_le_bytes());
                    out.extend_from_slice(&index.to_le_bytes());
                }
            }
            _ => return Err(Error::unsupported(format!("values that do not match dtype {}", a.dtype.name()))),
        }
        Ok(())
    }

    fn header(&mut self, messages: Vec<(u16, Vec<u8>)>) -> Result<u64> {
        let mut body = Vec::new();
        for (ty, mut data) in messages {
            pad8(&mut data);
            let len = u16::try_from(data.len()).map_err(|_| Error::limit("an object header message too large"))?;
            body.extend_from_slice(&ty.to_le_bytes());
            body.extend_from_slice(&len.to_le_bytes());
            body.extend_from_slice(&[0; 4]);
            body.extend_from_slice(&data);
        }
        let nmsgs = {
            let mut n = 0u16;
            let mut i = 0;
            while i + 8 <= body.len() {
                let len = u16::from_le_bytes([body[i + 2], body[i + 3]]) as usize;
                i += 8 + len;
                n += 1;
            }
            n
        };
        self.align8();
        let addr = self.pos() as u64;
        self.buf.push(1);
        self.buf.push(0);
        self.buf.extend_from_slice(&nmsgs.to_le_bytes());
        self.buf.extend_from_slice(&1u32.to_le_bytes());
        self.buf.extend_from_slice(&(body.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(&body);
        Ok(addr)
    }
}

fn dataspace(shape: &[u64]) -> Vec<u8> {
    let mut m = vec![1u8, shape.len() as u8, 0, 0, 0, 0, 0, 0];
    for d in shape {
        m.extend_from_slice(&d.to_le_bytes());
    }
    m
}

fn datatype(dtype: Dtype) -> Result<Vec<u8>> {
    let float = |size: u32, sign: u8, exp_loc: u8, exp_size: u8, mant: u8, bias: u32| {
        let mut m = vec![0x11u8, 0x20, sign, 0];
        m.extend_from_slice(&size.to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&((size * 8) as u16).to_le_bytes());
        m.extend_from_slice(&[exp_loc, exp_size, 0, mant]);
        m.extend_from_slice(&bias.to_le_bytes());
        m
    };
    let int = |size: u8, signed: bool| {
        let mut m = vec![0x10u8, if signed { 0x08 } else { 0 }, 0, 0];
        m.extend_from_slice(&(size as u32).to_le_bytes());
        m.extend_from_slice(&0u16.to_le_bytes());
        m.extend_from_slice(&((size as u16) * 8).to_le_bytes());
        m
    };
    Ok(match dtype {
        Dtype::Float { size: 2 } => float(2, 15, 10, 5, 10, 15),
        Dtype::Float { size: 4 } => float(4, 31, 23, 8, 23, 127),
        Dtype::Float { size: 8 } => float(8, 63, 52, 11, 52, 1023),
        Dtype::Float { size } => return Err(Error::unsupported(format!("{size}-byte floats"))),
        Dtype::Bfloat16 => float(2, 15, 7, 8, 7, 127),
        Dtype::Int { size, signed } => int(size, signed),
        Dtype::Bool => {
            // h5py's booleans: an enumeration over int8, FALSE = 0 and TRUE = 1.
            let mut m = vec![0x18u8, 2, 0, 0];
            m.extend_from_slice(&1u32.to_le_bytes());
            m.extend_from_slice(&int(1, true));
            for name in ["FALSE", "TRUE"] {
                let mut n = name.as_bytes().to_vec();
                n.push(0);
                pad8(&mut n);
                m.extend_from_slice(&n);
            }
            m.extend_from_slice(&[0, 1]);
            m
        }
        Dtype::Str => {
            // Variable-length string, null-terminated, UTF-8; base type an unsigned byte.
            let mut m = vec![0x19u8, 0x01, 0x01, 0];
            m.extend_from_slice(&16u32.to_le_bytes());
            m.extend_from_slice(&int(1, false));
            m
        }
    })
}

fn f64_to_half(x: f64) -> u16 {
    let f = x as f32;
    let bits = f.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    if f.is_nan() {
        return sign | 0x7e00;
    }
    let a = f.abs();
    if a >= 65520.0 {
        return sign | 0x7c00;
    }
    if a < 6.103_515_6e-5 {
        // Subnormal: round to nearest multiple of 2^-24.
        return sign | (a * 16_777_216.0).round_ties_even() as u16;
    }
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let mant = bits & 0x7f_ffff;
    let mut h = ((exp as u32) << 10) | (mant >> 13);
    let rest = mant & 0x1fff;
    if rest > 0x1000 || (rest == 0x1000 && h & 1 == 1) {
        h += 1;
    }
    sign | h as u16
}
