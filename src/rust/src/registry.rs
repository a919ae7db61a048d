//! The global registry of custom objects: Keras' `GLOBAL_CUSTOM_OBJECTS` (key → object) and
//! `GLOBAL_CUSTOM_NAMES` (object → key), kept consistent with each other.
//!
//! Generic over the stored handle so the logic is tested without R; objects are identified by an
//! `Id` (for R, the address of the SEXP, which stays valid because the registry keeps the object
//! alive).

use indexmap::IndexMap;
use std::collections::HashMap;

pub type Id = usize;

#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub id: Id,
    pub object: T,
}

#[derive(Debug)]
pub struct Registry<T> {
    objects: IndexMap<String, Entry<T>>,
    names: HashMap<Id, String>,
}

/// What `register` changed, so the R side can warn as it should.
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    New,
    /// The key already held this very object.
    Same,
    /// The key held another object, which is gone from both maps.
    Replaced,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry { objects: IndexMap::new(), names: HashMap::new() }
    }
}

impl<T: Clone> Registry<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Registers `object` under `key`. Unlike Keras, replacing a key also fixes the old object's
    /// reverse name when it pointed at this key: to another key that still holds the object, or
    /// none, so `get_registered_name()` never answers with a key that now means something else.
    pub fn register(&mut self, key: &str, id: Id, object: T) -> Registered {
        let (outcome, displaced) = match self.objects.get(key) {
            None => (Registered::New, None),
            Some(old) if old.id == id => (Registered::Same, None),
            Some(old) => (Registered::Replaced, Some(old.id)),
        };
        self.objects.insert(key.to_owned(), Entry { id, object });
        self.names.insert(id, key.to_owned());
        if let Some(old) = displaced {
            if self.names.get(&old).map(String::as_str) == Some(key) {
                match self.objects.iter().find(|(_, e)| e.id == old).map(|(k, _)| k.clone()) {
                    Some(other) => self.names.insert(old, other),
                    None => self.names.remove(&old),
                };
            }
        }
        outcome
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.objects.get(key).map(|e| &e.object)
    }

    pub fn name_of(&self, id: Id) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.objects.contains_key(key)
    }

    /// Keys in registration order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.objects.keys().map(String::as_str)
    }

    /// Entries in registration order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry<T>)> {
        self.objects.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// Removes every entry and returns them in registration order.
    pub fn clear(&mut self) -> Vec<(String, Entry<T>)> {
        self.names.clear();
        self.objects.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_then_lookup_both_directions() {
        let mut r = Registry::new();
        assert_eq!(r.register("Custom>f", 1, "f"), Registered::New);
        assert_eq!(r.get("Custom>f"), Some(&"f"));
        assert_eq!(r.name_of(1), Some("Custom>f"));
        assert_eq!(r.get("f"), None);
    }

    #[test]
    fn reregistering_same_object_is_not_a_replacement() {
        let mut r = Registry::new();
        r.register("Custom>f", 1, "f");
        assert_eq!(r.register("Custom>f", 1, "f"), Registered::Same);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn replacing_a_key_drops_the_stale_reverse_name() {
        let mut r = Registry::new();
        r.register("Custom>f", 1, "old");
        assert_eq!(r.register("Custom>f", 2, "new"), Registered::Replaced);
        assert_eq!(r.get("Custom>f"), Some(&"new"));
        assert_eq!(r.name_of(1), None);
        assert_eq!(r.name_of(2), Some("Custom>f"));
    }

    #[test]
    fn replacing_a_key_falls_back_to_another_key_of_the_old_object() {
        let mut r = Registry::new();
        r.register("P>a", 1, "f");
        r.register("P>b", 1, "f"); // f answers to P>b now, and P>a still holds it
        r.register("P>b", 2, "h");
        assert_eq!(r.name_of(1), Some("P>a"));
        assert_eq!(r.name_of(2), Some("P>b"));
    }

    #[test]
    fn replacing_keeps_reverse_name_that_points_elsewhere() {
        let mut r = Registry::new();
        r.register("A>x", 1, "one");
        r.register("B>y", 1, "one"); // the object's name is now B>y
        r.register("A>x", 2, "two");
        assert_eq!(r.name_of(1), Some("B>y"));
    }

    #[test]
    fn keys_keep_registration_order_and_replacement_keeps_position() {
        let mut r = Registry::new();
        r.register("b", 1, 1);
        r.register("a", 2, 2);
        r.register("c", 3, 3);
        r.register("a", 4, 4);
        assert_eq!(r.keys().collect::<Vec<_>>(), vec!["b", "a", "c"]);
    }

    #[test]
    fn clear_returns_everything_and_empties_both_maps() {
        let mut r = Registry::new();
        r.register("a", 1, 10);
        r.register("b", 2, 20);
        let old = r.clear();
        assert_eq!(old.iter().map(|(k, e)| (k.as_str(), e.object)).collect::<Vec<_>>(), vec![("a", 10), ("b", 20)]);
        assert!(r.is_empty());
        assert_eq!(r.name_of(1), None);
    }
}
