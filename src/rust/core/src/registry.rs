//! The global registry of custom objects: Keras' `GLOBAL_CUSTOM_OBJECTS` (key → object) and
//! `GLOBAL_CUSTOM_NAMES` (object → key), kept consistent with each other.
//!
//! Generic over the stored handle so the logic is tested without R; objects are identified by an
//! `Id` (for R, the address of the SEXP, which stays valid because the registry keeps the object
//! alive).
//!
//! Every lookup costs the same however many objects are registered: by key and by object through
//! hash maps, by bare name (the part after the last `>`) through an index of its own, and the
//! names close to a mistyped one through two sorted indexes (see `near`).

use foldhash::{HashMap, HashMapExt};
use indexmap::IndexMap;
use std::collections::BTreeSet;

pub type Id = usize;

#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub id: Id,
    pub object: T,
}

#[derive(Debug)]
pub struct Registry<T> {
    objects: IndexMap<String, Entry<T>, foldhash::fast::RandomState>,
    names: HashMap<Id, String>,
    /// Positions (in `objects`) of the keys holding each object, so replacing a key finds the
    /// object's other keys without a scan. Keys are only ever removed all at once (`clear`), so
    /// positions stay valid.
    holders: HashMap<Id, BTreeSet<usize>>,
    /// Bare name of a `"package>name"` key → position of the first key with it.
    bare: HashMap<String, usize>,
    /// (lower-cased bare name, position) and the same with the bare name reversed: the keys close
    /// to a name in spelling are found near it in one order or the other (see `near`).
    sorted: BTreeSet<(String, usize)>,
    reversed: BTreeSet<(String, usize)>,
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
        Registry {
            objects: IndexMap::default(),
            names: HashMap::new(),
            holders: HashMap::new(),
            bare: HashMap::new(),
            sorted: BTreeSet::new(),
            reversed: BTreeSet::new(),
        }
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
        let (pos, _) = self.objects.insert_full(key.to_owned(), Entry { id, object });
        self.names.insert(id, key.to_owned());
        self.holders.entry(id).or_default().insert(pos);
        if outcome == Registered::New {
            if let Some((_, bare)) = key.rsplit_once('>') {
                self.bare.entry(bare.to_owned()).or_insert(pos);
            }
            let folded = fold(bare_name(key));
            self.reversed.insert((folded.chars().rev().collect(), pos));
            self.sorted.insert((folded, pos));
        }
        if let Some(old) = displaced {
            let others = self.holders.get_mut(&old).map(|held| {
                held.remove(&pos);
                held.first().copied()
            });
            if others.flatten().is_none() {
                self.holders.remove(&old);
            }
            if self.names.get(&old).map(String::as_str) == Some(key) {
                match others.flatten() {
                    Some(other) => self.names.insert(old, self.objects.get_index(other).expect("held").0.clone()),
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

    /// The first key registered (in registration order) whose part after its last `>` is `bare`.
    pub fn first_with_bare_name(&self, bare: &str) -> Option<&str> {
        self.bare.get(bare).and_then(|&pos| self.objects.get_index(pos)).map(|(k, _)| k.as_str())
    }

    /// Keys that may be spelled close to `name`, in registration order, at most `4 * per_side`
    /// of them: every key when there are no more than that, else the `per_side` keys on each side
    /// of `name`'s bare name in alphabetical order, and the same in the order of reversed names
    /// (an edit near the end of a name keeps its neighbours in the first order, one near the
    /// start in the second). Case is ignored, as suggestions ignore it.
    pub fn near(&self, name: &str, per_side: usize) -> Vec<&str> {
        if self.objects.len() <= 4 * per_side {
            return self.keys().collect();
        }
        let folded = fold(bare_name(name));
        let reversed: String = folded.chars().rev().collect();
        let mut positions: Vec<usize> = Vec::with_capacity(4 * per_side);
        for (index, probe) in [(&self.sorted, folded), (&self.reversed, reversed)] {
            let probe = (probe, 0);
            positions.extend(index.range(..&probe).rev().take(per_side).map(|(_, p)| *p));
            positions.extend(index.range(&probe..).take(per_side).map(|(_, p)| *p));
        }
        positions.sort_unstable();
        positions.dedup();
        positions.into_iter().filter_map(|p| self.objects.get_index(p)).map(|(k, _)| k.as_str()).collect()
    }

    /// Entries in registration order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry<T>)> {
        self.objects.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// Removes every entry and returns them in registration order.
    pub fn clear(&mut self) -> Vec<(String, Entry<T>)> {
        self.names.clear();
        self.holders.clear();
        self.bare.clear();
        self.sorted.clear();
        self.reversed.clear();
        self.objects.drain(..).collect()
    }
}

/// The part of a key after its last `>` (the whole key when it has none).
pub fn bare_name(key: &str) -> &str {
    key.rsplit_once('>').map_or(key, |(_, bare)| bare)
}

fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
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

    #[test]
    fn bare_names_find_the_first_key_registered_with_them() {
        let mut r = Registry::new();
        r.register("plain", 1, 1);
        r.register("A>f", 2, 2);
        r.register("B>f", 3, 3);
        r.register("A>f", 4, 4); // replacing keeps the key's place
        assert_eq!(r.first_with_bare_name("f"), Some("A>f"));
        assert_eq!(r.first_with_bare_name("plain"), None);
        r.clear();
        assert_eq!(r.first_with_bare_name("f"), None);
    }

    #[test]
    fn near_gives_every_key_of_a_small_registry_and_a_bounded_neighbourhood_of_a_large_one() {
        let mut r = Registry::new();
        for i in 0..10 {
            r.register(&format!("P>k{i}"), i, i);
        }
        assert_eq!(r.near("anything", 4).len(), 10);
        for i in 10..10_000 {
            r.register(&format!("P>k{i}"), i, i);
        }
        let near = r.near("P>K5000x", 4);
        assert!(near.len() <= 16, "{near:?}");
        assert!(near.contains(&"P>k5000"), "{near:?}");
        // Reversed order finds names that differ at the start.
        assert!(r.near("X5000", 4).contains(&"P>k5000"));
        // In registration order.
        let positions: Vec<usize> = near.iter().map(|k| r.keys().position(|x| x == *k).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_replaced_object_keeps_its_first_remaining_key_whatever_the_order_of_registration() {
        let mut r = Registry::new();
        r.register("P>c", 1, "f");
        r.register("P>a", 1, "f");
        r.register("P>b", 1, "f"); // f answers to P>b
        r.register("P>b", 2, "h");
        assert_eq!(r.name_of(1), Some("P>c"));
        r.register("P>c", 3, "i");
        r.register("P>a", 3, "i");
        assert_eq!(r.name_of(1), None);
        assert_eq!(r.name_of(3), Some("P>a"));
    }
}
