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
//! Equal values share one R object: each distinct string, scalar, key list (`names` vector) and
//! list (same names, same item objects) is made once per parse, as R's copy-on-modify allows. A
//! config repeats most of its values and whole sub-objects (dtype policies, initializers), and
//! R's allocations and garbage collections were most of the parse's cost; sharing also keeps
//! the result small. R code cannot tell; C or Rust code must not modify the values in place (it
//! must not anyway). Strings are looked up in a Rust map before R's global string cache, which
//! costs more per call.
//!
//! # Safety argument
//! Every R object the builder makes is stored, before the next R allocation, in one of two
//! protected R vectors used as stacks, `made` (a list) and `chars` (a character vector, for
//! CHARSXPs), or protected on its own for the few calls in between. So every pointer the builder
//! holds in Rust (pending values and keys, map entries) is to a live object, or to one of R's
//! constants (`NULL`, `TRUE`, `FALSE`): R's collector does not move objects. The builder uses
//! two slots of R's protection stack, plus at most two temporaries, whatever the size or
//! nesting of the input. When dropped, it empties `made` (so that reference counts are right,
//! see `Stack::forget_all`): the result must be protected otherwise by then.
//!
//! The R calls used here signal an R error (a long jump) only when memory runs out:
//! `Rf_mkCharLenCE` would also for an embedded NUL or a length over `i32::MAX`, which the parser
//! refuses first ([`Sink::ACCEPTS_NUL`], [`Sink::MAX_STRING_BYTES`]). On such a jump the Rust
//! frames above are skipped and their buffers leak; R resets its protection stack itself.

use super::rapi::{ProtectIndex, R_ProtectWithIndex, R_Reprotect, Rf_ScalarLogical, Rf_ScalarReal, Rf_ScalarString};
use extendr_ffi::{
    cetype_t, R_ClassSymbol, R_NamesSymbol, R_NilValue, Rf_ScalarInteger, Rf_allocVector, Rf_cons, Rf_install,
    Rf_mkCharLenCE, Rf_protect, Rf_setAttrib, Rf_unprotect, SET_ATTRIB, SET_STRING_ELT, SET_TAG, SET_VECTOR_ELT, SEXP,
    SEXPTYPE, STRING_ELT, VECTOR_ELT,
};
use kerasconfig_core::{ByContent, Sink};
use std::cell::Cell;
use std::os::raw::{c_char, c_int};

/// 2^53: every integer up to this magnitude is exactly a double; past it, doubles skip some.
const EXACT_DOUBLE_LIMIT: u64 = 1 << 53;

/// Objects with more keys than this are checked for repeats by sorting, not pairwise.
const PAIRWISE_KEY_CHECK_MAX: usize = 16;

pub struct RBuilder {
    /// Every object made, except CHARSXPs.
    made: Stack,
    /// Every CHARSXP made.
    chars: Stack,
    t: Tables,
    /// `"keras_integer"`, the class of every such value.
    keras_integer_class: SEXP,
    digits_symbol: SEXP,
}

/// The builder's Rust-side state. It points at this parse's R objects, so it is emptied when the
/// parse ends, but its memory is kept for the next parse: configs are often parsed by the
/// hundred, and setting the tables up again cost a tenth of a small parse.
struct Tables {
    /// Finished values waiting for their container.
    values: Vec<SEXP>,
    /// Keys (CHARSXPs) waiting for their object.
    keys: Vec<SEXP>,
    /// Every string made, found by its text through `strings`.
    interned: Vec<Interned>,
    strings: ByContent<u8, usize>,
    integers: FastMap<i32, SEXP>,
    /// double(1) by bit pattern, so that `-0` and `0` stay apart.
    doubles: FastMap<u64, SEXP>,
    /// `names` vectors by their CHARSXPs.
    key_lists: ByContent<SEXP, SEXP>,
    /// Lists by their `names` (`R_NilValue` for none) followed by their items.
    lists: ByContent<SEXP, SEXP>,
    /// The `lists` key of the list being closed.
    list_key: Vec<SEXP>,
    /// For each open array and object, how many objects had been made when it opened.
    made_before: Vec<usize>,
    /// Room for sorting an object's keys.
    sorted_keys: Vec<SEXP>,
}

thread_local! {
    /// The tables of the last parse, emptied, for the next one (R calls from one thread).
    static SPARE_TABLES: Cell<Option<Tables>> = const { Cell::new(None) };
}

impl Tables {
    /// Past room for this many entries, tables are dropped rather than kept: emptying them would
    /// cost the next parse more than making new ones, and their memory would stay taken.
    const KEEP_MAX: usize = 1 << 15;

    fn new() -> Self {
        Tables {
            values: Vec::new(),
            keys: Vec::new(),
            interned: Vec::new(),
            strings: ByContent::new(),
            integers: FastMap::default(),
            doubles: FastMap::default(),
            key_lists: ByContent::new(),
            lists: ByContent::new(),
            list_key: Vec::new(),
            made_before: Vec::new(),
            sorted_keys: Vec::new(),
        }
    }

    fn take() -> Self {
        SPARE_TABLES.take().unwrap_or_else(Tables::new)
    }

    fn give_back(mut self) {
        let largest = [
            self.interned.capacity(),
            self.strings.capacity(),
            self.integers.capacity(),
            self.doubles.capacity(),
            self.key_lists.capacity(),
            self.lists.capacity(),
        ];
        if largest.into_iter().any(|capacity| capacity > Self::KEEP_MAX) {
            return;
        }
        self.values.clear();
        self.keys.clear();
        self.interned.clear();
        self.strings.clear();
        self.integers.clear();
        self.doubles.clear();
        self.key_lists.clear();
        self.lists.clear();
        self.list_key.clear();
        self.made_before.clear();
        self.sorted_keys.clear();
        SPARE_TABLES.set(Some(self));
    }
}

impl RBuilder {
    /// A builder for a text of `input_len` bytes, which sizes its R stacks.
    ///
    /// # Safety
    /// Call on R's main thread, and drop the builder before anything else unprotects: it pops its
    /// two protection slots when dropped.
    pub unsafe fn new(input_len: usize) -> Self {
        // Configs hold a distinct object every hundred bytes or so; growing is cheap, but a small
        // text should not pay for a large start.
        let expected = (input_len / 128).clamp(16, 2048);
        let mut made = Stack::new(SEXPTYPE::VECSXP, expected);
        let chars = Stack::new(SEXPTYPE::STRSXP, expected);
        let keras_integer_class = made.push(Rf_allocVector(SEXPTYPE::STRSXP, 1));
        SET_STRING_ELT(keras_integer_class, 0, mkchar("keras_integer"));
        RBuilder { made, chars, t: Tables::take(), keras_integer_class, digits_symbol: Rf_install(c"digits".as_ptr()) }
    }

    /// The value parsed. Call only after a successful parse; it stays protected until the builder
    /// is dropped, so protect it otherwise before.
    pub fn finish(&self) -> SEXP {
        debug_assert_eq!(self.t.values.len(), 1);
        self.t.values[0]
    }

    /// Keeps `x`, just made, alive for the whole parse.
    fn keep(made: &mut Stack, x: SEXP) -> SEXP {
        // SAFETY: `made` protects `x` (and itself while it grows).
        unsafe { made.push(x) }
    }

    /// The index in `interned` of the string of `text`, made on its first use.
    fn intern(&mut self, text: &str) -> usize {
        let (interned, chars) = (&mut self.t.interned, &mut self.chars);
        *self.t.strings.get_or_insert_with(text.as_bytes(), || {
            // SAFETY: `chars` protects the CHARSXP.
            interned.push(Interned { c: unsafe { chars.push(mkchar(text)) }, scalar: None });
            interned.len() - 1
        })
    }

    /// How many objects (CHARSXPs included) have been made.
    fn made_count(&self) -> usize {
        self.made.len + self.chars.len
    }

    /// The list of `list_key[1..]` named by `list_key[0]` (`R_NilValue`: no names), for the
    /// container opened last. When something was made while it was open, one of its items is
    /// new, so no list made before can be equal: it is made without looking, and not recorded
    /// (an equal list later is made again, as is any list holding one).
    fn shared_list(&mut self) -> SEXP {
        let made_before = self.t.made_before.pop().unwrap_or(0);
        if self.made_count() > made_before {
            return Self::make_list(&mut self.made, &self.t.list_key);
        }
        let (made, key) = (&mut self.made, &self.t.list_key);
        *self.t.lists.get_or_insert_with(key, || Self::make_list(made, key))
    }

    fn make_list(made: &mut Stack, key: &[SEXP]) -> SEXP {
        let (names, items) = (key[0], &key[1..]);
        // SAFETY: the names and items are protected already (or are R constants); `list` is
        // protected by `Rf_protect` while its names' attribute cell is allocated.
        unsafe {
            let list = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, items.len() as isize));
            for (i, &item) in items.iter().enumerate() {
                SET_VECTOR_ELT(list, i as isize, item);
            }
            if names != R_NilValue {
                // `Rf_namesgets()` without its checks and coercions: a new list, and a character
                // vector of its length made by `shared_names` (a tenth of parsing time).
                let cell = Rf_cons(names, R_NilValue);
                SET_TAG(cell, R_NamesSymbol);
                SET_ATTRIB(list, cell);
            }
            Self::keep(made, list);
            Rf_unprotect(1);
            list
        }
    }

    /// The `names` vector of the `len` keys on top of the key stack.
    fn shared_names(&mut self, len: usize) -> SEXP {
        let (made, keys) = (&mut self.made, &self.t.keys[self.t.keys.len() - len..]);
        *self.t.key_lists.get_or_insert_with(keys, || {
            // SAFETY: the keys are protected by `chars`; nothing allocates between the allocation
            // of `names` and `keep`.
            unsafe {
                let names = Rf_allocVector(SEXPTYPE::STRSXP, keys.len() as isize);
                for (i, &key) in keys.iter().enumerate() {
                    SET_STRING_ELT(names, i as isize, key);
                }
                Self::keep(made, names)
            }
        })
    }

    /// A double of class `keras_integer`, with its exact text when the double cannot hold it.
    fn keras_integer(&mut self, value: f64, digits: Option<&str>) {
        // SAFETY: `x` is kept before its attributes are set (setting one allocates a pairlist
        // cell); the `digits` text is protected while it is set.
        unsafe {
            let x = Self::keep(&mut self.made, Rf_ScalarReal(value));
            if let Some(digits) = digits {
                let text = Rf_protect(Rf_ScalarString(mkchar(digits)));
                Rf_setAttrib(x, self.digits_symbol, text);
                Rf_unprotect(1);
            }
            Rf_setAttrib(x, R_ClassSymbol, self.keras_integer_class);
            self.t.values.push(x);
        }
    }

    /// Whether the `len` keys on top of the key stack repeat one.
    fn keys_repeat(&mut self, len: usize) -> bool {
        let keys = &self.t.keys[self.t.keys.len() - len..];
        if len <= PAIRWISE_KEY_CHECK_MAX {
            // Equal keys are the same CHARSXP: pointers compare.
            return keys.iter().enumerate().any(|(i, k)| keys[..i].contains(k));
        }
        self.t.sorted_keys.clear();
        self.t.sorted_keys.extend_from_slice(keys);
        self.t.sorted_keys.sort_unstable();
        self.t.sorted_keys.windows(2).any(|w| w[0] == w[1])
    }

    /// Rewrites the `len` pending members of an object whose keys repeat as Python's dict has
    /// them: each key once, at its first position, with its last value.
    fn keep_last_value_per_key(&mut self, len: usize) {
        let (key_start, value_start) = (self.t.keys.len() - len, self.t.values.len() - len);
        let mut slot_of: FastMap<SEXP, usize> = FastMap::default();
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        for (&key, &value) in self.t.keys[key_start..].iter().zip(&self.t.values[value_start..]) {
            match slot_of.get(&key) {
                Some(&slot) => values[slot] = value,
                None => {
                    slot_of.insert(key, keys.len());
                    keys.push(key);
                    values.push(value);
                }
            }
        }
        self.t.keys.truncate(key_start);
        self.t.keys.extend(keys);
        self.t.values.truncate(value_start);
        self.t.values.extend(values);
    }
}

impl Drop for RBuilder {
    fn drop(&mut self) {
        std::mem::replace(&mut self.t, Tables::new()).give_back();
        // SAFETY: the two slots `new` protected are on top: every other protect is balanced. The
        // result, if any, is in extendr's keeping by now (see `finish`).
        unsafe {
            self.made.forget_all();
            Rf_unprotect(2);
        }
    }
}

impl Sink for RBuilder {
    const ACCEPTS_NUL: bool = false;
    const MAX_STRING_BYTES: usize = i32::MAX as usize;

    fn null(&mut self) {
        // SAFETY: `R_NilValue` is a constant of R's.
        self.t.values.push(unsafe { R_NilValue });
    }

    fn boolean(&mut self, value: bool) {
        // SAFETY: R returns its constant `TRUE` or `FALSE` vector.
        self.t.values.push(unsafe { Rf_ScalarLogical(c_int::from(value)) });
    }

    fn integer(&mut self, value: i64) {
        // R's integers run from -(2^31 - 1): -2^31 is its `NA_integer_`.
        if value > i64::from(i32::MIN) && value <= i64::from(i32::MAX) {
            let made = &mut self.made;
            let x = *self
                .t
                .integers
                .entry(value as i32)
                .or_insert_with(|| Self::keep(made, unsafe { Rf_ScalarInteger(value as c_int) }));
            self.t.values.push(x);
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
        let made = &mut self.made;
        let x =
            *self.t.doubles.entry(value.to_bits()).or_insert_with(|| Self::keep(made, unsafe { Rf_ScalarReal(value) }));
        self.t.values.push(x);
    }

    fn string(&mut self, value: &str) {
        let index = self.intern(value);
        let (interned, made) = (&mut self.t.interned[index], &mut self.made);
        let c = interned.c;
        // SAFETY: `Rf_ScalarString` allocates with `c` protected (by `chars`, and by itself);
        // `keep` protects the result.
        let x = *interned.scalar.get_or_insert_with(|| Self::keep(made, unsafe { Rf_ScalarString(c) }));
        self.t.values.push(x);
    }

    fn begin_array(&mut self) {
        self.t.made_before.push(self.made_count());
    }

    fn end_array(&mut self, len: usize) {
        let start = self.t.values.len() - len;
        self.t.list_key.clear();
        // SAFETY: `R_NilValue` is a constant of R's.
        self.t.list_key.push(unsafe { R_NilValue });
        self.t.list_key.extend_from_slice(&self.t.values[start..]);
        let list = self.shared_list();
        self.t.values.truncate(start);
        self.t.values.push(list);
    }

    fn begin_object(&mut self) {
        self.t.made_before.push(self.made_count());
    }

    fn key(&mut self, key: &str) {
        let index = self.intern(key);
        let c = self.t.interned[index].c;
        self.t.keys.push(c);
    }

    fn end_object(&mut self, len: usize) {
        let mut len = len;
        if self.keys_repeat(len) {
            let before = self.t.keys.len();
            self.keep_last_value_per_key(len);
            len -= before - self.t.keys.len();
        }
        let (key_start, value_start) = (self.t.keys.len() - len, self.t.values.len() - len);
        let names = self.shared_names(len);
        self.t.list_key.clear();
        self.t.list_key.push(names);
        self.t.list_key.extend_from_slice(&self.t.values[value_start..]);
        let list = self.shared_list();
        self.t.keys.truncate(key_start);
        self.t.values.truncate(value_start);
        self.t.values.push(list);
    }
}

/// A UTF-8 CHARSXP. `text` must be shorter than 2^31 bytes and hold no NUL (see module docs).
unsafe fn mkchar(text: &str) -> SEXP {
    Rf_mkCharLenCE(text.as_ptr() as *const c_char, text.len() as c_int, cetype_t::CE_UTF8)
}

/// A string made for this parse: its CHARSXP, and its character(1) once a value needed one.
struct Interned {
    c: SEXP,
    scalar: Option<SEXP>,
}

/// Maps keyed by numbers and R pointers, with foldhash (see `ByContent`).
type FastMap<K, V> = foldhash::HashMap<K, V>;

/// A protected R vector (a list, or a character vector for CHARSXPs) that only grows: it keeps
/// what is pushed alive until the stack is unprotected.
struct Stack {
    vector: SEXP,
    slot: ProtectIndex,
    kind: SEXPTYPE,
    len: usize,
    capacity: usize,
}

impl Stack {
    /// Takes one protection slot, which the owner must release.
    unsafe fn new(kind: SEXPTYPE, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let vector = Rf_allocVector(kind, capacity as isize);
        let mut slot: ProtectIndex = 0;
        R_ProtectWithIndex(vector, &mut slot);
        Stack { vector, slot, kind, len: 0, capacity }
    }

    /// Pushes `x`, which may be unprotected (it is protected while the stack grows), and returns
    /// it.
    unsafe fn push(&mut self, x: SEXP) -> SEXP {
        if self.len == self.capacity {
            Rf_protect(x);
            self.grow();
            Rf_unprotect(1);
        }
        self.set(self.vector, self.len, x);
        self.len += 1;
        x
    }

    /// Empties the stack, so that R's reference counts only count the references between the
    /// objects made: R then modifies in place what is referenced once, and the writer knows which
    /// objects are shared (`REFCNT`). What nothing else references is left to the collector.
    unsafe fn forget_all(&mut self) {
        for i in 0..self.len {
            self.set(self.vector, i, R_NilValue);
        }
        self.len = 0;
    }

    unsafe fn grow(&mut self) {
        let capacity = self.capacity * 2;
        let vector = Rf_allocVector(self.kind, capacity as isize);
        // The old vector's items are unprotected from here until copied; nothing allocates.
        R_Reprotect(vector, self.slot);
        for i in 0..self.len {
            let item = match self.kind {
                SEXPTYPE::STRSXP => STRING_ELT(self.vector, i as isize),
                _ => VECTOR_ELT(self.vector, i as isize),
            };
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
