//! A map from contents (slices: string bytes, lists of R pointers) to values, for making each
//! distinct R object once. Unlike a `HashMap<Box<[T]>, V>` it copies every distinct content into
//! one growing arena instead of a heap block each, and keeps each entry's hash so that growing
//! the table never hashes a content again: allocation and rehashing were a fifth of a parse.

use hashbrown::hash_table::{Entry, HashTable};
use std::hash::{BuildHasher, Hash};

pub struct ByContent<T, V> {
    table: HashTable<Slot<V>>,
    arena: Vec<T>,
    /// foldhash: fast on short keys, and seeded per process so that crafted collisions cannot
    /// make a parse quadratic.
    hasher: foldhash::fast::RandomState,
}

struct Slot<V> {
    hash: u64,
    start: usize,
    len: usize,
    value: V,
}

impl<T: Copy + Eq + Hash, V> Default for ByContent<T, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Eq + Hash, V> ByContent<T, V> {
    pub fn new() -> Self {
        ByContent { table: HashTable::new(), arena: Vec::new(), hasher: foldhash::fast::RandomState::default() }
    }

    /// How many entries fit before the table grows.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Forgets every entry, keeping the memory.
    pub fn clear(&mut self) {
        self.table.clear();
        self.arena.clear();
    }

    /// The value for `key`, made by `make` when `key` is new.
    pub fn get_or_insert_with(&mut self, key: &[T], make: impl FnOnce() -> V) -> &mut V {
        let hash = self.hasher.hash_one(key);
        let arena = &mut self.arena;
        let entry = self.table.entry(
            hash,
            |slot| slot.hash == hash && arena[slot.start..slot.start + slot.len] == *key,
            |slot| slot.hash,
        );
        match entry {
            Entry::Occupied(occupied) => &mut occupied.into_mut().value,
            Entry::Vacant(vacant) => {
                let start = arena.len();
                arena.extend_from_slice(key);
                let slot = Slot { hash, start, len: key.len(), value: make() };
                &mut vacant.insert(slot).into_mut().value
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByContent;

    #[test]
    fn makes_one_value_per_distinct_content() {
        let mut map: ByContent<u8, usize> = ByContent::new();
        let mut made = 0;
        for key in ["a", "bc", "a", "", "bc", "", "abc"] {
            map.get_or_insert_with(key.as_bytes(), || {
                made += 1;
                made
            });
        }
        assert_eq!(made, 4);
        assert_eq!(*map.get_or_insert_with(b"bc", || 99), 2);
        assert_eq!(*map.get_or_insert_with(b"", || 99), 3);
        *map.get_or_insert_with(b"a", || 99) += 10;
        assert_eq!(*map.get_or_insert_with(b"a", || 99), 11);
    }

    #[test]
    fn survives_growth_with_many_keys() {
        let mut map: ByContent<u32, u32> = ByContent::new();
        for i in 0..10_000u32 {
            map.get_or_insert_with(&[i, i / 7], || i);
        }
        for i in (0..10_000u32).step_by(37) {
            assert_eq!(*map.get_or_insert_with(&[i, i / 7], || u32::MAX), i);
        }
    }
}
