//! A [`Source`] over R values, read with R's C API. What it writes: `NULL` → `null`; a list with
//! a `names` attribute → an object, without → an array; an atomic vector of length 1 → a
//! scalar, of any other length → an array; a factor → its labels; a `keras_integer` double →
//! integer text (its `digits` attribute when that is still its value). `NA` of any type, S4
//! objects and other types are refused with the path to the offending element, because writing
//! them silently would produce a config Keras reads differently.

use super::codec::write::{is_integer_text, Printer, Source, TooDeep};
use super::codec::MAX_DEPTH;
use super::rapi::{char_utf8, vmaxget, vmaxset, Rf_inherits};
use extendr_ffi::{
    R_IsNA, R_LevelsSymbol, R_NaString, R_NamesSymbol, R_NilValue, Rf_getAttrib, Rf_install, Rf_isObject, Rf_isS4,
    INTEGER_ELT, LOGICAL_ELT, REAL_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};

/// `NA_integer_` and `NA` (logical) in R's storage.
const NA_INTEGER: i32 = i32::MIN;

/// An R value to write. The caller keeps it alive (a `.Call` argument is).
pub struct RValue {
    root: SEXP,
    digits_symbol: SEXP,
}

impl RValue {
    /// # Safety
    /// Call on R's main thread; `root` must stay protected while the value is written.
    pub unsafe fn new(root: SEXP) -> Self {
        RValue { root, digits_symbol: Rf_install(c"digits".as_ptr()) }
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
        "if", "else", "repeat", "while", "function", "for", "in", "next", "break", "TRUE", "FALSE", "NULL", "Inf",
        "NaN", "NA", "NA_integer_", "NA_real_", "NA_character_", "NA_complex_",
    ];
    let bytes = name.as_bytes();
    let starts_well = match bytes {
        [b'.', b'.', ..] => false, // `...` and `..1` are special
        [b'.', second, ..] => !second.is_ascii_digit(),
        [b'.'] => true,
        [first, ..] => first.is_ascii_alphabetic(),
        [] => false,
    };
    starts_well && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_') && !RESERVED.contains(&name)
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
        // SAFETY: `root` is protected by the caller (see `new`); everything reached from it is
        // protected through it, and writing allocates nothing in R.
        unsafe { self.value(self.root, out) }
    }
}

impl RValue {
    unsafe fn value(&self, x: SEXP, out: &mut Printer) -> Result<(), WriteError> {
        if Rf_isS4(x).into() {
            return Err(WriteError::new("an S4 object".to_owned()));
        }
        match TYPEOF(x) {
            SEXPTYPE::NILSXP => out.null(),
            SEXPTYPE::VECSXP => self.list(x, out)?,
            SEXPTYPE::LGLSXP | SEXPTYPE::INTSXP | SEXPTYPE::REALSXP | SEXPTYPE::STRSXP => self.atomic(x, out)?,
            other => return Err(WriteError::new(format!("an object of type '{}'", type_name(other)))),
        }
        Ok(())
    }

    unsafe fn list(&self, x: SEXP, out: &mut Printer) -> Result<(), WriteError> {
        let len = XLENGTH(x);
        let names = Rf_getAttrib(x, R_NamesSymbol);
        if names == R_NilValue {
            out.begin_array()?;
            for i in 0..len {
                self.value(VECTOR_ELT(x, i), out).map_err(|e| e.within(Step::Index(i as usize + 1)))?;
            }
            out.end_array();
        } else {
            out.begin_object()?;
            for i in 0..len {
                let name = STRING_ELT(names, i);
                if name == R_NaString {
                    return Err(WriteError::new("an NA name".to_owned()).within(Step::Index(i as usize + 1)));
                }
                let written = with_utf8(name, |key| {
                    out.key(key);
                    self.value(VECTOR_ELT(x, i), out).map_err(|e| e.within(Step::Name(key.to_owned())))
                });
                match written {
                    Ok(value_written) => value_written?,
                    // The name itself cannot be written: point at it by position.
                    Err(e) => return Err(e.within(Step::Index(i as usize + 1))),
                }
            }
            out.end_object();
        }
        Ok(())
    }

    unsafe fn atomic(&self, x: SEXP, out: &mut Printer) -> Result<(), WriteError> {
        let kind = if !bool::from(Rf_isObject(x)) {
            Atomic::Plain
        } else if TYPEOF(x) == SEXPTYPE::INTSXP && Rf_inherits(x, c"factor".as_ptr()).into() {
            Atomic::Factor(Rf_getAttrib(x, R_LevelsSymbol))
        } else if TYPEOF(x) == SEXPTYPE::REALSXP && Rf_inherits(x, c"keras_integer".as_ptr()).into() {
            Atomic::KerasInteger
        } else {
            Atomic::Plain
        };
        let len = XLENGTH(x);
        if len == 1 {
            return self.element(x, 0, kind, out);
        }
        out.begin_array()?;
        for i in 0..len {
            self.element(x, i, kind, out).map_err(|e| e.within(Step::Index(i as usize + 1)))?;
        }
        out.end_array();
        Ok(())
    }

    unsafe fn element(&self, x: SEXP, i: isize, kind: Atomic, out: &mut Printer) -> Result<(), WriteError> {
        match TYPEOF(x) {
            SEXPTYPE::LGLSXP => match LOGICAL_ELT(x, i) {
                NA_INTEGER => return Err(WriteError::new("NA (a missing logical)".to_owned())),
                b => out.boolean(b != 0),
            },
            SEXPTYPE::INTSXP => match (INTEGER_ELT(x, i), kind) {
                (NA_INTEGER, _) => return Err(WriteError::new("NA (a missing integer)".to_owned())),
                (code, Atomic::Factor(levels)) => {
                    let label = if code >= 1 && (code as isize) <= XLENGTH(levels) && TYPEOF(levels) == SEXPTYPE::STRSXP {
                        STRING_ELT(levels, code as isize - 1)
                    } else {
                        R_NaString
                    };
                    self.string(label, out)?;
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
        }
        Ok(())
    }

    unsafe fn string(&self, c: SEXP, out: &mut Printer) -> Result<(), WriteError> {
        if c == R_NaString {
            return Err(WriteError::new("NA (a missing string)".to_owned()));
        }
        with_utf8(c, |text| out.string(text))
    }

    /// A `keras_integer` element: the text in its `digits` attribute while that still reads as
    /// the double's value (arithmetic keeps attributes, so it may be stale), else the double's
    /// exact integer value.
    unsafe fn keras_integer(&self, x: SEXP, i: isize, v: f64, out: &mut Printer) -> Result<(), WriteError> {
        let digits = Rf_getAttrib(x, self.digits_symbol);
        if TYPEOF(digits) == SEXPTYPE::STRSXP && XLENGTH(digits) == XLENGTH(x) {
            let c = STRING_ELT(digits, i);
            if c != R_NaString {
                let exact = with_utf8(c, |text| {
                    let exact = is_integer_text(text) && text.parse::<f64>().is_ok_and(|d| d == v);
                    if exact {
                        out.integer_digits(text);
                    }
                    exact
                })?;
                if exact {
                    return Ok(());
                }
            }
        }
        if !v.is_finite() || v.fract() != 0.0 {
            return Err(WriteError::new(format!("a keras_integer that is not a whole number ({v})")));
        }
        if v.abs() < 9.2e18 {
            out.integer(v as i64);
        } else {
            // `{:.0}` prints a double's exact decimal value.
            out.integer_digits(&format!("{v:.0}"));
        }
        Ok(())
    }
}

/// Runs `f` on the UTF-8 text of the CHARSXP `c`, releasing any translation buffer afterwards.
unsafe fn with_utf8<T>(c: SEXP, f: impl FnOnce(&str) -> T) -> Result<T, WriteError> {
    let vmax = vmaxget();
    let result = match char_utf8(c) {
        Ok(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(f(text)),
            Err(_) => Err(WriteError::new("a string that is not valid UTF-8".to_owned())),
        },
        Err(problem) => Err(WriteError::new(problem.to_owned())),
    };
    vmaxset(vmax);
    result
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
