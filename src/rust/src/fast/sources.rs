//! Where names resolve, as R's deserialization sees it at each level of a config.
//!
//! At the level R called the fast path for: the visible scope, the global registry, and the
//! `custom_objects` and `module_objects` R passed (strings are looked up without
//! `module_objects`, as `rs_lookup(x, custom, NULL)` does). Inside a built-in's config R runs in
//! `kc_from_config()`'s scope: the merged custom objects (argument, overridden by the scope, minus
//! what the global registry holds, as `rs_scope_enter(merged = TRUE)` makes them), then the
//! registry, and no `custom_objects` or `module_objects`. That scope merges the same way again
//! further down, so one merged list serves every nested level.
//!
//! The registry and scopes are read under their locks, which are never held while R allocates:
//! what is found is returned as a bare pointer to an object the registry or scope keeps alive,
//! and neither changes while a `.Call` runs.

use super::rapi::{char_str, ensure, Fallback, Fast};
use crate::catalog::{catalog, Entry};
use crate::{registry, scopes, RObj};
use extendr_api::{GetSexp, Robj};
use extendr_ffi::{R_NamesSymbol, R_NilValue, Rf_getAttrib, SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH};
use kerasconfig_core::{resolve, Request, Resolved, Sources};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Where R called the fast path.
    Top,
    /// Inside a built-in's config.
    Nested,
}

pub enum Found {
    Custom(SEXP),
    Builtin(&'static Entry),
}

pub struct Lookup {
    /// The `custom_objects` and `module_objects` arguments, read on first use.
    args: (SEXP, SEXP),
    custom: Vec<(String, RObj)>,
    module: Vec<(String, RObj)>,
    /// Whether `args` were read.
    read: bool,
    merged: Option<Vec<(String, RObj)>>,
    /// Whether a string can be a key at all, at the top level and nested.
    top_has_keys: bool,
    nested_has_keys: Option<bool>,
}

/// A named list of objects (`custom_objects`, `module_objects`) as `(key, object)` pairs; `NULL`
/// gives none. What lib.rs refuses (a missing, empty or `NA` name, which extendr reads as "NA")
/// is a fallback.
unsafe fn objects_from(list: SEXP) -> Fast<Vec<(String, RObj)>> {
    match TYPEOF(list) {
        SEXPTYPE::NILSXP => return Ok(Vec::new()),
        SEXPTYPE::VECSXP => {}
        _ => return Err(Fallback),
    }
    let len = XLENGTH(list);
    if len == 0 {
        return Ok(Vec::new());
    }
    let names = Rf_getAttrib(list, R_NamesSymbol);
    if names == R_NilValue {
        return Err(Fallback);
    }
    (0..len)
        .map(|i| {
            let name = char_str(STRING_ELT(names, i)).filter(|n| !n.is_empty() && *n != "NA").ok_or(Fallback)?;
            Ok((name.to_owned(), RObj(Robj::from_sexp(VECTOR_ELT(list, i)))))
        })
        .collect()
}

impl Lookup {
    /// # Safety
    /// `custom` and `module` must stay alive during the walk (they are `.Call` arguments).
    pub unsafe fn new(custom: SEXP, module: SEXP) -> Fast<Lookup> {
        for list in [custom, module] {
            ensure(matches!(TYPEOF(list), SEXPTYPE::NILSXP | SEXPTYPE::VECSXP))?;
        }
        Ok(Lookup {
            args: (custom, module),
            custom: Vec::new(),
            module: Vec::new(),
            read: false,
            merged: None,
            top_has_keys: false,
            nested_has_keys: None,
        })
    }

    /// Reads the arguments, once.
    fn read_args(&mut self) -> Fast<()> {
        if !self.read {
            // SAFETY: see `new`.
            self.custom = unsafe { objects_from(self.args.0)? };
            self.module = unsafe { objects_from(self.args.1)? };
            self.top_has_keys = !self.custom.is_empty() || {
                let scopes = scopes().lock();
                let global = registry().lock();
                !scopes.visible().is_empty() || !global.is_empty()
            };
            self.read = true;
        }
        Ok(())
    }

    /// The merged custom objects of a built-in's scope (see the module docs).
    fn merged(&mut self) -> Fast<()> {
        self.read_args()?;
        if self.merged.is_none() {
            // Pointers and keys first, under the locks; `Robj`s (which allocate) after.
            let mut pairs: Vec<(String, SEXP)> =
                self.custom.iter().map(|(k, o)| (k.clone(), unsafe { o.0.get() })).collect();
            {
                let scopes = scopes().lock();
                let global = registry().lock();
                for (k, v) in scopes.visible() {
                    let v = unsafe { v.0.get() };
                    match pairs.iter_mut().find(|(key, _)| key == k) {
                        Some(slot) => slot.1 = v,
                        None => pairs.push((k.clone(), v)),
                    }
                }
                pairs.retain(|(k, _)| !global.contains_key(k));
            }
            // SAFETY: each object is held by the scope or by `custom`, which outlive the walk.
            let merged: Vec<(String, RObj)> =
                pairs.into_iter().map(|(k, v)| (k, RObj(unsafe { Robj::from_sexp(v) }))).collect();
            self.nested_has_keys = Some(!merged.is_empty() || !registry().lock().is_empty());
            self.merged = Some(merged);
        }
        Ok(())
    }

    /// Whether the call gave neither `custom_objects` nor `module_objects`: then lookups at the
    /// top level and nested ones reach the same objects.
    pub fn plain(&mut self) -> Fast<bool> {
        self.read_args()?;
        Ok(self.custom.is_empty() && self.module.is_empty())
    }

    /// Whether a string can name an object at `level` at all.
    pub fn may_find(&mut self, level: Level) -> Fast<bool> {
        match level {
            Level::Top => {
                self.read_args()?;
                Ok(self.top_has_keys)
            }
            Level::Nested => {
                self.merged()?;
                Ok(self.nested_has_keys != Some(false))
            }
        }
    }

    /// `rs_lookup(name, custom, NULL)` at `level`: the object a string names, if any.
    pub fn string(&mut self, level: Level, name: &str) -> Fast<Option<SEXP>> {
        if !self.may_find(level)? {
            return Ok(None);
        }
        let merged = self.merged.as_deref().unwrap_or(&[]);
        let scopes = scopes().lock();
        let global = registry().lock();
        let sources = match level {
            Level::Top => {
                Sources { scope: scopes.visible(), global: &global, custom_objects: &self.custom, module_objects: &[] }
            }
            Level::Nested => Sources { scope: merged, global: &global, custom_objects: &[], module_objects: &[] },
        };
        Ok(sources.lookup(name).map(|o| unsafe { o.0.get() }))
    }

    /// `rs_resolve()` at `level`; errors are fallbacks (R raises them, with their location).
    pub fn resolve(&mut self, level: Level, req: &Request<'_>) -> Fast<Found> {
        match level {
            Level::Top => self.read_args()?,
            Level::Nested => self.merged()?,
        }
        let merged = self.merged.as_deref().unwrap_or(&[]);
        let scopes = scopes().lock();
        let global = registry().lock();
        let sources = match level {
            Level::Top => Sources {
                scope: scopes.visible(),
                global: &global,
                custom_objects: &self.custom,
                module_objects: &self.module,
            },
            Level::Nested => Sources { scope: merged, global: &global, custom_objects: &[], module_objects: &[] },
        };
        match resolve(req, &sources, catalog()) {
            Ok(Resolved::Custom(o)) => Ok(Found::Custom(unsafe { o.0.get() })),
            Ok(Resolved::Builtin(e)) => Ok(Found::Builtin(e)),
            Err(_) => Err(Fallback),
        }
    }
}

/// The registry's name for the object at `address`, if it has one.
pub fn registered_name(address: usize) -> Option<String> {
    registry().lock().name_of(address).map(str::to_owned)
}
