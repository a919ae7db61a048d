//! The pickles inside Keras' npz weights, read without running anything. A pickle is a program
//! for Python's unpickler; this interpreter knows its data opcodes (protocols 2-5) and only the
//! constructors those dicts are built from: `numpy._core.multiarray._reconstruct` with
//! `numpy.ndarray` (arrays), `numpy.dtype`, and Keras' backend `Variable` (an object whose state
//! holds its array as `_value`). They are interpreted here (arrays are bytes and a shape); any
//! other global is refused, named. Work and memory are bounded by the pickle's length: each
//! opcode reads at least one byte, shared values are reference-counted, never copied.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::npy;
use crate::hdf5::error::shown;
use crate::hdf5::tree::Array;
use crate::hdf5::Error;

/// How deeply the result may nest when it is read (a pickle can make cycles).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Callable {
    Reconstruct,
    NdArray,
    Dtype,
    Variable,
}

#[derive(Debug, Default)]
struct ArrayObj {
    /// (shape, dtype code such as "f4", big-endian, data): set by BUILD.
    shape: Vec<u64>,
    dtype: Option<Rc<RefCell<DtypeObj>>>,
    fortran: bool,
    bytes: Option<Rc<Vec<u8>>>,
    objects: Option<Rc<RefCell<Vec<V>>>>,
    built: bool,
}

#[derive(Debug, Default)]
struct DtypeObj {
    code: String,
    big: bool,
}

#[derive(Debug, Clone)]
enum V {
    None,
    Bool(bool),
    Int(i64),
    /// A float (no variable dict holds one where an array is read: its value is not kept).
    Float,
    Str(Rc<str>),
    Bytes(Rc<Vec<u8>>),
    Tuple(Rc<Vec<V>>),
    List(Rc<RefCell<Vec<V>>>),
    Dict(Rc<RefCell<Vec<(V, V)>>>),
    Global(Callable),
    Array(Rc<RefCell<ArrayObj>>),
    Dtype(Rc<RefCell<DtypeObj>>),
    /// A Variable and the state BUILD gave it.
    Object(Rc<RefCell<Option<V>>>),
}

fn corrupt(message: impl Into<String>) -> Error {
    Error::corrupt(format!("a pickle that {}", message.into()))
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<V>,
    marks: Vec<usize>,
    memo: HashMap<u64, V>,
    /// Every mutable value made, so that `clear()` can break the cycles a pickle may make
    /// (a dict holding itself), which reference counting alone would leak.
    made: Vec<V>,
}

impl<'a> Machine<'a> {
    /// Pushes a new mutable value, remembered for `clear()`.
    fn push_made(&mut self, v: V) {
        self.made.push(v.clone());
        self.stack.push(v);
    }

    /// Empties every mutable value made, so that all of them are freed whatever refers to what.
    fn clear(&mut self) {
        self.stack.clear();
        self.memo.clear();
        for v in std::mem::take(&mut self.made) {
            match v {
                V::List(l) => drop(std::mem::take(&mut *l.borrow_mut())),
                V::Dict(d) => drop(std::mem::take(&mut *d.borrow_mut())),
                V::Object(o) => drop(o.borrow_mut().take()),
                V::Array(a) => drop(std::mem::take(&mut *a.borrow_mut())),
                _ => {}
            }
        }
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], Error> {
        let n = usize::try_from(n).map_err(|_| corrupt("is truncated"))?;
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or_else(|| corrupt("is truncated"))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn uint(&mut self, n: u64) -> Result<u64, Error> {
        let b = self.take(n)?;
        let mut w = [0u8; 8];
        w[..b.len()].copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }
    fn pop(&mut self) -> Result<V, Error> {
        if self.marks.last().is_some_and(|&m| m >= self.stack.len()) {
            return Err(corrupt("pops past a mark"));
        }
        self.stack.pop().ok_or_else(|| corrupt("pops an empty stack"))
    }
    fn pop_mark(&mut self) -> Result<Vec<V>, Error> {
        let m = self.marks.pop().ok_or_else(|| corrupt("has no mark where one is needed"))?;
        Ok(self.stack.split_off(m))
    }
    fn top(&self) -> Result<&V, Error> {
        self.stack.last().ok_or_else(|| corrupt("reads an empty stack"))
    }
    fn text(&mut self, n: u64) -> Result<V, Error> {
        let b = self.take(n)?;
        let s = std::str::from_utf8(b).map_err(|_| corrupt("holds text that is not UTF-8"))?;
        Ok(V::Str(Rc::from(s)))
    }
    fn global(module: &str, name: &str) -> Result<V, Error> {
        let callable = match (module, name) {
            ("numpy._core.multiarray" | "numpy.core.multiarray", "_reconstruct") => Callable::Reconstruct,
            ("numpy", "ndarray") => Callable::NdArray,
            ("numpy", "dtype") => Callable::Dtype,
            (m, "Variable" | "KerasVariable") if m == "keras.src.backend" || m.starts_with("keras.src.backend.") => {
                Callable::Variable
            }
            _ => {
                return Err(Error::unsupported(format!(
                    "a pickle that refers to '{}.{}': only numpy arrays and Keras variables are read",
                    shown(module),
                    shown(name)
                )))
            }
        };
        Ok(V::Global(callable))
    }

    fn run(&mut self) -> Result<V, Error> {
        loop {
            let op = *self.take(1)?.first().expect("one byte");
            match op {
                0x80 => {
                    let proto = self.uint(1)?;
                    if proto > 5 {
                        return Err(Error::unsupported(format!("pickle protocol {proto}")));
                    }
                }
                0x95 => {
                    self.uint(8)?;
                }
                b'.' => {
                    let v = self.pop()?;
                    return Ok(v);
                }
                b'(' => self.marks.push(self.stack.len()),
                b')' => self.stack.push(V::Tuple(Rc::new(vec![]))),
                b't' => {
                    let items = self.pop_mark()?;
                    self.stack.push(V::Tuple(Rc::new(items)));
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    if self.stack.len() < n || self.marks.last().is_some_and(|&m| m > self.stack.len() - n) {
                        return Err(corrupt("makes a tuple of values it does not have"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.stack.push(V::Tuple(Rc::new(items)));
                }
                b']' => self.push_made(V::List(Rc::new(RefCell::new(vec![])))),
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push_made(V::List(Rc::new(RefCell::new(items))));
                }
                b'a' => {
                    let v = self.pop()?;
                    let V::List(l) = self.top()? else { return Err(corrupt("appends to what is not a list")) };
                    l.borrow_mut().push(v);
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let V::List(l) = self.top()? else { return Err(corrupt("appends to what is not a list")) };
                    l.borrow_mut().extend(items);
                }
                b'}' => self.push_made(V::Dict(Rc::new(RefCell::new(vec![])))),
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    self.push_made(V::Dict(Rc::new(RefCell::new(pairs))));
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let V::Dict(d) = self.top()? else { return Err(corrupt("sets an item of what is not a dict")) };
                    d.borrow_mut().push((k, v));
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(items)?;
                    let V::Dict(d) = self.top()? else { return Err(corrupt("sets items of what is not a dict")) };
                    d.borrow_mut().extend(pairs);
                }
                b'N' => self.stack.push(V::None),
                0x88 => self.stack.push(V::Bool(true)),
                0x89 => self.stack.push(V::Bool(false)),
                b'J' => {
                    let v = self.uint(4)? as u32 as i32 as i64;
                    self.stack.push(V::Int(v));
                }
                b'K' => {
                    let v = self.uint(1)? as i64;
                    self.stack.push(V::Int(v));
                }
                b'M' => {
                    let v = self.uint(2)? as i64;
                    self.stack.push(V::Int(v));
                }
                0x8a => {
                    let n = self.uint(1)?;
                    if n > 8 {
                        return Err(Error::unsupported("integers of more than 64 bits in a pickle"));
                    }
                    let b = self.take(n)?;
                    let mut w = if b.last().is_some_and(|&x| x & 0x80 != 0) { [0xffu8; 8] } else { [0u8; 8] };
                    w[..b.len()].copy_from_slice(b);
                    self.stack.push(V::Int(i64::from_le_bytes(w)));
                }
                b'G' => {
                    self.take(8)?;
                    self.stack.push(V::Float);
                }
                0x8c => {
                    let n = self.uint(1)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                b'X' => {
                    let n = self.uint(4)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                0x8d => {
                    let n = self.uint(8)?;
                    let v = self.text(n)?;
                    self.stack.push(v);
                }
                b'C' | b'B' | 0x8e => {
                    let width = match op {
                        b'C' => 1,
                        b'B' => 4,
                        _ => 8,
                    };
                    let n = self.uint(width)?;
                    let b = self.take(n)?.to_vec();
                    self.stack.push(V::Bytes(Rc::new(b)));
                }
                0x94 => {
                    let v = self.top()?.clone();
                    let key = self.memo.len() as u64;
                    self.memo.insert(key, v);
                }
                b'q' | b'r' => {
                    let key = self.uint(if op == b'q' { 1 } else { 4 })?;
                    let v = self.top()?.clone();
                    self.memo.insert(key, v);
                }
                b'h' | b'j' => {
                    let key = self.uint(if op == b'h' { 1 } else { 4 })?;
                    let v = self.memo.get(&key).cloned().ok_or_else(|| corrupt("reads a memo entry it never wrote"))?;
                    self.stack.push(v);
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (V::Str(module), V::Str(name)) = (module, name) else {
                        return Err(corrupt("names a global with what is not text"));
                    };
                    let g = Self::global(&module, &name)?;
                    self.stack.push(g);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = Self::global(&module, &name)?;
                    self.stack.push(g);
                }
                b'R' => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    let v = reduce(f, args)?;
                    self.push_made(v);
                }
                0x81 => {
                    let _args = self.pop()?;
                    let cls = self.pop()?;
                    let V::Global(Callable::Variable) = cls else {
                        return Err(corrupt("makes an object of a class it may not make"));
                    };
                    self.push_made(V::Object(Rc::new(RefCell::new(None))));
                }
                b'b' => {
                    let state = self.pop()?;
                    build(self.top()?, state)?;
                }
                other => {
                    return Err(Error::unsupported(format!(
                        "pickle opcode 0x{other:02x} (only data opcodes are read)"
                    )));
                }
            }
        }
    }

    fn line(&mut self) -> Result<String, Error> {
        let rest = &self.data[self.pos..];
        let end = rest.iter().position(|&c| c == b'\n').ok_or_else(|| corrupt("is truncated"))?;
        let s = std::str::from_utf8(&rest[..end]).map_err(|_| corrupt("holds text that is not UTF-8"))?.to_owned();
        self.pos += end + 1;
        Ok(s)
    }
}

fn pairs(items: Vec<V>) -> Result<Vec<(V, V)>, Error> {
    if items.len() % 2 != 0 {
        return Err(corrupt("sets a dict item without a value"));
    }
    let mut it = items.into_iter();
    let mut out = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

/// A call of an allowed constructor: an empty array (`_reconstruct(ndarray, (0,), b'b')`, its
/// content set by BUILD) or a dtype (`dtype('f4', False, True)`).
fn reduce(f: V, args: V) -> Result<V, Error> {
    let V::Tuple(args) = args else { return Err(corrupt("calls with arguments that are not a tuple")) };
    match f {
        V::Global(Callable::Reconstruct) => match args.first() {
            Some(V::Global(Callable::NdArray)) => Ok(V::Array(Rc::new(RefCell::new(ArrayObj::default())))),
            _ => Err(Error::unsupported("a pickle that reconstructs something other than a numpy array")),
        },
        V::Global(Callable::Dtype) => match args.first() {
            Some(V::Str(code)) => Ok(V::Dtype(Rc::new(RefCell::new(DtypeObj { code: code.to_string(), big: false })))),
            _ => Err(corrupt("makes a dtype from what is not its name")),
        },
        _ => Err(corrupt("calls what it may not call")),
    }
}

/// BUILD: an array's state `(version, shape, dtype, is_fortran, data)`, a dtype's
/// `(version, endianness, ...)`, a Variable's attribute dict.
fn build(target: &V, state: V) -> Result<(), Error> {
    match target {
        V::Array(a) => {
            let V::Tuple(s) = state else { return Err(corrupt("gives an array a state that is not a tuple")) };
            let [_, V::Tuple(shape), V::Dtype(dtype), V::Bool(fortran), data] = s.as_slice() else {
                return Err(corrupt("gives an array a state that is not numpy's"));
            };
            let shape = shape
                .iter()
                .map(|d| match d {
                    V::Int(n) if *n >= 0 => Ok(*n as u64),
                    _ => Err(corrupt("gives an array a shape that is not whole numbers")),
                })
                .collect::<Result<Vec<u64>, Error>>()?;
            if shape.len() > 32 {
                return Err(Error::limit("an array of more than 32 dimensions"));
            }
            let mut a = a.borrow_mut();
            if a.built {
                return Err(corrupt("builds an array twice"));
            }
            a.built = true;
            a.shape = shape;
            a.dtype = Some(dtype.clone());
            a.fortran = *fortran;
            match data {
                V::Bytes(b) => a.bytes = Some(b.clone()),
                V::List(l) => a.objects = Some(l.clone()),
                _ => return Err(corrupt("gives an array data that are neither bytes nor a list")),
            }
            Ok(())
        }
        V::Dtype(d) => {
            let V::Tuple(s) = state else { return Err(corrupt("gives a dtype a state that is not a tuple")) };
            if let Some(V::Str(endian)) = s.get(1) {
                d.borrow_mut().big = endian.as_ref() == ">";
            }
            Ok(())
        }
        V::Object(o) => {
            let mut o = o.borrow_mut();
            if o.is_some() {
                return Err(corrupt("builds an object twice"));
            }
            *o = Some(state);
            Ok(())
        }
        _ => Err(corrupt("builds what is not an array, a dtype or a variable")),
    }
}

/// A numeric array made by the pickle, checked against its declared shape.
fn numeric(a: &ArrayObj) -> Result<Array, Error> {
    let dtype = a.dtype.as_ref().ok_or_else(|| corrupt("leaves an array without content"))?.borrow();
    let bytes = a.bytes.as_ref().ok_or_else(|| corrupt("leaves an array without content"))?;
    let descr = format!("{}{}", if dtype.big { ">" } else { "<" }, dtype.code);
    let (t, size, big) = npy::numeric_type(&descr)
        .ok_or_else(|| Error::unsupported(format!("variables of numpy type '{}'", shown(&dtype.code))))?;
    if a.fortran && a.shape.len() > 1 {
        return Err(Error::unsupported("arrays in Fortran order"));
    }
    let count = npy::element_count(&a.shape)?;
    let values = npy::decode(bytes, t, size, big, count)?;
    Ok(Array { dtype: t, shape: a.shape.clone(), values })
}

fn key_text(k: &V) -> Result<String, Error> {
    match k {
        V::Str(s) => Ok(s.to_string()),
        V::Int(i) => Ok(i.to_string()),
        _ => Err(corrupt("keys its variables by what is not text")),
    }
}

/// A variable: a numpy array, or a Keras Variable whose state holds it as `_value`.
fn variable(v: &V, depth: usize) -> Result<Array, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::limit("a pickle nested too deeply"));
    }
    match v {
        V::Array(a) => numeric(&a.borrow()),
        V::Object(o) => {
            let o = o.borrow();
            let Some(V::Dict(state)) = o.as_ref() else { return Err(corrupt("leaves a variable without its state")) };
            let state = state.borrow();
            let value = state
                .iter()
                .find(|(k, _)| matches!(k, V::Str(s) if s.as_ref() == "_value"))
                .map(|(_, v)| v.clone())
                .ok_or_else(|| corrupt("holds a variable without its `_value`"))?;
            variable(&value, depth + 1)
        }
        _ => Err(corrupt("holds a variable that is neither an array nor a Keras variable")),
    }
}

/// The dict an object array of one element pickles, `{"0": variable, ...}`, as arrays by key.
pub fn variables_dict(data: &[u8]) -> Result<Vec<(String, Array)>, Error> {
    let mut machine = Machine { data, pos: 0, stack: vec![], marks: vec![], memo: HashMap::new(), made: vec![] };
    let out = machine.run().and_then(|top| read_dict(&top));
    machine.clear();
    out
}

fn read_dict(top: &V) -> Result<Vec<(String, Array)>, Error> {
    let V::Array(outer) = top else { return Err(corrupt("is not an object array")) };
    let outer = outer.borrow();
    let objects = outer.objects.as_ref().ok_or_else(|| corrupt("is not an object array"))?;
    let objects = objects.borrow();
    let [V::Dict(dict)] = objects.as_slice() else {
        return Err(corrupt("does not hold one dict of variables"));
    };
    let dict = dict.borrow();
    dict.iter().map(|(k, v)| Ok((key_text(k)?, variable(v, 0)?))).collect()
}
