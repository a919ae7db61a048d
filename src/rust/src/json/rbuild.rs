//! A [`Sink`] that builds R values straight from the parser with R's C API: extendr's safe API
//! takes a global lock and a hash insert per object, about ten times the cost of the objects.
//!
//! What it builds: objects → named lists in key order (a repeated key keeps its first position
//! and its last value, as in Python); arrays → unnamed lists; `null` → `NULL` elements;
//! `true`/`false` → logical(1); integers in R's integer range → integer(1); other integers → a
//! double of class `keras_integer`, with attribute `digits` (the exact text) when its magnitude
//! exceeds 2^53, beyond which doubles skip integers; other numbers → double(1); strings →
//! character(1) in UTF-8.
//!
//! Each distinct string becomes one CHARSXP, looked up in a Rust map before asking R's global
//! string cache, which costs more per call. Equal scalars (strings, integers, doubles) and equal
//! key lists share one R object each, as
//! R's copy-on-modify allows: a config repeats a few values and key lists many times, and the
//! allocations saved are most of the parse's cost (R's garbage collector). R code cannot tell;
//! C or Rust code must not modify the values in place (it must not anyway).
//!
//! # Safety argument
//! Every R object the builder creates is, before the next R allocation, either stored in one of
//! four protected stacks or protected on its own for the few calls in between. The stacks are an
//! R list of finished values waiting for their container, an R character vector of keys waiting
//! for theirs, an R list of every shared object and an R character vector of every string made;
//! Rust vectors and maps mirror them so that reads, comparisons and lookups cost no R calls. R's
//! collector does not move objects, so the mirrored pointers (and the string bytes they point
//! to) stay valid while their R stack holds them. The builder uses five slots of R's protection
//! stack, plus at most two temporaries, whatever the nesting depth.
//!
//! The R calls used here signal an R error (a long jump) only when memory runs out:
//! `Rf_mkCharLenCE` would also for an embedded NUL or a length over `i32::MAX`, which the parser
//! refuses first ([`Sink::ACCEPTS_NUL`], [`Sink::MAX_STRING_BYTES`]). On such a jump the Rust
//! frames above are skipped and their buffers leak; R resets its protection stack itself.

use super::codec::read::Sink;
use super::rapi::{ProtectIndex, R_ProtectWithIndex, R_Reprotect, Rf_ScalarLogical, Rf_ScalarReal, Rf_ScalarString};
use extendr_ffi::{
    cetype_t, R_ClassSymbol, R_NamesSymbol, R_NilValue, Rf_allocVector, Rf_install, Rf_mkCharLenCE, Rf_protect,
    Rf_ScalarInteger, Rf_setAttrib, Rf_unprotect, SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE,
};
use extendr_ffi::R_CHAR;
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::os::raw::{c_char, c_int};

/// 2^53: every integer up to this magnitude is exactly a double; past it, doubles skip some.
const EXACT_DOUBLE_LIMIT: u64 = 1 << 53;

/// Objects with more keys than this are checked for repeats by sorting, not pairwise.
const PAIRWISE_KEY_CHECK_MAX: usize = 16;

pub struct RBuilder {
    values: Stack,
    keys: Stack,
    /// Every shared object, so that the maps below may point at them.
    shared: Stack,
    /// Every CHARSXP made, so that `strings` may point at them and into their bytes.
    chars: Stack,
    strings: FastMap<CharText, Interned>,
    integers: FastMap<i32, SEXP>,
    /// double(1) by bit pattern, so `-0` and `0` stay apart.
    doubles: FastMap<u64, SEXP>,
    /// `names` vectors by their CHARSXPs.
    key_lists: FastMap<Box<[SEXP]>, SEXP>,
    /// Lists by their `names` (or `R_NilValue`) followed by their items.
    lists: FastMap<Box<[SEXP]>, SEXP>,
    /// The key of the list being closed, for `lists`.
    list_key: Vec<SEXP>,
    /// `"keras_integer"`, shared as the class of every such value.
    keras_integer_class: SEXP,
    digits_symbol: SEXP,
    scratch: Vec<SEXP>,
}

impl RBuilder {
    /// # Safety
    /// Call on R's main thread, and drop the builder before anything else unprotects: it pops its
    /// five protection slots when dropped.
    pub unsafe fn new() -> Self {
        let values = Stack::new(SEXPTYPE::VECSXP);
        let keys = Stack::new(SEXPTYPE::STRSXP);
        let shared = Stack::new(SEXPTYPE::VECSXP);
        let chars = Stack::new(SEXPTYPE::STRSXP);
        let keras_integer_class = Rf_protect(Rf_allocVector(SEXPTYPE::STRSXP, 1));
        SET_STRING_ELT(keras_integer_class, 0, mkchar("keras_integer"));
        RBuilder {
            values,
            keys,
            shared,
            chars,
            strings: FastMap::default(),
            integers: FastMap::default(),
            doubles: FastMap::default(),
            key_lists: FastMap::default(),
            lists: FastMap::default(),
            list_key: Vec::new(),
            keras_integer_class,
            digits_symbol: Rf_install(c"digits".as_ptr()),
            scratch: Vec::new(),
        }
    }

    /// The value parsed. Call only after a successful parse; it stays protected until the builder
    /// is dropped.
    pub fn finish(&self) -> SEXP {
        debug_assert_eq!(self.values.items.len(), 1);
        self.values.items[0]
    }

    fn push(&mut self, x: SEXP) {
        // SAFETY: `x` is a fresh object; the stack protects it.
        unsafe { self.values.push(x) }
    }

    /// The CHARSXP of `text`, and its character(1) if one was made: each made once per parse.
    fn intern(&mut self, text: &str) -> Interned {
        if let Some(&interned) = self.strings.get(text.as_bytes()) {
            return interned;
        }
        // SAFETY: the CHARSXP is protected by `chars` before anything else allocates, and its
        // bytes stay put (and unchanged) while it is.
        unsafe {
            let c = mkchar(text);
            self.chars.push(c);
            self.strings.insert(CharText::of(c, text.len()), Interned { c, scalar: None });
            Interned { c, scalar: None }
        }
    }

    /// The list of `list_key[1..]` named by `list_key[0]` (`R_NilValue`: no names), made once per
    /// distinct content and shared after. Its items must be on the value stack.
    fn shared_list(&mut self) -> SEXP {
        if let Some(&list) = self.lists.get(self.list_key.as_slice()) {
            return list;
        }
        let (names, items) = (self.list_key[0], &self.list_key[1..]);
        // SAFETY: the items are protected by the value stack, and `list` by `Rf_protect` while
        // `Rf_setAttrib` allocates, then by `shared`.
        let list = unsafe {
            let list = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, items.len() as isize));
            for (i, &item) in items.iter().enumerate() {
                SET_VECTOR_ELT(list, i as isize, item);
            }
            if names != R_NilValue {
                Rf_setAttrib(list, R_NamesSymbol, names);
            }
            Self::share(&mut self.shared, list);
            Rf_unprotect(1);
            list
        };
        self.lists.insert(self.list_key.as_slice().into(), list);
        list
    }

    /// Keeps `x` alive for the whole parse, so a map may hand it out again.
    fn share(shared: &mut Stack, x: SEXP) -> SEXP {
        // SAFETY: `x` is a fresh object; the stack protects it.
        unsafe { shared.push(x) };
        x
    }

    /// A double of class `keras_integer`, with its exact text when the double cannot hold it.
    fn keras_integer(&mut self, value: f64, digits: Option<&str>) {
        // SAFETY: `x` and its `digits` attribute are protected while attributes are set (setting
        // one allocates a pairlist cell).
        unsafe {
            let x = Rf_protect(Rf_ScalarReal(value));
            if let Some(digits) = digits {
                let text = Rf_protect(Rf_ScalarString(mkchar(digits)));
                Rf_setAttrib(x, self.digits_symbol, text);
                Rf_unprotect(1);
            }
            Rf_setAttrib(x, R_ClassSymbol, self.keras_integer_class);
            Rf_unprotect(1);
            self.push(x);
        }
    }

    /// Whether the `len` keys on top of the key stack repeat one.
    fn keys_repeat(&mut self, len: usize) -> bool {
        let keys = &self.keys.items[self.keys.items.len() - len..];
        if len <= PAIRWISE_KEY_CHECK_MAX {
            // R caches strings: equal keys are the same CHARSXP, so pointers compare.
            return keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k));
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(keys);
        self.scratch.sort_unstable();
        self.scratch.windows(2).any(|w| w[0] == w[1])
    }

    /// The members of an object whose keys repeat, as Python's dict has them: each key once, at
    /// its first position, with its last value.
    fn last_value_per_key(&self, key_start: usize, value_start: usize) -> (Vec<SEXP>, Vec<SEXP>) {
        let mut slot_of: FastMap<SEXP, usize> = FastMap::default();
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        for (&key, &value) in self.keys.items[key_start..].iter().zip(&self.values.items[value_start..]) {
            match slot_of.get(&key) {
                Some(&slot) => values[slot] = value,
                None => {
                    slot_of.insert(key, keys.len());
                    keys.push(key);
                    values.push(value);
                }
            }
        }
        (keys, values)
    }
}

impl Drop for RBuilder {
    fn drop(&mut self) {
        // SAFETY: the five slots `new` protected are on top: every other protect is balanced.
        unsafe { Rf_unprotect(5) }
    }
}

impl Sink for RBuilder {
    const ACCEPTS_NUL: bool = false;
    const MAX_STRING_BYTES: usize = i32::MAX as usize;

    fn null(&mut self) {
        // SAFETY: `R_NilValue` is a constant of R's.
        self.push(unsafe { R_NilValue });
    }

    fn boolean(&mut self, value: bool) {
        self.push(unsafe { Rf_ScalarLogical(c_int::from(value)) });
    }

    fn integer(&mut self, value: i64) {
        // R's integers run from -(2^31 - 1): -2^31 is its `NA_integer_`.
        if value > i64::from(i32::MIN) && value <= i64::from(i32::MAX) {
            let shared = &mut self.shared;
            let x = *self
                .integers
                .entry(value as i32)
                .or_insert_with(|| Self::share(shared, unsafe { Rf_ScalarInteger(value as c_int) }));
            self.push(x);
        } else if value.unsigned_abs() > EXACT_DOUBLE_LIMIT {
            self.keras_integer(value as f64, Some(&value.to_string()));
        } else {
            self.keras_integer(value as f64, None);
        }
    }

    fn big_integer(&mut self, digits: &str) {
        // An integer literal is a valid float literal; past the double range it parses to ±Inf,
        // and `digits` still keeps it exactly.
        let value = digits.parse::<f64>().unwrap_or(f64::NAN);
        self.keras_integer(value, Some(digits));
    }

    fn float(&mut self, value: f64) {
        let shared = &mut self.shared;
        let x = *self.doubles.entry(value.to_bits()).or_insert_with(|| Self::share(shared, unsafe { Rf_ScalarReal(value) }));
        self.push(x);
    }

    fn string(&mut self, value: &str) {
        let x = match self.intern(value) {
            Interned { scalar: Some(x), .. } => x,
            Interned { c, scalar: None } => {
                let x = Self::share(&mut self.shared, unsafe { Rf_ScalarString(c) });
                if let Some(interned) = self.strings.get_mut(value.as_bytes()) {
                    interned.scalar = Some(x);
                }
                x
            }
        };
        self.push(x);
    }

    fn begin_array(&mut self) {}

    fn end_array(&mut self, len: usize) {
        let start = self.values.items.len() - len;
        self.list_key.clear();
        // SAFETY: `R_NilValue` is a constant of R's.
        self.list_key.push(unsafe { R_NilValue });
        self.list_key.extend_from_slice(&self.values.items[start..]);
        let list = self.shared_list();
        self.values.truncate(start);
        self.push(list);
    }

    fn begin_object(&mut self) {}

    fn key(&mut self, key: &str) {
        let c = self.intern(key).c;
        // SAFETY: `c` is protected by `chars`.
        unsafe { self.keys.push(c) }
    }

    fn end_object(&mut self, len: usize) {
        let value_start = self.values.items.len() - len;
        let key_start = self.keys.items.len() - len;
        let resolved = self.keys_repeat(len).then(|| self.last_value_per_key(key_start, value_start));
        let (keys, values) = match &resolved {
            Some((keys, values)) => (&keys[..], &values[..]),
            None => (&self.keys.items[key_start..], &self.values.items[value_start..]),
        };
        let names = match self.key_lists.get(keys) {
            Some(&names) => names,
            None => {
                // SAFETY: the keys are protected by their stack until `names` holds them, and
                // `names` is shared before anything else allocates.
                let names = unsafe {
                    let names = Rf_allocVector(SEXPTYPE::STRSXP, keys.len() as isize);
                    for (i, &key) in keys.iter().enumerate() {
                        SET_STRING_ELT(names, i as isize, key);
                    }
                    names
                };
                let names = Self::share(&mut self.shared, names);
                self.key_lists.insert(keys.into(), names);
                names
            }
        };
        self.list_key.clear();
        self.list_key.push(names);
        self.list_key.extend_from_slice(values);
        let list = self.shared_list();
        self.keys.truncate(key_start);
        self.values.truncate(value_start);
        self.push(list);
    }
}

/// A UTF-8 CHARSXP. `text` must be shorter than 2^31 bytes and hold no NUL (see module docs).
unsafe fn mkchar(text: &str) -> SEXP {
    Rf_mkCharLenCE(text.as_ptr() as *const c_char, text.len() as c_int, cetype_t::CE_UTF8)
}

/// A protected R vector (a list or a character vector) used as a stack, with a Rust mirror of
/// its live part.
struct Stack {
    vector: SEXP,
    slot: ProtectIndex,
    kind: SEXPTYPE,
    capacity: usize,
    items: Vec<SEXP>,
}

impl Stack {
    const INITIAL_CAPACITY: usize = 256;

    /// Takes one protection slot, which the owner must release.
    unsafe fn new(kind: SEXPTYPE) -> Self {
        let vector = Rf_allocVector(kind, Self::INITIAL_CAPACITY as isize);
        let mut slot: ProtectIndex = 0;
        R_ProtectWithIndex(vector, &mut slot);
        Stack { vector, slot, kind, capacity: Self::INITIAL_CAPACITY, items: Vec::with_capacity(Self::INITIAL_CAPACITY) }
    }

    /// Pushes `x`, which may be unprotected: it is protected while the stack grows.
    unsafe fn push(&mut self, x: SEXP) {
        if self.items.len() == self.capacity {
            Rf_protect(x);
            self.grow();
            Rf_unprotect(1);
        }
        self.set(self.vector, self.items.len(), x);
        self.items.push(x);
    }

    /// Forgets the items from `len` on. The R vector keeps referring to them until overwritten,
    /// which only delays their collection until the parse ends.
    fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    unsafe fn grow(&mut self) {
        let capacity = self.capacity * 2;
        let vector = Rf_allocVector(self.kind, capacity as isize);
        R_Reprotect(vector, self.slot);
        for (i, &item) in self.items.iter().enumerate() {
            self.set(vector, i, item);
        }
        self.vector = vector;
        self.capacity = capacity;
    }

    unsafe fn set(&self, vector: SEXP, i: usize, x: SEXP) {
        match self.kind {
            SEXPTYPE::STRSXP => SET_STRING_ELT(vector, i as isize, x),
            _ => {
                SET_VECTOR_ELT(vector, i as isize, x);
            }
        }
    }
}

/// A string made for this parse: its CHARSXP, and its character(1) once a value needed one.
#[derive(Clone, Copy)]
struct Interned {
    c: SEXP,
    scalar: Option<SEXP>,
}

/// The bytes of a CHARSXP, as a map key compared and hashed by content. Valid while the CHARSXP
/// is protected, which `RBuilder::chars` ensures for every key of `RBuilder::strings`.
#[derive(Clone, Copy)]
struct CharText {
    ptr: *const u8,
    len: usize,
}

impl CharText {
    /// # Safety
    /// `c` must be a CHARSXP of `len` bytes, protected while the key is in use.
    unsafe fn of(c: SEXP, len: usize) -> Self {
        CharText { ptr: R_CHAR(c) as *const u8, len }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: see the type: the CHARSXP, and so its bytes, outlive the map.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Borrow<[u8]> for CharText {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl Hash for CharText {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `[u8]` hashes, so that lookups by `&[u8]` find it.
        self.bytes().hash(state);
    }
}

impl PartialEq for CharText {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for CharText {}

/// Maps keyed by R pointers, numbers and strings of the input, with foldhash: several times
/// faster than the standard SipHash on such keys, and seeded per process, so that crafted
/// collisions cannot make a parse quadratic.
type FastMap<K, V> = foldhash::HashMap<K, V>;
