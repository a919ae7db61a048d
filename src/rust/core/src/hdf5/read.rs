//! A strict reader for the part of HDF5 that h5py writes for Keras: superblocks v0–v3, object
//! headers v1 and v2, old-style (symbol table) and compact new-style groups, attributes,
//! contiguous, compact and chunked (B-tree v1) datasets, deflate/shuffle/fletcher32 filters,
//! integer, float, boolean (enum) and string (fixed and variable-length) types.
//!
//! The input is untrusted: every address and size is checked against the file, recursion is
//! bounded, a group that contains itself is refused, and no array is allocated beyond a byte
//! budget (contiguous data must lie in the file; filtered chunks may not inflate past their declared
//! size). Nothing here panics.

use std::collections::HashMap;

use super::error::{Error, Result};
use super::tree::{Array, Dataset, Dtype, Group, Node, Values};

const UNDEF: u64 = u64::MAX;
const MAX_DEPTH: usize = 64;
const MAX_TYPE_DEPTH: usize = 8;
const MAX_OBJECTS: usize = 1_000_000;
const MAX_MESSAGES: usize = 100_000;
const MAX_RANK: usize = 32;

/// What a read may use.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most bytes all arrays together may occupy once decoded.
    pub max_bytes: u64,
    /// Contiguous little-endian float32 datasets as `Values::Stored` (where they lie in the
    /// file, checked) rather than decoded: the caller converts them from the file's bytes.
    pub stored: bool,
}

impl Limits {
    /// Decoded arrays may take at most what the file could hold inflated (deflate's 1032:1 ratio),
    /// and never more than `cap`.
    pub fn for_file(len: usize, cap: u64) -> Limits {
        Limits { max_bytes: (len as u64).saturating_mul(1032).min(cap), stored: false }
    }
}

/// Reads a whole file into its root group.
pub fn read(data: &[u8], limits: Limits) -> Result<Group> {
    let mut r = Reader {
        data,
        offset_size: 8,
        length_size: 8,
        base: 0,
        budget: limits.max_bytes,
        stored: limits.stored,
        objects: 0,
        stack: Vec::new(),
        heaps: HashMap::new(),
    };
    let root = r.superblock()?;
    r.group_at(root, "/", 0)
}

struct Reader<'a> {
    data: &'a [u8],
    offset_size: u8,
    length_size: u8,
    base: u64,
    budget: u64,
    stored: bool,
    objects: usize,
    /// Object header addresses of the groups being read, to refuse cycles.
    stack: Vec<u64>,
    /// Global heap collections already parsed: address → (index → (start, size)).
    heaps: HashMap<u64, HashMap<u16, (usize, usize)>>,
}

/// A cursor over a slice of the file.
#[derive(Clone, Copy)]
struct Cur<'a> {
    data: &'a [u8],
    pos: usize,
}

fn truncated() -> Error {
    Error::corrupt("the file is truncated or an object runs past its end")
}

impl<'a> Cur<'a> {
    fn new(data: &'a [u8]) -> Self {
        Cur { data, pos: 0 }
    }
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let s = self.data.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(s)
    }
    fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(self.uint(2)? as u16)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(self.uint(4)? as u32)
    }
    fn uint(&mut self, n: usize) -> Result<u64> {
        let b = self.bytes(n)?;
        if n > 8 {
            return Err(Error::unsupported(format!("{n}-byte integers in the file structure")));
        }
        Ok(b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64))
    }
    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }
}

/// What an object header says.
#[derive(Default)]
struct Header<'a> {
    messages: Vec<(u16, &'a [u8])>,
}

impl Header<'_> {
    fn find(&self, ty: u16) -> Option<&[u8]> {
        self.messages.iter().find(|(t, _)| *t == ty).map(|(_, m)| *m)
    }
}

/// A parsed datatype: what it decodes to and how.
#[derive(Clone, Debug)]
enum Type {
    Int { size: usize, signed: bool, big: bool },
    Float { size: usize, big: bool, bf16: bool },
    Bool { size: usize, big: bool },
    FixedStr { size: usize },
    VlenStr,
}

impl Type {
    fn size(&self, offset_size: u8) -> usize {
        match self {
            Type::Int { size, .. } | Type::Float { size, .. } | Type::Bool { size, .. } => *size,
            Type::FixedStr { size } => *size,
            Type::VlenStr => 4 + offset_size as usize + 4,
        }
    }
    fn dtype(&self) -> Dtype {
        match self {
            Type::Int { size, signed, .. } => Dtype::Int { size: *size as u8, signed: *signed },
            Type::Float { bf16: true, .. } => Dtype::Bfloat16,
            Type::Float { size, .. } => Dtype::Float { size: *size as u8 },
            Type::Bool { .. } => Dtype::Bool,
            Type::FixedStr { .. } | Type::VlenStr => Dtype::Str,
        }
    }
}

enum Layout<'a> {
    Compact(&'a [u8]),
    Contiguous { addr: u64, size: u64 },
    Chunked { btree: u64, dims: Vec<u64> },
}

struct Filter {
    id: u16,
    optional: bool,
}

impl<'a> Reader<'a> {
    fn at(&self, addr: u64) -> Result<Cur<'a>> {
        let abs = addr.checked_add(self.base).ok_or_else(truncated)?;
        if abs >= self.data.len() as u64 {
            return Err(Error::corrupt(format!(
                "address {addr} is beyond the end of the file ({} bytes)",
                self.data.len()
            )));
        }
        Ok(Cur { data: self.data, pos: abs as usize })
    }

    fn slice(&self, addr: u64, size: u64) -> Result<&'a [u8]> {
        let start = addr.checked_add(self.base).ok_or_else(truncated)?;
        let end = start.checked_add(size).ok_or_else(truncated)?;
        if end > self.data.len() as u64 {
            return Err(Error::corrupt(format!(
                "{size} bytes declared at address {addr}, beyond the end of the file ({} bytes)",
                self.data.len()
            )));
        }
        Ok(&self.data[start as usize..end as usize])
    }

    fn addr(&self, c: &mut Cur) -> Result<u64> {
        let v = c.uint(self.offset_size as usize)?;
        Ok(if self.offset_size < 8 && v == (1u64 << (8 * self.offset_size as u32)) - 1 { UNDEF } else { v })
    }

    fn length(&self, c: &mut Cur) -> Result<u64> {
        c.uint(self.length_size as usize)
    }

    fn spend(&mut self, bytes: u64) -> Result<()> {
        if bytes > self.budget {
            return Err(Error::limit(format!(
                "the file declares more data ({bytes} bytes) than it may hold (limit {} bytes left)",
                self.budget
            )));
        }
        self.budget -= bytes;
        Ok(())
    }

    /// Finds the superblock (at 0, 512, 1024, …) and returns the root object header address.
    fn superblock(&mut self) -> Result<u64> {
        const SIG: &[u8] = b"\x89HDF\r\n\x1a\n";
        let mut at = 0usize;
        loop {
            if at + 8 > self.data.len() {
                return Err(Error::corrupt("not an HDF5 file (no signature)"));
            }
            if &self.data[at..at + 8] == SIG {
                break;
            }
            at = if at == 0 { 512 } else { at * 2 };
        }
        let mut c = Cur { data: self.data, pos: at + 8 };
        let version = c.u8()?;
        match version {
            0 | 1 => {
                c.skip(4)?; // free-space, root symtab, reserved, shared header versions
                self.sizes(c.u8()?, c.u8()?)?;
                c.skip(1)?;
                c.skip(4)?; // group leaf and internal K
                c.skip(4)?; // consistency flags
                if version == 1 {
                    c.skip(4)?;
                }
                self.base = self.addr(&mut c)?;
                if self.base == UNDEF || self.base > self.data.len() as u64 {
                    return Err(Error::corrupt("the base address is beyond the file"));
                }
                self.addr(&mut c)?;
                self.addr(&mut c)?;
                self.addr(&mut c)?;
                // Root group symbol table entry: link name offset, object header address.
                self.length(&mut c)?;
                self.addr(&mut c)
            }
            2 | 3 => {
                self.sizes(c.u8()?, c.u8()?)?;
                c.skip(1)?;
                self.base = self.addr(&mut c)?;
                if self.base == UNDEF || self.base > self.data.len() as u64 {
                    return Err(Error::corrupt("the base address is beyond the file"));
                }
                self.addr(&mut c)?; // superblock extension
                self.addr(&mut c)?; // end of file
                self.addr(&mut c)
            }
            v => Err(Error::unsupported(format!("superblock version {v}"))),
        }
    }

    fn sizes(&mut self, offset: u8, length: u8) -> Result<()> {
        let ok = |n: u8| matches!(n, 2 | 4 | 8);
        if !ok(offset) || !ok(length) {
            return Err(Error::corrupt(format!("invalid size of offsets ({offset}) or lengths ({length})")));
        }
        self.offset_size = offset;
        self.length_size = length;
        Ok(())
    }

    fn count_object(&mut self) -> Result<()> {
        self.objects += 1;
        if self.objects > MAX_OBJECTS {
            return Err(Error::limit(format!("more than {MAX_OBJECTS} objects")));
        }
        Ok(())
    }

    /// Reads an object header (v1 or v2) with its continuation chunks.
    fn header(&self, addr: u64) -> Result<Header<'a>> {
        let mut c = self.at(addr)?;
        let mut h = Header::default();
        let mut chunks: Vec<(u64, u64)> = Vec::new();
        let mut seen_chunks = 0usize;
        if c.data.get(c.pos..c.pos + 4) == Some(b"OHDR") {
            c.skip(4)?;
            let version = c.u8()?;
            if version != 2 {
                return Err(Error::unsupported(format!("object header version {version}")));
            }
            let flags = c.u8()?;
            if flags & 0x20 != 0 {
                c.skip(16)?;
            }
            if flags & 0x10 != 0 {
                c.skip(4)?;
            }
            let size = c.uint(1 << (flags & 3))?;
            let body = c.bytes(usize::try_from(size).map_err(|_| truncated())?)?;
            c.skip(4)?; // checksum
            self.messages_v2(body, flags, &mut h, &mut chunks)?;
            while let Some((caddr, clen)) = chunks.pop() {
                seen_chunks += 1;
                if seen_chunks > MAX_MESSAGES {
                    return Err(Error::limit("too many object header continuations"));
                }
                let chunk = self.slice(caddr, clen)?;
                if chunk.len() < 8 || &chunk[..4] != b"OCHK" {
                    return Err(Error::corrupt("an object header continuation lacks its signature"));
                }
                self.messages_v2(&chunk[4..chunk.len() - 4], flags, &mut h, &mut chunks)?;
            }
        } else {
            let version = c.u8()?;
            if version != 1 {
                return Err(Error::corrupt(format!("no object header at address {addr} (version byte {version})")));
            }
            c.skip(1)?;
            let _count = c.u16()?;
            c.skip(4)?; // reference count
            let size = c.u32()? as u64;
            c.skip(4)?; // alignment to 8
            chunks.push((c.pos as u64 - self.base, size));
            while let Some((caddr, clen)) = chunks.pop() {
                seen_chunks += 1;
                if seen_chunks > MAX_MESSAGES {
                    return Err(Error::limit("too many object header continuations"));
                }
                let body = self.slice(caddr, clen)?;
                let mut m = Cur::new(body);
                while m.remaining() >= 8 {
                    let ty = m.u16()?;
                    let len = m.u16()? as usize;
                    let flags = m.u8()?;
                    m.skip(3)?;
                    let data = m.bytes(len)?;
                    self.message(ty, flags, data, &mut h, &mut chunks)?;
                }
            }
        }
        Ok(h)
    }

    fn messages_v2(&self, body: &'a [u8], hflags: u8, h: &mut Header<'a>, chunks: &mut Vec<(u64, u64)>) -> Result<()> {
        let mut m = Cur::new(body);
        let head = if hflags & 0x04 != 0 { 6 } else { 4 };
        while m.remaining() >= head {
            let ty = m.u8()? as u16;
            let len = m.u16()? as usize;
            let flags = m.u8()?;
            if hflags & 0x04 != 0 {
                m.skip(2)?;
            }
            let data = m.bytes(len)?;
            self.message(ty, flags, data, h, chunks)?;
        }
        Ok(())
    }

    fn message(
        &self,
        ty: u16,
        flags: u8,
        data: &'a [u8],
        h: &mut Header<'a>,
        chunks: &mut Vec<(u64, u64)>,
    ) -> Result<()> {
        if h.messages.len() >= MAX_MESSAGES {
            return Err(Error::limit(format!("more than {MAX_MESSAGES} messages in an object header")));
        }
        if ty == 0 {
            return Ok(()); // NIL
        }
        if flags & 0x02 != 0 {
            return Err(Error::unsupported("shared object header messages (committed datatypes)"));
        }
        if ty == 0x10 {
            let mut c = Cur::new(data);
            let addr = self.addr(&mut c)?;
            let len = self.length(&mut c)?;
            chunks.push((addr, len));
            return Ok(());
        }
        if flags & 0x08 != 0 && !matches!(ty, 1 | 2 | 3 | 5 | 6 | 8 | 10 | 11 | 12 | 17 | 21) {
            return Err(Error::unsupported(format!("object header message type {ty} marked must-understand")));
        }
        h.messages.push((ty, data));
        Ok(())
    }

    fn group_at(&mut self, addr: u64, path: &str, depth: usize) -> Result<Group> {
        if depth > MAX_DEPTH {
            return Err(Error::limit(format!("groups nested deeper than {MAX_DEPTH} levels")).at(path));
        }
        if self.stack.contains(&addr) {
            return Err(Error::corrupt("a group contains itself (a cycle of links)").at(path));
        }
        self.count_object()?;
        let h = self.header(addr).map_err(|e| e.at(path))?;
        self.stack.push(addr);
        let g = self.group_body(&h, path, depth);
        self.stack.pop();
        g
    }

    fn group_body(&mut self, h: &Header<'a>, path: &str, depth: usize) -> Result<Group> {
        let attrs = self.attributes(h).map_err(|e| e.at(path))?;
        let links = self.links(h).map_err(|e| e.at(path))?;
        let mut members: Vec<(String, Node)> = Vec::with_capacity(links.len());
        for (name, addr) in links {
            let child = if path == "/" { format!("/{name}") } else { format!("{path}/{name}") };
            let node = self.object(addr, &child, depth + 1)?;
            members.push((name, node));
        }
        Ok(Group { attrs, members })
    }

    fn object(&mut self, addr: u64, path: &str, depth: usize) -> Result<Node> {
        if self.stack.contains(&addr) {
            return Err(Error::corrupt("a group contains itself (a cycle of links)").at(path));
        }
        let h = self.header(addr).map_err(|e| e.at(path))?;
        if h.find(8).is_some() {
            self.count_object()?;
            let ds = self.dataset(&h).map_err(|e| e.at(path))?;
            Ok(Node::Dataset(ds))
        } else if h.find(0x11).is_some() || h.find(2).is_some() || h.find(6).is_some() {
            Ok(Node::Group(self.group_at(addr, path, depth)?))
        } else if h.find(3).is_some() {
            Err(Error::unsupported("committed datatypes").at(path))
        } else {
            // A group with no links may carry only a Group Info message (or nothing).
            Ok(Node::Group(self.group_at(addr, path, depth)?))
        }
    }

    /// The (name, object address) pairs of a group, in the order HDF5 lists them (by name).
    fn links(&mut self, h: &Header<'a>) -> Result<Vec<(String, u64)>> {
        let mut out: Vec<(String, u64)> = Vec::new();
        if let Some(st) = h.find(0x11) {
            let mut c = Cur::new(st);
            let btree = self.addr(&mut c)?;
            let heap = self.addr(&mut c)?;
            let names = self.local_heap(heap)?;
            let mut visited = 0usize;
            self.group_btree(btree, names, &mut out, 0, &mut visited)?;
        }
        if let Some(li) = h.find(2) {
            let mut c = Cur::new(li);
            c.skip(1)?;
            let flags = c.u8()?;
            if flags & 1 != 0 {
                c.skip(8)?;
            }
            let heap = self.addr(&mut c)?;
            if heap != UNDEF {
                return Err(Error::unsupported("groups with dense link storage (fractal heaps)"));
            }
        }
        for (ty, m) in &h.messages {
            if *ty == 6 {
                if let Some(link) = self.link(m)? {
                    out.push(link);
                }
            }
        }
        out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        for w in out.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::corrupt(format!("two members named '{}'", super::error::shown(&w[0].0))));
            }
        }
        Ok(out)
    }

    fn link(&self, m: &[u8]) -> Result<Option<(String, u64)>> {
        let mut c = Cur::new(m);
        let version = c.u8()?;
        if version != 1 {
            return Err(Error::unsupported(format!("link message version {version}")));
        }
        let flags = c.u8()?;
        let ty = if flags & 0x08 != 0 { c.u8()? } else { 0 };
        if flags & 0x04 != 0 {
            c.skip(8)?;
        }
        if flags & 0x10 != 0 {
            c.skip(1)?;
        }
        let len = c.uint(1 << (flags & 3))? as usize;
        let name = name_text(c.bytes(len)?)?;
        match ty {
            0 => Ok(Some((name, self.addr(&mut c)?))),
            // Soft and external links point outside what Keras writes: not followed.
            _ => Ok(None),
        }
    }

    fn local_heap(&self, addr: u64) -> Result<&'a [u8]> {
        let mut c = self.at(addr)?;
        if c.bytes(4)? != b"HEAP" {
            return Err(Error::corrupt("a group's local heap lacks its signature"));
        }
        c.skip(4)?;
        let size = self.length(&mut c)?;
        self.length(&mut c)?;
        let data = self.addr(&mut c)?;
        self.slice(data, size)
    }

    fn group_btree(
        &mut self,
        addr: u64,
        names: &'a [u8],
        out: &mut Vec<(String, u64)>,
        depth: usize,
        visited: &mut usize,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::corrupt("a group's B-tree is deeper than it can be (a cycle?)"));
        }
        *visited += 1;
        if *visited > MAX_OBJECTS {
            return Err(Error::limit("a group's B-tree has too many nodes"));
        }
        let mut c = self.at(addr)?;
        if c.bytes(4)? != b"TREE" {
            return Err(Error::corrupt("a group B-tree node lacks its signature"));
        }
        if c.u8()? != 0 {
            return Err(Error::corrupt("a group B-tree node of the wrong type"));
        }
        let level = c.u8()?;
        let used = c.u16()? as usize;
        self.addr(&mut c)?;
        self.addr(&mut c)?;
        let mut children = Vec::with_capacity(used.min(4096));
        self.length(&mut c)?;
        for _ in 0..used {
            children.push(self.addr(&mut c)?);
            self.length(&mut c)?;
        }
        for child in children {
            if level > 0 {
                if level as usize > MAX_DEPTH {
                    return Err(Error::corrupt("a group B-tree too deep"));
                }
                self.group_btree(child, names, out, depth + 1, visited)?;
            } else {
                self.symbol_node(child, names, out)?;
            }
        }
        Ok(())
    }

    fn symbol_node(&mut self, addr: u64, names: &'a [u8], out: &mut Vec<(String, u64)>) -> Result<()> {
        let mut c = self.at(addr)?;
        if c.bytes(4)? != b"SNOD" {
            return Err(Error::corrupt("a symbol table node lacks its signature"));
        }
        c.skip(2)?;
        let n = c.u16()? as usize;
        for _ in 0..n {
            let name_at = self.length(&mut c)?;
            let obj = self.addr(&mut c)?;
            c.skip(4 + 4 + 16)?;
            let rest = names.get(name_at as usize..).ok_or_else(|| Error::corrupt("a link name is beyond its heap"))?;
            let end = rest.iter().position(|&b| b == 0).ok_or_else(|| Error::corrupt("a link name is unterminated"))?;
            out.push((name_text(&rest[..end])?, obj));
            if out.len() > MAX_OBJECTS {
                return Err(Error::limit("a group with too many members"));
            }
        }
        Ok(())
    }

    fn attributes(&mut self, h: &Header<'a>) -> Result<Vec<(String, Array)>> {
        if let Some(ai) = h.find(0x15) {
            let mut c = Cur::new(ai);
            c.skip(1)?;
            let flags = c.u8()?;
            if flags & 1 != 0 {
                c.skip(2)?;
            }
            if self.addr(&mut c)? != UNDEF {
                return Err(Error::unsupported("dense attribute storage (fractal heaps)"));
            }
        }
        let mut out = Vec::new();
        for (ty, m) in &h.messages {
            if *ty == 12 {
                let (name, value) = self.attribute(m)?;
                out.push((name, value));
            }
        }
        Ok(out)
    }

    fn attribute(&mut self, m: &'a [u8]) -> Result<(String, Array)> {
        let mut c = Cur::new(m);
        let version = c.u8()?;
        let flags = c.u8()?;
        if flags & 3 != 0 {
            return Err(Error::unsupported("shared datatypes or dataspaces in attributes"));
        }
        let name_len = c.u16()? as usize;
        let type_len = c.u16()? as usize;
        let space_len = c.u16()? as usize;
        let pad = |n: usize| if version == 1 { n.div_ceil(8) * 8 } else { n };
        match version {
            1 | 2 => {}
            3 => c.skip(1)?,
            v => return Err(Error::unsupported(format!("attribute message version {v}"))),
        }
        let raw_name = c.bytes(name_len)?;
        c.skip(pad(name_len) - name_len)?;
        let end = raw_name.iter().position(|&b| b == 0).unwrap_or(raw_name.len());
        let name = name_text(&raw_name[..end])?;
        let ty = self.datatype(c.bytes(type_len)?, 0).map_err(|e| e.at(&format!("@{name}")))?;
        c.skip(pad(type_len) - type_len)?;
        let shape = self.dataspace(c.bytes(space_len)?)?;
        c.skip(pad(space_len) - space_len)?;
        let Some(shape) = shape else {
            // A null dataspace: an attribute without a value.
            return Ok((name, Array { dtype: ty.dtype(), shape: vec![0], values: empty(&ty) }));
        };
        let n = elements(&shape)?;
        let size = ty.size(self.offset_size);
        let bytes = n.checked_mul(size as u64).ok_or_else(|| Error::limit("an attribute too large"))?;
        let raw = c.bytes(usize::try_from(bytes).map_err(|_| truncated())?)?;
        let values = self.decode(&ty, raw, n)?;
        Ok((name, Array { dtype: ty.dtype(), shape, values }))
    }

    /// A dataspace: `None` for a null one, else its dimensions (empty for a scalar).
    fn dataspace(&self, m: &[u8]) -> Result<Option<Vec<u64>>> {
        let mut c = Cur::new(m);
        let version = c.u8()?;
        let rank = c.u8()? as usize;
        let _flags = c.u8()?;
        if rank > MAX_RANK {
            return Err(Error::corrupt(format!("a dataspace of rank {rank}")));
        }
        match version {
            1 => c.skip(5)?,
            2 => match c.u8()? {
                0 => return Ok(Some(vec![])),
                1 => {}
                2 => return Ok(None),
                t => return Err(Error::corrupt(format!("dataspace type {t}"))),
            },
            v => return Err(Error::unsupported(format!("dataspace version {v}"))),
        }
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(self.length(&mut c)?);
        }
        Ok(Some(dims))
    }

    fn datatype(&self, m: &[u8], depth: usize) -> Result<Type> {
        if depth > MAX_TYPE_DEPTH {
            return Err(Error::corrupt("datatypes nested too deep"));
        }
        let mut c = Cur::new(m);
        let cv = c.u8()?;
        let class = cv & 0x0f;
        let bits = [c.u8()?, c.u8()?, c.u8()?];
        let size = c.u32()? as usize;
        let big = bits[0] & 1 != 0;
        match class {
            0 => {
                if !matches!(size, 1 | 2 | 4 | 8) {
                    return Err(Error::unsupported(format!("{size}-byte integers")));
                }
                Ok(Type::Int { size, signed: bits[0] & 0x08 != 0, big })
            }
            1 => {
                if bits[0] & 0x40 != 0 {
                    return Err(Error::unsupported("VAX floats"));
                }
                c.skip(4)?;
                let (exp_loc, exp_size, mant_loc, mant_size) = (c.u8()?, c.u8()?, c.u8()?, c.u8()?);
                let ieee = match (size, exp_loc, exp_size, mant_loc, mant_size) {
                    (2, 10, 5, 0, 10) | (4, 23, 8, 0, 23) | (8, 52, 11, 0, 52) => Some(false),
                    (2, 7, 8, 0, 7) => Some(true),
                    _ => None,
                };
                match ieee {
                    Some(bf16) => Ok(Type::Float { size, big, bf16 }),
                    None => Err(Error::unsupported(format!("a {size}-byte float that is not IEEE"))),
                }
            }
            3 => Ok(Type::FixedStr { size }),
            8 => {
                // Enumerations: h5py's booleans are an 8-bit enum FALSE = 0, TRUE = 1.
                let base_len = m.len() - c.pos;
                let base = self.datatype(c.bytes(base_len)?, depth + 1)?;
                match base {
                    Type::Int { size, big, .. } => Ok(Type::Bool { size, big }),
                    _ => Err(Error::unsupported("enumerations of non-integers")),
                }
            }
            9 => {
                if bits[0] & 0x0f != 1 {
                    return Err(Error::unsupported("variable-length sequences other than strings"));
                }
                Ok(Type::VlenStr)
            }
            _ => Err(Error::unsupported(format!("datatype class {class}"))),
        }
    }

    fn decode(&mut self, ty: &Type, raw: &[u8], n: u64) -> Result<Values> {
        let n = n as usize;
        let size = ty.size(self.offset_size);
        let spend = match ty {
            Type::Int { .. } | Type::Bool { .. } | Type::Float { .. } => (n as u64).saturating_mul(8),
            _ => raw.len() as u64,
        };
        self.spend(spend)?;
        let word = |b: &[u8], big: bool| -> u64 {
            if big {
                b.iter().fold(0u64, |a, &x| (a << 8) | x as u64)
            } else {
                b.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64)
            }
        };
        Ok(match ty {
            Type::Int { size, signed, big } => Values::Int(
                raw.chunks_exact(*size)
                    .map(|b| {
                        let w = word(b, *big);
                        let shift = 64 - 8 * *size as u32;
                        if *signed {
                            ((w << shift) as i64) >> shift
                        } else {
                            w as i64
                        }
                    })
                    .collect(),
            ),
            Type::Bool { size, big } => Values::Bool(raw.chunks_exact(*size).map(|b| word(b, *big) != 0).collect()),
            // The common cases in loops of their own, for speed.
            Type::Float { size: 4, big: false, bf16: false } => {
                Values::F32(raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
            }
            Type::Float { size: 4, big: true, bf16: false } => {
                Values::F32(raw.chunks_exact(4).map(|b| f32::from_be_bytes([b[0], b[1], b[2], b[3]])).collect())
            }
            Type::Float { size: 8, big: false, .. } => Values::Float(
                raw.chunks_exact(8)
                    .map(|b| f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
                    .collect(),
            ),
            Type::Float { size, big, bf16 } => Values::Float(
                raw.chunks_exact(*size)
                    .map(|b| {
                        let w = word(b, *big);
                        match (size, bf16) {
                            (2, true) => f32::from_bits((w as u32) << 16) as f64,
                            (2, false) => half_to_f64(w as u16),
                            (4, _) => f32::from_bits(w as u32) as f64,
                            _ => f64::from_bits(w),
                        }
                    })
                    .collect(),
            ),
            Type::FixedStr { .. } => {
                let mut v = Vec::with_capacity(n);
                for b in raw.chunks_exact(size.max(1)).take(n) {
                    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
                    v.push(value_text(&b[..end]));
                }
                if size == 0 {
                    v.resize(n, String::new());
                }
                Values::Str(v)
            }
            Type::VlenStr => {
                let mut v = Vec::with_capacity(n);
                for b in raw.chunks_exact(size) {
                    let mut c = Cur::new(b);
                    let len = c.u32()? as u64;
                    let coll = self.addr(&mut c)?;
                    let index = c.u32()?;
                    if len == 0 || coll == 0 || coll == UNDEF {
                        v.push(String::new());
                        continue;
                    }
                    let s = self.heap_object(coll, index)?;
                    if (s.len() as u64) < len {
                        return Err(Error::corrupt("a string is longer than its heap object"));
                    }
                    let s = &s[..len as usize];
                    let end = s.iter().position(|&x| x == 0).unwrap_or(s.len());
                    v.push(value_text(&s[..end]));
                }
                Values::Str(v)
            }
        })
    }

    fn heap_object(&mut self, addr: u64, index: u32) -> Result<&'a [u8]> {
        if !self.heaps.contains_key(&addr) {
            let mut c = self.at(addr)?;
            if c.bytes(4)? != b"GCOL" {
                return Err(Error::corrupt("a global heap collection lacks its signature"));
            }
            c.skip(4)?;
            let size = self.length(&mut c)?;
            let coll_start = c.pos - (8 + self.length_size as usize);
            let end = (coll_start as u64)
                .checked_add(size)
                .filter(|&e| e <= self.data.len() as u64)
                .ok_or_else(|| Error::corrupt("a global heap collection runs past the end of the file"))?
                as usize;
            let mut objects = HashMap::new();
            let head = 8 + self.length_size as usize;
            while c.pos + head <= end {
                let idx = c.u16()?;
                c.skip(6)?;
                let len = self.length(&mut c)?;
                if idx == 0 {
                    break;
                }
                let padded = len.div_ceil(8).checked_mul(8).ok_or_else(truncated)?;
                if (c.pos as u64).saturating_add(len) > end as u64 {
                    return Err(Error::corrupt("a global heap object runs past its collection"));
                }
                objects.insert(idx, (c.pos, len as usize));
                c.skip((padded as usize).min(end - c.pos))?;
            }
            self.heaps.insert(addr, objects);
        }
        let (start, len) = self.heaps[&addr]
            .get(&u16::try_from(index).unwrap_or(0))
            .copied()
            .ok_or_else(|| Error::corrupt(format!("global heap object {index} does not exist")))?;
        Ok(&self.data[start..start + len])
    }

    fn dataset(&mut self, h: &Header<'a>) -> Result<Dataset> {
        let attrs = self.attributes(h)?;
        let ty = self.datatype(h.find(3).ok_or_else(|| Error::corrupt("a dataset without a datatype"))?, 0)?;
        let shape = self
            .dataspace(h.find(1).ok_or_else(|| Error::corrupt("a dataset without a dataspace"))?)?
            .unwrap_or_else(|| vec![0]);
        let n = elements(&shape)?;
        let size = ty.size(self.offset_size) as u64;
        let bytes = n.checked_mul(size).ok_or_else(|| Error::limit("a dataset too large"))?;
        if bytes > self.budget {
            return Err(Error::limit(format!(
                "a dataset of shape ({}) declares {bytes} bytes, more than the file may hold",
                shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
        let filters = match h.find(11) {
            Some(m) => self.filters(m)?,
            None => Vec::new(),
        };
        let layout = self.layout(h.find(8).ok_or_else(truncated)?)?;
        let raw: std::borrow::Cow<[u8]> = match layout {
            Layout::Compact(d) => std::borrow::Cow::Borrowed(d),
            Layout::Contiguous { addr, size: declared } => {
                if n == 0 {
                    std::borrow::Cow::Borrowed(&[][..])
                } else if addr == UNDEF {
                    return Err(Error::unsupported("a dataset whose data was never written"));
                } else {
                    if declared < bytes {
                        return Err(Error::corrupt("a dataset's storage is smaller than its shape"));
                    }
                    std::borrow::Cow::Borrowed(self.slice(addr, bytes)?)
                }
            }
            Layout::Chunked { btree, dims } => {
                std::borrow::Cow::Owned(self.chunked(btree, &dims, &shape, size, bytes, &filters)?)
            }
        };
        if (raw.len() as u64) < bytes {
            return Err(Error::corrupt("a dataset holds less data than its shape"));
        }
        let le_f32 = matches!(ty, Type::Float { size: 4, big: false, bf16: false });
        let values = match raw {
            std::borrow::Cow::Borrowed(b) if self.stored && le_f32 && n > 0 => {
                self.spend(n.saturating_mul(8))?;
                // `b` is a slice of `self.data` (contiguous layout), at least `bytes` long.
                Values::Stored { offset: b.as_ptr() as usize - self.data.as_ptr() as usize, len: n as usize }
            }
            _ => self.decode(&ty, &raw[..bytes as usize], n)?,
        };
        Ok(Dataset { attrs, data: Array { dtype: ty.dtype(), shape, values } })
    }

    fn layout(&self, m: &'a [u8]) -> Result<Layout<'a>> {
        let mut c = Cur::new(m);
        let version = c.u8()?;
        if version < 3 {
            return Err(Error::unsupported(format!("data layout version {version}")));
        }
        let class = c.u8()?;
        match (version, class) {
            (3 | 4, 0) => {
                let len = c.u16()? as usize;
                Ok(Layout::Compact(c.bytes(len)?))
            }
            (3 | 4, 1) => Ok(Layout::Contiguous { addr: self.addr(&mut c)?, size: self.length(&mut c)? }),
            (3, 2) => {
                let rank = c.u8()? as usize;
                if rank == 0 || rank > MAX_RANK + 1 {
                    return Err(Error::corrupt(format!("chunk dimensionality {rank}")));
                }
                let btree = self.addr(&mut c)?;
                let mut dims = Vec::with_capacity(rank);
                for _ in 0..rank {
                    dims.push(c.u32()? as u64);
                }
                Ok(Layout::Chunked { btree, dims })
            }
            (4, 2) => Err(Error::unsupported("chunk indexes of HDF5 1.10 (layout version 4)")),
            _ => Err(Error::unsupported(format!("data layout class {class} (version {version})"))),
        }
    }

    fn filters(&self, m: &[u8]) -> Result<Vec<Filter>> {
        let mut c = Cur::new(m);
        let version = c.u8()?;
        let n = c.u8()? as usize;
        if version == 1 {
            c.skip(6)?;
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let id = c.u16()?;
            let name_len = if version == 1 || id >= 256 { c.u16()? as usize } else { 0 };
            let flags = c.u16()?;
            let values = c.u16()? as usize;
            let name_bytes = if version == 1 { name_len.div_ceil(8) * 8 } else { name_len };
            c.skip(name_bytes)?;
            c.skip(values * 4)?;
            if version == 1 && values % 2 == 1 {
                c.skip(4)?;
            }
            let optional = flags & 1 != 0;
            if !matches!(id, 1..=3) && !optional {
                return Err(Error::unsupported(format!("filter {id} (only deflate, shuffle and fletcher32 are read)")));
            }
            out.push(Filter { id, optional });
        }
        Ok(out)
    }

    fn chunked(
        &mut self,
        btree: u64,
        dims: &[u64],
        shape: &[u64],
        size: u64,
        bytes: u64,
        filters: &[Filter],
    ) -> Result<Vec<u8>> {
        let rank = shape.len();
        if dims.len() != rank + 1 || dims[rank] != size || dims[..rank].contains(&0) {
            return Err(Error::corrupt("chunk dimensions do not match the dataset"));
        }
        let chunk_elems = elements(&dims[..rank])?;
        let chunk_bytes = chunk_elems.checked_mul(size).ok_or_else(|| Error::limit("chunks too large"))?;
        if chunk_bytes > self.budget {
            return Err(Error::limit("a chunk larger than the file may hold"));
        }
        let mut out: Vec<u8> = Vec::new();
        out.try_reserve_exact(bytes as usize).map_err(|_| Error::limit("not enough memory for a dataset"))?;
        out.resize(bytes as usize, 0);
        // Chunks must cover the dataset: count the covered elements.
        let mut covered: u64 = 0;
        let mut visited = 0usize;
        let mut stack: Vec<(u64, usize)> = vec![(btree, 0)];
        while let Some((addr, depth)) = stack.pop() {
            visited += 1;
            if depth > MAX_DEPTH || visited > MAX_OBJECTS {
                return Err(Error::corrupt("a chunk B-tree too deep or too large (a cycle?)"));
            }
            let mut c = self.at(addr)?;
            if c.bytes(4)? != b"TREE" || c.u8()? != 1 {
                return Err(Error::corrupt("a chunk B-tree node lacks its signature"));
            }
            let level = c.u8()?;
            let used = c.u16()? as usize;
            self.addr(&mut c)?;
            self.addr(&mut c)?;
            for _ in 0..used {
                let csize = c.u32()? as u64;
                let mask = c.u32()?;
                let mut offs = Vec::with_capacity(rank + 1);
                for _ in 0..=rank {
                    offs.push(c.uint(8)?);
                }
                let child = self.addr(&mut c)?;
                if level > 0 {
                    stack.push((child, depth + 1));
                    continue;
                }
                let stored = self.slice(child, csize)?;
                let data = self.unfilter(stored, mask, filters, chunk_bytes, size as usize)?;
                covered =
                    covered.saturating_add(self.place(&mut out, &data, &offs[..rank], &dims[..rank], shape, size)?);
            }
            // The key after the last child.
            c.skip(8 + 8 * (rank + 1))?;
        }
        if covered < elements(shape)? {
            return Err(Error::unsupported("a chunked dataset with chunks never written (fill values)"));
        }
        Ok(out)
    }

    fn unfilter(
        &mut self,
        stored: &[u8],
        mask: u32,
        filters: &[Filter],
        chunk_bytes: u64,
        elem: usize,
    ) -> Result<Vec<u8>> {
        let mut data = stored.to_vec();
        for (i, f) in filters.iter().enumerate().rev() {
            if mask & (1 << i) != 0 {
                continue;
            }
            data = match f.id {
                1 => inflate(&data, chunk_bytes as usize)?,
                2 => unshuffle(&data, elem),
                3 => {
                    if data.len() < 4 {
                        return Err(Error::corrupt("a chunk too short for its checksum"));
                    }
                    data.truncate(data.len() - 4);
                    data
                }
                _ if f.optional => data,
                id => return Err(Error::unsupported(format!("filter {id}"))),
            };
        }
        if data.len() as u64 != chunk_bytes {
            return Err(Error::corrupt(format!(
                "a chunk holds {} bytes, not the {chunk_bytes} its shape needs",
                data.len()
            )));
        }
        Ok(data)
    }

    /// Copies one chunk into the dataset's row-major buffer; returns the elements it covered.
    fn place(
        &self,
        out: &mut [u8],
        chunk: &[u8],
        offs: &[u64],
        cdims: &[u64],
        shape: &[u64],
        size: u64,
    ) -> Result<u64> {
        let rank = shape.len();
        if rank == 0 {
            let n = (size as usize).min(out.len()).min(chunk.len());
            out[..n].copy_from_slice(&chunk[..n]);
            return Ok(1);
        }
        for i in 0..rank {
            if offs[i] >= shape[i] || offs[i] % cdims[i] != 0 {
                return Err(Error::corrupt("a chunk lies outside its dataset"));
            }
        }
        // Rows along the last dimension, clipped at the dataset's edge.
        let last = rank - 1;
        let row = (cdims[last].min(shape[last] - offs[last]) * size) as usize;
        let mut covered = 0u64;
        let mut idx = vec![0u64; rank];
        loop {
            let inside = (0..last).all(|i| offs[i] + idx[i] < shape[i]);
            if inside {
                let mut src = 0u64;
                let mut dst = 0u64;
                for i in 0..rank {
                    src = src * cdims[i] + idx[i];
                    dst = dst * shape[i] + offs[i] + idx[i];
                }
                let (src, dst) = ((src * size) as usize, (dst * size) as usize);
                let (Some(s), Some(d)) = (chunk.get(src..src + row), out.get_mut(dst..dst + row)) else {
                    return Err(Error::corrupt("a chunk lies outside its dataset"));
                };
                d.copy_from_slice(s);
                covered += row as u64 / size;
            }
            // Next index over all but the last dimension.
            let mut i = last;
            loop {
                if i == 0 {
                    return Ok(covered);
                }
                i -= 1;
                idx[i] += 1;
                if idx[i] < cdims[i] {
                    break;
                }
                idx[i] = 0;
            }
        }
    }
}

fn empty(ty: &Type) -> Values {
    match ty.dtype() {
        Dtype::Int { .. } => Values::Int(vec![]),
        Dtype::Bool => Values::Bool(vec![]),
        Dtype::Str => Values::Str(vec![]),
        _ => Values::Float(vec![]),
    }
}

fn elements(shape: &[u64]) -> Result<u64> {
    shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::limit("a shape with more elements than fit in 64 bits"))
}

fn name_text(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| Error::corrupt("a name that is not UTF-8"))
}

/// String values: UTF-8, or Latin-1 bytes kept as their code points when not.
fn value_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => b.iter().map(|&x| x as char).collect(),
    }
}

fn half_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f64;
    sign * match exp {
        0 => mant * 2f64.powi(-24),
        31 => {
            if mant == 0.0 {
                f64::INFINITY
            } else {
                f64::NAN
            }
        }
        e => (1.0 + mant / 1024.0) * 2f64.powi(e - 15),
    }
}

fn unshuffle(data: &[u8], elem: usize) -> Vec<u8> {
    if elem <= 1 || data.len() < elem {
        return data.to_vec();
    }
    let n = data.len() / elem;
    let mut out = data.to_vec();
    for b in 0..elem {
        for i in 0..n {
            out[i * elem + b] = data[b * n + i];
        }
    }
    out
}

/// Inflates a zlib stream into exactly `expected` bytes at most; more is an error.
fn inflate(data: &[u8], expected: usize) -> Result<Vec<u8>> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let mut out: Vec<u8> = Vec::new();
    out.try_reserve_exact(expected).map_err(|_| Error::limit("not enough memory for a chunk"))?;
    out.resize(expected, 0);
    let mut state = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut state, data, &mut out, 0, flags);
    match status {
        TINFLStatus::Done => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::HasMoreOutput => Err(Error::corrupt("a compressed chunk inflates past its declared size")),
        _ => Err(Error::corrupt("a compressed chunk is not valid deflate data")),
    }
}
