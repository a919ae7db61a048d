//! A [`Source`] over R values, read with R's C API. What it writes: `NULL` → `null`; a list with
//! a `names` attribute → an object, without → an array; an atomic vector of length 1 → a
//! scalar, of any other length → an array; a factor → its labels; a `keras_integer` double →
//! integer text (its `digits` attribute when that is still its value). `NA` of any type, S4
//! objects and other types are refused with the path to the offending element, because writing
//! them silently would produce a config Keras reads differently.

use super::rapi::{char_utf8, vmaxget, vmaxset, Rf_getCharCE, Rf_inherits, REFCNT};
use crate::fast::rapi::only_names;
use crate::fast::{
    consts, function_name, instance_parts, kind, list_names, special_parts, Classes, Consts, Fallback, InstanceParts,
    Kind, Name, SharedId, Sharing, SpecialParts,
};
use extendr_ffi::{
    cetype_t, R_IsNA, R_LevelsSymbol, R_NaString, R_NamesSymbol, R_NilValue, Rf_getAttrib, Rf_install, Rf_isObject,
    Rf_isS4, DATAPTR_OR_NULL, INTEGER_ELT, LENGTH, LOGICAL_ELT, REAL_ELT, R_CHAR, SEXP, SEXPTYPE, STRING_ELT, TYPEOF,
    VECTOR_ELT, XLENGTH,
};
use kerasconfig_core::{is_integer_text, OutOfMemory, Printer, Source, TooDeep, MAX_DEPTH};
use std::borrow::Cow;
use std::ops::Range;

/// Maps keyed by R pointers, with foldhash: much faster than SipHash on them.
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// `NA_integer_` and `NA` (logical) in R's storage.
const NA_INTEGER: i32 = i32::MIN;

/// An R value to write. The caller keeps it alive (a `.Call` argument is).
pub struct RValue {
    root: SEXP,
    digits_symbol: SEXP,
    objects: Option<Objects>,
}

/// How Keras objects are written: serialized on the way, as the fast path (fast/write.rs)
/// serializes them, so that the text is `config_to_json(serialize_keras_object(x))` without the
/// R lists in between.
#[derive(Clone, Copy)]
struct Objects {
    c: &'static Consts,
    /// Inside an object-sharing scope (R/sharing.R), `kc_twice_keys`.
    twice: Option<SEXP>,
}

impl RValue {
    /// # Safety
    /// Call on R's main thread; `root` must stay protected while the value is written.
    pub unsafe fn new(root: SEXP) -> Self {
        RValue { root, digits_symbol: Rf_install(c"digits".as_ptr()), objects: None }
    }

    /// A value that may hold Keras objects, written as `config_to_json(serialize_keras_object(x))`
    /// writes it (inside a sharing scope when `twice` is `kc_twice_keys`, as for
    /// `rs_fast_serialize()`; outside one when it is `NULL`), or an error (of no use beyond
    /// saying so) wherever the fast path would leave the serialization to R, wherever the writer
    /// would refuse what the serialization gives, and when `root` holds no instance but
    /// functions or classed lists (R then writes it as it is).
    ///
    /// # Safety
    /// As [`RValue::new`]. Besides, the walk may allocate the cached R values of a built-in
    /// class met for the first time in the session (preserved at once; a garbage collection
    /// then finds what the walk holds reachable from `root`).
    pub unsafe fn objects(root: SEXP, twice: SEXP) -> Self {
        RValue {
            root,
            digits_symbol: Rf_install(c"digits".as_ptr()),
            objects: Some(Objects { c: consts(), twice: (twice != R_NilValue).then_some(twice) }),
        }
    }
}

/// Why an element could not be written, and where it is.
#[derive(Debug)]
pub struct WriteError {
    pub problem: String,
    /// From the offending element up to the top: filled in while the error travels up.
    steps: Vec<Step>,
}

#[derive(Debug)]
enum Step {
    Name(String),
    Index(usize),
}

impl From<OutOfMemory> for WriteError {
    fn from(_: OutOfMemory) -> Self {
        WriteError::new("a text larger than the memory available".to_owned())
    }
}

/// Where the fast path leaves a value to R: only ever seen by the objects mode's caller, which
/// then lets R serialize the value.
impl From<Fallback> for WriteError {
    fn from(_: Fallback) -> Self {
        WriteError::new("a value only R can serialize".to_owned())
    }
}

impl From<TooDeep> for WriteError {
    fn from(_: TooDeep) -> Self {
        WriteError::new(format!("lists nested deeper than {MAX_DEPTH} levels"))
    }
}

impl WriteError {
    fn new(problem: String) -> Self {
        WriteError { problem, steps: Vec::new() }
    }

    fn within(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// R code that reaches the element from the top, which is called `config`:
    /// `config$layers[[3]]$config$units`.
    pub fn path(&self) -> String {
        let mut path = String::from("config");
        for step in self.steps.iter().rev() {
            match step {
                Step::Name(name) if name.is_empty() => path.push_str("[[\"\"]]"),
                Step::Name(name) if is_syntactic(name) => {
                    path.push('$');
                    path.push_str(name);
                }
                Step::Name(name) => {
                    path.push_str("$`");
                    for c in name.chars() {
                        if c == '`' || c == '\\' {
                            path.push('\\');
                        }
                        path.push(c);
                    }
                    path.push('`');
                }
                Step::Index(i) => path.push_str(&format!("[[{i}]]")),
            }
        }
        path
    }
}

/// Whether R reads `name` as a name without backticks (ASCII letters only: backticks are always
/// valid, so erring towards them is harmless).
fn is_syntactic(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "if",
        "else",
        "repeat",
        "while",
        "function",
        "for",
        "in",
        "next",
        "break",
        "TRUE",
        "FALSE",
        "NULL",
        "Inf",
        "NaN",
        "NA",
        "NA_integer_",
        "NA_real_",
        "NA_character_",
        "NA_complex_",
    ];
    let bytes = name.as_bytes();
    let starts_well = match bytes {
        [b'.', b'.', ..] => false, // `...` and `..1` are special
        [b'.', second, ..] => !second.is_ascii_digit(),
        [b'.'] => true,
        [first, ..] => first.is_ascii_alphabetic(),
        [] => false,
    };
    starts_well
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        && !RESERVED.contains(&name)
}

/// How an atomic vector's elements are written.
#[derive(Clone, Copy)]
enum Atomic {
    Plain,
    /// A factor: codes index into these labels.
    Factor(SEXP),
    KerasInteger,
}

impl Source for RValue {
    type Error = WriteError;

    fn emit(&self, out: &mut Printer) -> Result<(), WriteError> {
        // Inside a sharing scope, a first walk counts the instances (fast/write.rs).
        // SAFETY: as below; `twice` is a `.Call` argument too.
        let sharing = match self.objects.and_then(|objects| objects.twice) {
            Some(twice) => Some(unsafe { Sharing::counted(twice, self.root) }?),
            None => None,
        };
        let mut walker = Walker {
            digits_symbol: self.digits_symbol,
            texts: FastMap::default(),
            strings: FastMap::default(),
            objects: self.objects,
            classes: Classes::default(),
            sharing,
            entries: 0,
            instances: false,
            serialized: false,
        };
        // SAFETY: `root` is protected by the caller (see `new`); everything reached from it is
        // protected through it, and writing allocates nothing in R (but see `objects`).
        unsafe { walker.value(self.root, out) }?;
        // Without an instance, R writes the value as it is: functions and classed lists are only
        // serialized as parts of a value that holds one.
        if walker.serialized && !walker.instances {
            return Err(Fallback.into());
        }
        Ok(())
    }
}

/// Walks R values into a printer. A value that R says may be shared (referenced more than
/// once: the parser shares every repeated value) is written once and its text copied where it
/// appears again, which costs much less than a second walk.
struct Walker {
    digits_symbol: SEXP,
    /// The text of each shared value written, and how deep it nests, by value and, when
    /// indenting, depth.
    texts: FastMap<(SEXP, usize), (Range<usize>, usize)>,
    /// The quoted text of each string (CHARSXP) written, as a value or a key.
    strings: FastMap<SEXP, Range<usize>>,
    /// Keras objects are serialized on the way (`RValue::objects`); `None` while writing values
    /// R's serialization leaves as they are, or when there are no objects.
    objects: Option<Objects>,
    classes: Classes,
    /// Inside a sharing scope, its counts and the ids given.
    sharing: Option<Sharing>,
    /// Functional layer entries around the value being written: each nests the serialized
    /// layer one list deeper than its text (the entry is its layer's header and two keys), and
    /// the fast path's depth limit counts those lists.
    entries: usize,
    /// Whether an instance was written, and whether anything else was serialized (a function,
    /// a classed list).
    instances: bool,
    serialized: bool,
}

impl Walker {
    /// Writes `x`; returns how many arrays and objects deep it nests.
    unsafe fn value(&mut self, x: SEXP, out: &mut Printer) -> Result<usize, WriteError> {
        if x == R_NilValue {
            out.null();
            return Ok(0);
        }
        // Each R accessor is a call into libR: ask for the type once.
        let t = TYPEOF(x);
        // What the serialization makes of `x`, when serializing: the fast path's own checks.
        let what = match self.objects {
            Some(objects) => {
                if out.depth() + self.entries > MAX_DEPTH {
                    return Err(Fallback.into());
                }
                Some((objects, kind(objects.c, x, t)?))
            }
            None => None,
        };
        // An instance's text is the same wherever it appears (no R code runs meanwhile):
        // written once, by its environment. Of other values, those R says may be shared (the
        // parser shares every repeated value); a scalar logical, integer or string is written
        // faster than its copy is looked up.
        let (shared, cached) = match what {
            Some((_, Kind::Instance(env))) => (true, env),
            _ => {
                let shared = REFCNT(x) > 1
                    && match t {
                        SEXPTYPE::VECSXP | SEXPTYPE::REALSXP => true,
                        SEXPTYPE::LGLSXP | SEXPTYPE::INTSXP | SEXPTYPE::STRSXP => {
                            XLENGTH(x) != 1 || Rf_isObject(x).into()
                        }
                        _ => false,
                    };
                (shared, x)
            }
        };
        // A value's text depends on the mode it is written in, and when indenting on its depth.
        let depth = if out.indents() { out.depth() } else { 0 };
        let key = (cached, 2 * depth + usize::from(what.is_some()));
        if shared {
            if let Some((text, height)) = self.texts.get(&key) {
                // A copy nesting too deep is walked instead, to report where.
                if out.depth() + height <= MAX_DEPTH {
                    out.repeat_value(text.clone());
                    return Ok(*height);
                }
            }
        }
        let (start, height) = match (what, t) {
            (Some((objects, Kind::Instance(env))), _) => self.instance(objects.c, env, out)?,
            (Some((objects, Kind::Special)), _) => self.special(objects.c, x, out)?,
            (Some((objects, Kind::Function)), _) => self.function(objects.c, x, out)?,
            // The list's `NA` names are refused as keys: only its other attributes are checked.
            (Some((_, Kind::List)), _) if !only_names(x) => return Err(Fallback.into()),
            (_, SEXPTYPE::VECSXP) => self.list(x, out)?,
            (_, SEXPTYPE::LGLSXP | SEXPTYPE::INTSXP | SEXPTYPE::REALSXP | SEXPTYPE::STRSXP) => {
                self.atomic(x, t, out)?
            }
            _ if Rf_isS4(x).into() => return Err(WriteError::new("an S4 object".to_owned())),
            (_, other) => return Err(WriteError::new(format!("an object of type '{}'", type_name(other)))),
        };
        if shared {
            self.texts.insert(key, (start..out.len(), height));
        }
        Ok(height)
    }

    /// Writes `x` as it is, as R's serialization leaves it (the parts of a header it copies).
    unsafe fn verbatim(&mut self, x: SEXP, out: &mut Printer) -> Result<usize, WriteError> {
        let objects = self.objects.take();
        let result = self.value(x, out);
        self.objects = objects;
        result
    }

    /// Writes the serialized instance (environment) `x`: `kc_serialize_instance()`'s header.
    /// Returns where its text starts, and how deep it nests.
    unsafe fn instance(&mut self, c: &Consts, x: SEXP, out: &mut Printer) -> Result<(usize, usize), WriteError> {
        let parts = self.instance_parts(c, x)?;
        let start = out.begin_object()?;
        let height = self.instance_members(c, parts, out)?;
        out.end_object();
        Ok((start, height + 1))
    }

    /// The parts of the instance `x`'s header, with the id a sharing scope gives it.
    unsafe fn instance_parts(&mut self, c: &Consts, x: SEXP) -> Result<InstanceParts, WriteError> {
        let mut parts = instance_parts(c, &mut self.classes, x)?;
        if let Some(sharing) = self.sharing.as_mut() {
            parts.shared_id = sharing.id(x, parts.shared_id)?;
        }
        Ok(parts)
    }

    /// Writes the keys and values of an instance's header; returns how deep the values nest.
    unsafe fn instance_members(
        &mut self,
        c: &Consts,
        parts: InstanceParts,
        out: &mut Printer,
    ) -> Result<usize, WriteError> {
        self.instances = true;
        let names = elements(parts.names(c));
        let mut names = names.iter();
        let mut key = |walker: &mut Self, out: &mut Printer| match names.next() {
            Some(&name) => walker.key(name, out),
            None => Err(Fallback.into()),
        };
        key(self, out)?;
        self.verbatim(parts.module, out)?;
        key(self, out)?;
        self.verbatim(parts.class_name, out)?;
        key(self, out)?;
        let mut height = self.value(parts.config, out)?;
        key(self, out)?;
        self.name(parts.registered, out)?;
        for value in [parts.build, parts.compile] {
            if value != R_NilValue {
                key(self, out)?;
                height = height.max(self.value(value, out)?);
            }
        }
        // A kept id is copied.
        match parts.shared_id {
            SharedId::None => {}
            SharedId::Kept(id) => {
                key(self, out)?;
                height = height.max(self.verbatim(id, out)?);
            }
            SharedId::New(id) => {
                key(self, out)?;
                out.integer(i64::from(id));
            }
        }
        Ok(height)
    }

    /// Writes a name as it is.
    unsafe fn name(&mut self, name: Name, out: &mut Printer) -> Result<usize, WriteError> {
        match name {
            Name::Value(x) => self.verbatim(x, out),
            Name::Key(text) => {
                out.string(&text);
                Ok(0)
            }
        }
    }

    /// Writes the serialized classed list `x` (a symbolic tensor, a Functional layer entry);
    /// returns where its text starts, and how deep it nests.
    unsafe fn special(&mut self, c: &Consts, x: SEXP, out: &mut Printer) -> Result<(usize, usize), WriteError> {
        let parts = special_parts(c, x)?;
        let start = out.begin_object()?;
        let height = self.special_members(c, parts, out)?;
        out.end_object();
        Ok((start, height + 1))
    }

    unsafe fn special_members(
        &mut self,
        c: &Consts,
        parts: SpecialParts,
        out: &mut Printer,
    ) -> Result<usize, WriteError> {
        self.serialized = true;
        match parts {
            SpecialParts::Tensor { shape, dtype, history } => {
                let header = elements(c.special_names);
                let keys = elements(c.tensor_names);
                self.key(header[0], out)?;
                self.verbatim(c.keras_tensor_class_name, out)?;
                self.key(header[1], out)?;
                out.begin_object()?;
                let mut height = 0;
                for (&key, value) in keys.iter().zip([shape, dtype, history]) {
                    self.key(key, out)?;
                    height = height.max(self.verbatim(value, out)?);
                }
                out.end_object();
                Ok(height + 1)
            }
            SpecialParts::Entry { layer, name, nodes } => {
                // The serialized layer's keys, then the entry's.
                self.entries += 1;
                let layer = self.members(c, layer, out);
                self.entries -= 1;
                let mut height = layer?;
                self.key(c.chr_name, out)?;
                height = height.max(self.verbatim(name, out)?);
                self.key(c.chr_inbound_nodes, out)?;
                Ok(height.max(self.value(nodes, out)?))
            }
        }
    }

    /// Writes the keys and values of the serialized `x`, which must be a named list (an
    /// instance's header, a plain named list, a classed list's encoding): the layer of a
    /// Functional layer entry. Returns how deep the values nest.
    unsafe fn members(&mut self, c: &Consts, x: SEXP, out: &mut Printer) -> Result<usize, WriteError> {
        // `x` is one list deeper than the entry for the fast path, which counts it in `entries`.
        if out.depth() + self.entries > MAX_DEPTH {
            return Err(Fallback.into());
        }
        match kind(c, x, TYPEOF(x))? {
            Kind::Instance(env) => {
                let parts = self.instance_parts(c, env)?;
                self.instance_members(c, parts, out)
            }
            Kind::List => {
                let names = list_names(x)?;
                if names == R_NilValue {
                    return Err(Fallback.into());
                }
                let mut height = 0;
                for (&name, &item) in elements(names).iter().zip(elements(x).iter()) {
                    self.key(name, out)?;
                    height = height.max(self.value(item, out)?);
                }
                Ok(height)
            }
            Kind::Special => {
                let parts = special_parts(c, x)?;
                self.special_members(c, parts, out)
            }
            Kind::Null | Kind::Atomic | Kind::Function => Err(Fallback.into()),
        }
    }

    /// Writes the serialized function `f`: `kc_serialize_function()`'s header for a function
    /// with a name. Returns where its text starts, and how deep it nests.
    unsafe fn function(&mut self, c: &Consts, f: SEXP, out: &mut Printer) -> Result<(usize, usize), WriteError> {
        let name = function_name(c, f)?;
        self.serialized = true;
        let keys = elements(c.function_names);
        let start = out.begin_object()?;
        self.key(keys[0], out)?;
        self.verbatim(c.builtins, out)?;
        self.key(keys[1], out)?;
        self.verbatim(c.function, out)?;
        self.key(keys[2], out)?;
        let height = self.name(name, out)?;
        self.key(keys[3], out)?;
        self.verbatim(c.function, out)?;
        out.end_object();
        Ok((start, height + 1))
    }

    /// Writes the list `x`; returns where its text starts, and how deep it nests.
    unsafe fn list(&mut self, x: SEXP, out: &mut Printer) -> Result<(usize, usize), WriteError> {
        if bool::from(Rf_isObject(x)) && bool::from(Rf_isS4(x)) {
            return Err(WriteError::new("an S4 object".to_owned()));
        }
        let items = elements(x);
        let names = Rf_getAttrib(x, R_NamesSymbol);
        let mut height = 0;
        let start = if names == R_NilValue {
            let start = out.begin_array()?;
            for (i, &item) in items.iter().enumerate() {
                let item = self.value(item, out).map_err(|e| e.within(Step::Index(i + 1)))?;
                height = height.max(item);
            }
            out.end_array();
            start
        } else {
            let start = out.begin_object()?;
            for (i, (&name, &item)) in elements(names).iter().zip(items.iter()).enumerate() {
                self.key(name, out).map_err(|e| e.within(Step::Index(i + 1)))?;
                match self.value(item, out) {
                    Ok(item) => height = height.max(item),
                    Err(e) => return Err(e.within(Step::Name(with_utf8(name, str::to_owned).unwrap_or_default()))),
                }
            }
            out.end_object();
            start
        };
        Ok((start, height + 1))
    }

    unsafe fn key(&mut self, name: SEXP, out: &mut Printer) -> Result<(), WriteError> {
        if name == R_NaString {
            return Err(WriteError::new("an NA name".to_owned()));
        }
        match self.strings.get(&name) {
            Some(text) => out.repeat_key(text.clone()),
            None => {
                let text = with_utf8(name, |key| out.key(key))?;
                self.strings.insert(name, text);
            }
        }
        Ok(())
    }

    /// Writes the vector `x` of type `t`; returns where its text starts, and how deep it nests.
    unsafe fn atomic(&mut self, x: SEXP, t: SEXPTYPE, out: &mut Printer) -> Result<(usize, usize), WriteError> {
        let kind = if !bool::from(Rf_isObject(x)) {
            Atomic::Plain
        } else if Rf_isS4(x).into() {
            return Err(WriteError::new("an S4 object".to_owned()));
        } else if t == SEXPTYPE::INTSXP && Rf_inherits(x, c"factor".as_ptr()).into() {
            Atomic::Factor(Rf_getAttrib(x, R_LevelsSymbol))
        } else if t == SEXPTYPE::REALSXP && Rf_inherits(x, c"keras_integer".as_ptr()).into() {
            Atomic::KerasInteger
        } else {
            Atomic::Plain
        };
        let len = XLENGTH(x);
        if len == 1 {
            return Ok((self.element(x, t, 0, kind, out)?, 0));
        }
        let start = out.begin_array()?;
        for i in 0..len {
            self.element(x, t, i, kind, out).map_err(|e| e.within(Step::Index(i as usize + 1)))?;
        }
        out.end_array();
        Ok((start, 1))
    }

    /// Writes element `i` of `x`; returns where its text starts.
    unsafe fn element(
        &mut self,
        x: SEXP,
        t: SEXPTYPE,
        i: isize,
        kind: Atomic,
        out: &mut Printer,
    ) -> Result<usize, WriteError> {
        Ok(match t {
            SEXPTYPE::LGLSXP => match LOGICAL_ELT(x, i) {
                NA_INTEGER => return Err(WriteError::new("NA (a missing logical)".to_owned())),
                b => out.boolean(b != 0),
            },
            SEXPTYPE::INTSXP => match (INTEGER_ELT(x, i), kind) {
                (NA_INTEGER, _) => return Err(WriteError::new("NA (a missing integer)".to_owned())),
                (code, Atomic::Factor(levels)) => {
                    // The type first: XLENGTH of a factor's missing (NULL) levels is an R error.
                    let label = if TYPEOF(levels) == SEXPTYPE::STRSXP && code >= 1 && (code as isize) <= XLENGTH(levels)
                    {
                        STRING_ELT(levels, code as isize - 1)
                    } else {
                        R_NaString
                    };
                    self.string(label, out)?
                }
                (v, _) => out.integer(i64::from(v)),
            },
            SEXPTYPE::REALSXP => {
                let v = REAL_ELT(x, i);
                if R_IsNA(v) != 0 {
                    return Err(WriteError::new("NA (a missing double)".to_owned()));
                }
                match kind {
                    Atomic::KerasInteger => self.keras_integer(x, i, v, out)?,
                    _ => out.float(v),
                }
            }
            _ => self.string(STRING_ELT(x, i), out)?,
        })
    }

    /// Writes the string `c`; returns where its text starts.
    unsafe fn string(&mut self, c: SEXP, out: &mut Printer) -> Result<usize, WriteError> {
        if c == R_NaString {
            return Err(WriteError::new("NA (a missing string)".to_owned()));
        }
        Ok(match self.strings.get(&c) {
            Some(text) => out.repeat_value(text.clone()),
            None => {
                let start = with_utf8(c, |text| out.string(text))?;
                self.strings.insert(c, start..out.len());
                start
            }
        })
    }

    /// A `keras_integer` element: the text in its `digits` attribute while that still reads as
    /// the double's value (arithmetic keeps attributes, so it may be stale), else the double's
    /// exact integer value.
    unsafe fn keras_integer(&mut self, x: SEXP, i: isize, v: f64, out: &mut Printer) -> Result<usize, WriteError> {
        let digits = Rf_getAttrib(x, self.digits_symbol);
        if TYPEOF(digits) == SEXPTYPE::STRSXP && XLENGTH(digits) == XLENGTH(x) {
            let c = STRING_ELT(digits, i);
            if c != R_NaString {
                let written = with_utf8(c, |text| {
                    let exact = is_integer_text(text) && text.parse::<f64>().is_ok_and(|d| d == v);
                    exact.then(|| out.integer_digits(text))
                })?;
                if let Some(start) = written {
                    return Ok(start);
                }
            }
        }
        if !v.is_finite() || v.fract() != 0.0 {
            return Err(WriteError::new(format!("a keras_integer that is not a whole number ({v})")));
        }
        Ok(if v.abs() < 9.2e18 {
            out.integer(v as i64)
        } else {
            // `{:.0}` prints a double's exact decimal value.
            out.integer_digits(&format!("{v:.0}"))
        })
    }
}

/// The elements of a list or character vector, read in place when R has them in memory (one
/// libR call instead of one per element).
unsafe fn elements<'a>(x: SEXP) -> Cow<'a, [SEXP]> {
    let len = XLENGTH(x) as usize;
    let data = DATAPTR_OR_NULL(x) as *const SEXP;
    if len == 0 {
        Cow::Borrowed(&[])
    } else if !data.is_null() {
        // SAFETY: `x` holds `len` pointers there while it lives, and writing changes nothing.
        Cow::Borrowed(std::slice::from_raw_parts(data, len))
    } else {
        // An ALTREP vector not yet in memory: ask element by element. That may allocate: R's own
        // deferred strings cache what they make in `x`, so the pointers stay valid while `x`
        // lives; an ALTREP class that does not cache could hand out elements the next garbage
        // collection frees (a known limit: none such is used for configs).
        let get = if TYPEOF(x) == SEXPTYPE::STRSXP { STRING_ELT } else { VECTOR_ELT };
        Cow::Owned((0..len as isize).map(|i| get(x, i)).collect())
    }
}

/// Runs `f` on the UTF-8 text of the CHARSXP `c`.
unsafe fn with_utf8<T>(c: SEXP, f: impl FnOnce(&str) -> T) -> Result<T, WriteError> {
    let own = std::slice::from_raw_parts(R_CHAR(c) as *const u8, LENGTH(c) as usize);
    let encoding = Rf_getCharCE(c);
    // UTF-8 and ASCII need no translation, and so no transient memory.
    if encoding == cetype_t::CE_UTF8 || (encoding != cetype_t::CE_BYTES && own.is_ascii()) {
        return utf8(own).map(f);
    }
    let vmax = vmaxget();
    let result =
        char_utf8(c).map_err(|problem| WriteError::new(problem.to_owned())).and_then(|bytes| utf8(bytes).map(f));
    vmaxset(vmax);
    result
}

fn utf8(bytes: &[u8]) -> Result<&str, WriteError> {
    std::str::from_utf8(bytes).map_err(|_| WriteError::new("a string that is not valid UTF-8".to_owned()))
}

/// R's `typeof()` names of the types that cannot be written.
fn type_name(t: SEXPTYPE) -> &'static str {
    match t {
        SEXPTYPE::SYMSXP => "symbol",
        SEXPTYPE::LISTSXP => "pairlist",
        SEXPTYPE::CLOSXP => "closure",
        SEXPTYPE::ENVSXP => "environment",
        SEXPTYPE::PROMSXP => "promise",
        SEXPTYPE::LANGSXP => "language",
        SEXPTYPE::SPECIALSXP => "special",
        SEXPTYPE::BUILTINSXP => "builtin",
        SEXPTYPE::CHARSXP => "char",
        SEXPTYPE::CPLXSXP => "complex",
        SEXPTYPE::DOTSXP => "...",
        SEXPTYPE::EXPRSXP => "expression",
        SEXPTYPE::BCODESXP => "bytecode",
        SEXPTYPE::EXTPTRSXP => "externalptr",
        SEXPTYPE::WEAKREFSXP => "weakref",
        SEXPTYPE::RAWSXP => "raw",
        _ => "unknown",
    }
}
