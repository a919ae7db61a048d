//! A plain Rust model of JSON values with a [`Sink`] and a [`Source`], so the codec can be tested
//! and fuzzed without R. It follows the same rules as the R builder: repeated keys keep their
//! first position and their last value, and strings cannot hold U+0000.

use super::read::{self, ParseError, Sink};
use super::write::{self, OutOfMemory, Printer, Source, TooDeep};

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer beyond `i64`, as its exact text.
    BigInt(String),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

/// Floats are equal when their bits are: `NaN` equals `NaN`, and `-0.0` differs from `0.0`, which
/// is what a byte-exact round trip needs.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::BigInt(a), Value::BigInt(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

pub fn parse(input: &[u8]) -> Result<Value, ParseError> {
    let mut sink = TreeSink::default();
    read::parse(input, &mut sink)?;
    Ok(sink.values.pop().expect("a successful parse leaves one value"))
}

/// Why a plain value could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    TooDeep,
    OutOfMemory,
}

impl From<TooDeep> for Failure {
    fn from(_: TooDeep) -> Self {
        Failure::TooDeep
    }
}

impl From<OutOfMemory> for Failure {
    fn from(_: OutOfMemory) -> Self {
        Failure::OutOfMemory
    }
}

pub fn to_json(value: &Value, pretty: bool) -> Result<String, Failure> {
    write::to_json(value, pretty)
}

#[derive(Default)]
struct TreeSink {
    values: Vec<Value>,
    keys: Vec<String>,
}

impl Sink for TreeSink {
    const ACCEPTS_NUL: bool = false;

    fn null(&mut self) {
        self.values.push(Value::Null);
    }

    fn boolean(&mut self, value: bool) {
        self.values.push(Value::Bool(value));
    }

    fn integer(&mut self, value: i64) {
        self.values.push(Value::Int(value));
    }

    fn big_integer(&mut self, digits: &str) {
        self.values.push(Value::BigInt(digits.to_owned()));
    }

    fn float(&mut self, value: f64) {
        self.values.push(Value::Float(value));
    }

    fn string(&mut self, value: &str) {
        self.values.push(Value::Str(value.to_owned()));
    }

    fn begin_array(&mut self) {}

    fn end_array(&mut self, len: usize) {
        let items = self.values.split_off(self.values.len() - len);
        self.values.push(Value::Array(items));
    }

    fn begin_object(&mut self) {}

    fn key(&mut self, key: &str) {
        self.keys.push(key.to_owned());
    }

    fn end_object(&mut self, len: usize) {
        let values = self.values.split_off(self.values.len() - len);
        let keys = self.keys.split_off(self.keys.len() - len);
        let mut members: Vec<(String, Value)> = Vec::with_capacity(len);
        for (key, value) in keys.into_iter().zip(values) {
            match members.iter_mut().find(|(k, _)| *k == key) {
                Some(member) => member.1 = value,
                None => members.push((key, value)),
            }
        }
        self.values.push(Value::Object(members));
    }
}

impl Source for Value {
    type Error = Failure;

    fn emit(&self, out: &mut Printer) -> Result<(), Failure> {
        match self {
            Value::Null => {
                out.null();
            }
            Value::Bool(b) => {
                out.boolean(*b);
            }
            Value::Int(i) => {
                out.integer(*i);
            }
            Value::BigInt(digits) => {
                out.integer_digits(digits);
            }
            Value::Float(x) => {
                out.float(*x);
            }
            Value::Str(s) => {
                out.string(s);
            }
            Value::Array(items) => {
                out.begin_array()?;
                for item in items {
                    item.emit(out)?;
                }
                out.end_array();
            }
            Value::Object(members) => {
                out.begin_object()?;
                for (key, value) in members {
                    out.key(key);
                    value.emit(out)?;
                }
                out.end_object();
            }
        }
        Ok(())
    }
}
