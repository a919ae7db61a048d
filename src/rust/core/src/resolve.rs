//! Class and function resolution: Keras 3.15's `_retrieve_class_or_fn`, made safe.
//!
//! A config can only reach what is looked up here: the visible scope, the global registry,
//! `custom_objects`, `module_objects` and the catalog of Keras built-ins. Nothing is ever looked
//! up by evaluating or searching an R environment or namespace named in a config: `module` is a
//! label that selects among built-ins, never a path to load.

use crate::registry::Registry;
use crate::scope::find;
use crate::suggest::closest;

/// Where objects can come from, in Keras' lookup order.
pub struct Sources<'a, T> {
    pub scope: &'a [(String, T)],
    pub global: &'a Registry<T>,
    pub custom_objects: &'a [(String, T)],
    pub module_objects: &'a [(String, T)],
}

impl<'a, T: Clone> Sources<'a, T> {
    /// `get_registered_object()`: scope → global → custom_objects → module_objects.
    pub fn lookup(&self, key: &str) -> Option<&'a T> {
        find(self.scope, key)
            .or_else(|| self.global.get(key))
            .or_else(|| find(self.custom_objects, key))
            .or_else(|| find(self.module_objects, key))
    }

    /// Keras ≤ 3.6 wrote registered functions by bare name: the merged custom object (argument <
    /// scope < global) under the first key, in the order Keras' merged dict iterates them
    /// (argument keys, then keys new in scope, then keys new in global), that ends in `>name`.
    /// A name holding `>` is not bare (Keras' check).
    fn by_bare_name(&self, name: &str) -> Option<&'a T> {
        if name.contains('>') {
            return None;
        }
        let ends_in = |(k, _): &&'a (String, T)| k.rsplit_once('>').is_some_and(|(_, bare)| bare == name);
        let key = (self.custom_objects.iter().find(ends_in))
            .or_else(|| self.scope.iter().find(ends_in))
            .map(|(k, _)| k.as_str())
            .or_else(|| self.global.first_with_bare_name(name))?;
        self.merged(key)
    }

    /// A merged custom object: global wins over scope, which wins over the argument.
    fn merged(&self, key: &str) -> Option<&'a T> {
        self.global.get(key).or_else(|| find(self.scope, key)).or_else(|| find(self.custom_objects, key))
    }

    /// Known keys that may be close to `name`, in the order a tie is settled: the argument, the
    /// scope, the global registry (a bounded neighbourhood of `name`, see `Registry::near`), then
    /// `module_objects`.
    fn candidates(&self, name: &str) -> impl Iterator<Item = &'a str> + '_ {
        let keys = |objects: &'a [(String, T)]| objects.iter().map(|(k, _)| k.as_str());
        keys(self.custom_objects)
            .chain(keys(self.scope))
            .chain(self.global.near(name, NEAR_PER_SIDE))
            .chain(keys(self.module_objects))
    }
}

/// Registry keys looked at on each side of a mistyped name (see `Registry::near`).
const NEAR_PER_SIDE: usize = 32;

/// What Keras built-ins the resolver can see. The catalog implements it.
pub trait Builtins {
    type Ref;
    /// A class by `module` and name, for modules that are Keras' own.
    fn class(&self, module: &str, name: &str) -> ClassLookup<Self::Ref>;
    /// A function by name, searched among the built-in function modules.
    fn function(&self, name: &str) -> Option<Self::Ref>;
    /// `module.name` is one of Keras' non-modeling APIs (never deserialized).
    fn is_non_modeling(&self, module: &str, name: &str) -> bool;
    /// Names to suggest from when `module` is given (or all, when not).
    fn names(&self, module: Option<&str>) -> Vec<&str>;
    /// The class name Keras writes for a resolved built-in (an alias resolves to it).
    fn class_name<'r>(&self, found: &'r Self::Ref) -> &'r str;
}

pub enum ClassLookup<B> {
    Found(B),
    /// A Keras module we know, without that name in it.
    NotInModule,
    /// Not a Keras module we know.
    UnknownModule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Class,
    Function,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Class => "class",
            Kind::Function => "function",
        }
    }
}

/// One object config to resolve.
#[derive(Debug)]
pub struct Request<'a> {
    pub kind: Kind,
    /// The class name, or for functions the config string.
    pub name: &'a str,
    pub module: Option<&'a str>,
    /// `registered_name` after Keras' defaulting (missing key → class name; explicit null stays
    /// `None`). Unused for functions.
    pub registered_name: Option<&'a str>,
}

#[derive(Debug, PartialEq)]
pub enum Resolved<'a, T, B> {
    Custom(&'a T),
    Builtin(B),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ResolveError {
    NonModeling { path: String },
    RegisteredName { registered_name: String, name: String },
    NotSaveable { path: String, suggestion: Option<String> },
    ModuleMissing { kind: Kind, name: String, module: String },
    NotFound { kind: Kind, name: String, suggestion: Option<String> },
}

impl ResolveError {
    /// The R condition subclass.
    pub fn class(&self) -> &'static str {
        match self {
            ResolveError::NonModeling { .. } => "kerasconfig_error_non_modeling",
            ResolveError::RegisteredName { .. } => "kerasconfig_error_registered_name",
            ResolveError::NotSaveable { .. } | ResolveError::ModuleMissing { .. } => "kerasconfig_error_unknown_class",
            ResolveError::NotFound { kind: Kind::Class, .. } => "kerasconfig_error_unknown_class",
            ResolveError::NotFound { kind: Kind::Function, .. } => "kerasconfig_error_unknown_function",
        }
    }

    /// Keras' wording, adapted to R where Keras names Python API.
    pub fn message(&self) -> String {
        fn hint(s: &Option<String>) -> String {
            s.as_ref().map(|s| format!(" Did you mean '{}'?", shown(s))).unwrap_or_default()
        }
        match self {
            ResolveError::NonModeling { path } => format!(
                "Cannot deserialize `{}` because it is not a modeling function. Only Keras layers, \
                 models, losses, metrics, optimizers, initializers, regularizers, constraints, \
                 activations and related objects can be deserialized.",
                shown(path)
            ),
            ResolveError::RegisteredName { registered_name, name } => format!(
                "`registered_name={}` was provided in the config, but '{}' resolved to a Keras \
                 built-in and does not use registered names. Remove the `registered_name` field \
                 from the config.",
                shown(registered_name),
                shown(name)
            ),
            ResolveError::NotSaveable { path, suggestion } => format!(
                "Could not deserialize '{}' because it is not a KerasSaveable subclass.{}",
                shown(path),
                hint(suggestion)
            ),
            ResolveError::ModuleMissing { kind, name, module } => format!(
                "Could not deserialize {} '{}' because its parent module {} cannot be imported.",
                kind.word(),
                shown(name),
                shown(module)
            ),
            ResolveError::NotFound { kind, name, suggestion } => format!(
                "Could not locate {} '{}'. Make sure custom classes and functions are registered \
                 with register_keras_serializable(), or passed in `custom_objects` or \
                 with_custom_object_scope(). If they are already registered, make sure the code that \
                 registers them runs before they are loaded.{}",
                kind.word(),
                shown(name),
                hint(suggestion)
            ),
        }
    }
}

/// Names as messages show them: a name from a config can be megabytes long.
const SHOWN_CHARS: usize = 100;

fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    match name.char_indices().nth(SHOWN_CHARS) {
        None => name.into(),
        Some((cut, _)) => format!("{}... ({} characters)", &name[..cut], name.chars().count()).into(),
    }
}

fn is_keras_module(module: &str) -> bool {
    module == "keras" || module.starts_with("keras.")
}

/// Resolves a request, in Keras 3.15's order: custom objects first, then built-ins by module,
/// then built-in functions by name, then the Keras ≤ 3.6 bare-function-name fallback.
pub fn resolve<'a, T: Clone, C: Builtins>(
    req: &Request<'_>,
    sources: &Sources<'a, T>,
    builtins: &C,
) -> Result<Resolved<'a, T, C::Ref>, ResolveError> {
    let key = match req.kind {
        Kind::Function => Some(req.name),
        Kind::Class => req.registered_name,
    };
    if let Some(obj) = key.and_then(|k| sources.lookup(k)) {
        return Ok(Resolved::Custom(obj));
    }

    let module = req.module.unwrap_or("");
    let mut known_module = false;
    if is_keras_module(module) {
        if builtins.is_non_modeling(module, req.name) {
            return Err(ResolveError::NonModeling { path: format!("{module}.{}", req.name) });
        }
        match builtins.class(module, req.name) {
            ClassLookup::Found(b) => {
                // Keras 3.15 accepts none, empty, the config's name or the class's own name.
                if let Some(rn) = req.registered_name {
                    if !rn.is_empty() && rn != req.name && rn != builtins.class_name(&b) {
                        return Err(ResolveError::RegisteredName {
                            registered_name: rn.to_owned(),
                            name: req.name.to_owned(),
                        });
                    }
                }
                return Ok(Resolved::Builtin(b));
            }
            ClassLookup::NotInModule => known_module = true,
            ClassLookup::UnknownModule => {}
        }
    }

    if req.kind == Kind::Function && module == "builtins" {
        if let Some(b) = builtins.function(req.name) {
            return Ok(Resolved::Builtin(b));
        }
        if let Some(obj) = sources.by_bare_name(req.name) {
            return Ok(Resolved::Custom(obj));
        }
    }

    if is_keras_module(module) {
        let path = format!("{module}.{}", req.name);
        return Err(if known_module {
            ResolveError::NotSaveable { path, suggestion: None }
        } else {
            ResolveError::ModuleMissing { kind: req.kind, name: req.name.to_owned(), module: module.to_owned() }
        });
    }
    Err(ResolveError::NotFound { kind: req.kind, name: req.name.to_owned(), suggestion: None })
}

/// `resolve`, with a "did you mean" in the errors that take one. `resolve` alone leaves it out:
/// the fast path only needs to know that a name does not resolve (R then asks again, here).
pub fn resolve_suggesting<'a, T: Clone, C: Builtins>(
    req: &Request<'_>,
    sources: &Sources<'a, T>,
    builtins: &C,
) -> Result<Resolved<'a, T, C::Ref>, ResolveError> {
    resolve(req, sources, builtins).map_err(|mut err| {
        if let ResolveError::NotSaveable { suggestion, .. } | ResolveError::NotFound { suggestion, .. } = &mut err {
            let module = req.module.filter(|m| is_keras_module(m));
            let known = builtins.names(module);
            *suggestion = closest(req.name, sources.candidates(req.name).chain(known)).map(str::to_owned);
        }
        err
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No built-ins at all.
    struct NoBuiltins;

    impl Builtins for NoBuiltins {
        type Ref = ();
        fn class(&self, _: &str, _: &str) -> ClassLookup<()> {
            ClassLookup::UnknownModule
        }
        fn function(&self, _: &str) -> Option<()> {
            None
        }
        fn is_non_modeling(&self, _: &str, _: &str) -> bool {
            false
        }
        fn names(&self, _: Option<&str>) -> Vec<&str> {
            Vec::new()
        }
        fn class_name<'r>(&self, _: &'r ()) -> &'r str {
            ""
        }
    }

    fn objs(pairs: &[(&str, i32)]) -> Vec<(String, i32)> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn class(name: &str) -> Request<'_> {
        Request { kind: Kind::Class, name, module: None, registered_name: Some(name) }
    }

    #[test]
    fn lookup_order_is_scope_global_custom_module() {
        let mut global = Registry::new();
        global.register("K", 1, 20);
        let scope = objs(&[("K", 10)]);
        let custom = objs(&[("K", 30), ("C", 31)]);
        let module = objs(&[("K", 40), ("C", 41), ("M", 42)]);
        let s = Sources { scope: &scope, global: &global, custom_objects: &custom, module_objects: &module };
        assert_eq!(s.lookup("K"), Some(&10));
        assert_eq!(s.lookup("C"), Some(&31));
        assert_eq!(s.lookup("M"), Some(&42));
        let s2 = Sources { scope: &[], global: &global, custom_objects: &custom, module_objects: &module };
        assert_eq!(s2.lookup("K"), Some(&20));
    }

    #[test]
    fn class_resolves_by_registered_name_not_class_name() {
        let mut global = Registry::new();
        global.register("MyPkg>Dense2", 1, 7);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let req = Request {
            kind: Kind::Class,
            name: "Dense2",
            module: Some("my_mod"),
            registered_name: Some("MyPkg>Dense2"),
        };
        assert_eq!(resolve(&req, &s, &NoBuiltins), Ok(Resolved::Custom(&7)));
        // By bare class name it is not found, as in Keras.
        assert!(matches!(resolve(&class("Dense2"), &s, &NoBuiltins), Err(ResolveError::NotFound { .. })));
    }

    #[test]
    fn explicit_null_registered_name_finds_no_custom_class() {
        let mut global = Registry::new();
        global.register("Foo", 1, 7);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let req = Request { kind: Kind::Class, name: "Foo", module: None, registered_name: None };
        assert!(resolve(&req, &s, &NoBuiltins).is_err());
    }

    #[test]
    fn function_resolves_by_config_string_and_bare_name_fallback() {
        let mut global = Registry::new();
        global.register("MyPkg>scaled_tanh", 1, 5);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let full = Request {
            kind: Kind::Function,
            name: "MyPkg>scaled_tanh",
            module: Some("builtins"),
            registered_name: None,
        };
        assert_eq!(resolve(&full, &s, &NoBuiltins), Ok(Resolved::Custom(&5)));
        let bare =
            Request { kind: Kind::Function, name: "scaled_tanh", module: Some("builtins"), registered_name: None };
        assert_eq!(resolve(&bare, &s, &NoBuiltins), Ok(Resolved::Custom(&5)));
        // The fallback is for `builtins` function configs only.
        let other = Request { kind: Kind::Function, name: "scaled_tanh", module: Some("x"), registered_name: None };
        assert!(resolve(&other, &s, &NoBuiltins).is_err());
    }

    #[test]
    fn not_found_suggests_a_close_known_name() {
        let mut global = Registry::new();
        global.register("Custom>MyLayer", 1, 1);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let err = resolve_suggesting(&class("MyLayr"), &s, &NoBuiltins).unwrap_err();
        assert_eq!(err.class(), "kerasconfig_error_unknown_class");
        assert!(err.message().starts_with("Could not locate class 'MyLayr'."), "{}", err.message());
        assert!(err.message().ends_with("Did you mean 'Custom>MyLayer'?"), "{}", err.message());
    }

    #[test]
    fn module_is_a_label_never_a_lookup_path() {
        let global = Registry::<i32>::new();
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        for module in ["base", "<r-namespace:base>", "<r-globalenv>", "utils", "os"] {
            let req = Request { kind: Kind::Function, name: "system", module: Some(module), registered_name: None };
            assert!(matches!(resolve(&req, &s, &NoBuiltins), Err(ResolveError::NotFound { .. })));
        }
    }

    fn function(name: &str) -> Request<'_> {
        Request { kind: Kind::Function, name, module: Some("builtins"), registered_name: None }
    }

    #[test]
    fn bare_function_name_takes_the_first_key_in_keras_merged_order() {
        let mut global = Registry::new();
        global.register("G1>f", 1, 1);
        global.register("G2>f", 2, 2);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        assert_eq!(resolve(&function("f"), &s, &NoBuiltins), Ok(Resolved::Custom(&1)));
        // Argument keys come first, then scope keys, then global ones; the object is the merged
        // one (global over scope over argument) under that key.
        let scope = objs(&[("S>f", 20)]);
        let custom = objs(&[("C>g", 30), ("C>f", 31)]);
        let s = Sources { scope: &scope, global: &global, custom_objects: &custom, module_objects: &[] };
        assert_eq!(resolve(&function("f"), &s, &NoBuiltins), Ok(Resolved::Custom(&31)));
        let s = Sources { scope: &scope, global: &global, custom_objects: &[], module_objects: &[] };
        assert_eq!(resolve(&function("f"), &s, &NoBuiltins), Ok(Resolved::Custom(&20)));
        let shadowed = objs(&[("G2>f", 40)]);
        let s = Sources { scope: &[], global: &global, custom_objects: &shadowed, module_objects: &[] };
        assert_eq!(resolve(&function("f"), &s, &NoBuiltins), Ok(Resolved::Custom(&2)));
    }

    #[test]
    fn a_name_holding_a_separator_is_not_a_bare_name() {
        let mut global = Registry::new();
        global.register("a>b>c", 1, 1);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        assert!(resolve(&function("b>c"), &s, &NoBuiltins).is_err());
        assert_eq!(resolve(&function("c"), &s, &NoBuiltins), Ok(Resolved::Custom(&1)));
    }

    #[test]
    fn resolve_leaves_the_suggestion_to_resolve_suggesting() {
        let mut global = Registry::new();
        global.register("Custom>MyLayer", 1, 1);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        assert!(matches!(
            resolve(&class("MyLayr"), &s, &NoBuiltins),
            Err(ResolveError::NotFound { suggestion: None, .. })
        ));
        assert!(matches!(
            resolve_suggesting(&class("MyLayr"), &s, &NoBuiltins),
            Err(ResolveError::NotFound { suggestion: Some(_), .. })
        ));
    }

    #[test]
    fn every_lookup_kind_finds_its_answer_among_100_000_keys() {
        let mut global = Registry::new();
        for i in 1..=100_000 {
            global.register(&format!("Bench>fn_{i:06}"), i, i);
        }
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        assert_eq!(s.lookup("Bench>fn_100000"), Some(&100_000));
        assert_eq!(resolve(&function("fn_100000"), &s, &NoBuiltins), Ok(Resolved::Custom(&100_000)));
        assert_eq!(resolve(&function("fn_000050"), &s, &NoBuiltins), Ok(Resolved::Custom(&50)));
        // A typo at the end, in the middle and at the start of a bare name.
        for (typo, key) in
            [("fn_00005", "Bench>fn_000005"), ("fn_0X0050", "Bench>fn_000050"), ("gn_054321", "Bench>fn_054321")]
        {
            let err = resolve_suggesting(&function(typo), &s, &NoBuiltins).unwrap_err();
            assert_eq!(
                err,
                ResolveError::NotFound { kind: Kind::Function, name: typo.into(), suggestion: Some(key.into()) }
            );
        }
        let err = resolve_suggesting(&class("Bench>fn_09999"), &s, &NoBuiltins).unwrap_err();
        assert!(err.message().ends_with("Did you mean 'Bench>fn_009999'?"), "{}", err.message());
    }

    #[test]
    fn messages_cut_long_names() {
        let global = Registry::<i32>::new();
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let name = "a".repeat(300_000);
        let err = resolve_suggesting(&class(&name), &s, &OneBuiltin).unwrap_err();
        let message = err.message();
        assert!(message.len() < 1000, "{} bytes", message.len());
        assert!(message.contains(&format!("'{}... (300000 characters)'", "a".repeat(100))), "{message}");
    }

    struct OneBuiltin;
    impl Builtins for OneBuiltin {
        type Ref = &'static str;
        fn class(&self, module: &str, name: &str) -> ClassLookup<&'static str> {
            match (module, name) {
                ("keras.optimizers", "Adam") => ClassLookup::Found("Adam"),
                ("keras.optimizers", _) => ClassLookup::NotInModule,
                _ => ClassLookup::UnknownModule,
            }
        }
        fn function(&self, name: &str) -> Option<&'static str> {
            (name == "relu").then_some("relu")
        }
        fn is_non_modeling(&self, module: &str, name: &str) -> bool {
            (module, name) == ("keras.saving", "load_model")
        }
        fn names(&self, _: Option<&str>) -> Vec<&str> {
            vec!["Adam", "relu"]
        }
        fn class_name<'r>(&self, found: &'r &'static str) -> &'r str {
            found
        }
    }

    #[test]
    fn builtins_resolve_after_the_registry_with_keras_checks() {
        let mut global = Registry::new();
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        let adam =
            |rn| Request { kind: Kind::Class, name: "Adam", module: Some("keras.optimizers"), registered_name: rn };
        assert_eq!(resolve(&adam(None), &s, &OneBuiltin), Ok(Resolved::Builtin("Adam")));
        assert_eq!(resolve(&adam(Some("")), &s, &OneBuiltin), Ok(Resolved::Builtin("Adam")));
        assert!(matches!(resolve(&adam(Some("Evil>Adam")), &s, &OneBuiltin), Err(ResolveError::RegisteredName { .. })));
        let typo =
            Request { kind: Kind::Class, name: "Adamm", module: Some("keras.optimizers"), registered_name: None };
        assert!(matches!(resolve_suggesting(&typo, &s, &OneBuiltin),
            Err(ResolveError::NotSaveable { suggestion: Some(ref x), .. }) if x == "Adam"));
        let nm =
            Request { kind: Kind::Function, name: "load_model", module: Some("keras.saving"), registered_name: None };
        assert!(matches!(resolve(&nm, &s, &OneBuiltin), Err(ResolveError::NonModeling { .. })));
        let relu = Request { kind: Kind::Function, name: "relu", module: Some("builtins"), registered_name: None };
        assert_eq!(resolve(&relu, &s, &OneBuiltin), Ok(Resolved::Builtin("relu")));
        // The registry comes first, as in Keras.
        global.register("relu", 1, 99);
        let s = Sources { scope: &[], global: &global, custom_objects: &[], module_objects: &[] };
        assert!(matches!(resolve(&relu, &s, &OneBuiltin), Ok(Resolved::Custom(&99))));
    }
}
