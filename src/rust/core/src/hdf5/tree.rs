//! What an HDF5 file holds, as far as Keras uses it: groups of named members, datasets, and
//! attributes, each an n-dimensional array of numbers, booleans or strings.

/// The element type of an array, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    Int {
        size: u8,
        signed: bool,
    },
    /// IEEE floats (2 = float16, 4, 8); `Bfloat16` separately.
    Float {
        size: u8,
    },
    Bfloat16,
    Bool,
    Str,
}

impl Dtype {
    /// The numpy name of the type (`float32`, `int64`, `bool`, `str`).
    pub fn name(&self) -> &'static str {
        match self {
            Dtype::Int { size: 1, signed: true } => "int8",
            Dtype::Int { size: 2, signed: true } => "int16",
            Dtype::Int { size: 4, signed: true } => "int32",
            Dtype::Int { signed: true, .. } => "int64",
            Dtype::Int { size: 1, .. } => "uint8",
            Dtype::Int { size: 2, .. } => "uint16",
            Dtype::Int { size: 4, .. } => "uint32",
            Dtype::Int { .. } => "uint64",
            Dtype::Float { size: 2 } => "float16",
            Dtype::Float { size: 4 } => "float32",
            Dtype::Float { .. } => "float64",
            Dtype::Bfloat16 => "bfloat16",
            Dtype::Bool => "bool",
            Dtype::Str => "str",
        }
    }

    pub fn from_name(name: &str) -> Option<Dtype> {
        Some(match name {
            "int8" => Dtype::Int { size: 1, signed: true },
            "int16" => Dtype::Int { size: 2, signed: true },
            "int32" => Dtype::Int { size: 4, signed: true },
            "int64" => Dtype::Int { size: 8, signed: true },
            "uint8" => Dtype::Int { size: 1, signed: false },
            "uint16" => Dtype::Int { size: 2, signed: false },
            "uint32" => Dtype::Int { size: 4, signed: false },
            "uint64" => Dtype::Int { size: 8, signed: false },
            "float16" => Dtype::Float { size: 2 },
            "float32" => Dtype::Float { size: 4 },
            "float64" => Dtype::Float { size: 8 },
            "bfloat16" => Dtype::Bfloat16,
            "bool" => Dtype::Bool,
            "str" | "string" => Dtype::Str,
            _ => return None,
        })
    }
}

/// Element values, row-major (C order) as HDF5 stores them.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Float(Vec<f64>),
    /// float32 values (most weights) in their own precision: half the memory of `Float`, and
    /// no conversion between the file and R's doubles but the one into R's memory.
    F32(Vec<f32>),
    /// `len` float32 values the writer's caller encodes itself, straight into the file
    /// (`write::write_with`): R's weights go from R's memory to the file in one pass. The
    /// reader never makes these.
    External {
        source: usize,
        len: usize,
    },
    /// `len` little-endian float32 values at `offset` in the file read (`Limits::stored`),
    /// converted by the caller straight from the file's bytes. The writer never takes these.
    Stored {
        offset: usize,
        len: usize,
    },
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Float(v) => v.len(),
            Values::F32(v) => v.len(),
            Values::External { len, .. } | Values::Stored { len, .. } => *len,
            Values::Int(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An n-dimensional array; `shape` empty for a scalar.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub dtype: Dtype,
    pub shape: Vec<u64>,
    pub values: Values,
}

impl Array {
    pub fn string(s: &str) -> Array {
        Array { dtype: Dtype::Str, shape: vec![], values: Values::Str(vec![s.to_owned()]) }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    pub attrs: Vec<(String, Array)>,
    pub members: Vec<(String, Node)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub attrs: Vec<(String, Array)>,
    pub data: Array,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Group(Group),
    Dataset(Dataset),
}

impl Group {
    pub fn member(&self, name: &str) -> Option<&Node> {
        self.members.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }
    pub fn group(&self, name: &str) -> Option<&Group> {
        match self.member(name) {
            Some(Node::Group(g)) => Some(g),
            _ => None,
        }
    }
    pub fn attr(&self, name: &str) -> Option<&Array> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
    /// The member at a `/`-separated path.
    pub fn at(&self, path: &str) -> Option<&Node> {
        let mut parts = path.split('/').filter(|p| !p.is_empty());
        let first = parts.next()?;
        let mut node = self.member(first)?;
        for p in parts {
            node = match node {
                Node::Group(g) => g.member(p)?,
                Node::Dataset(_) => return None,
            };
        }
        Some(node)
    }
}
