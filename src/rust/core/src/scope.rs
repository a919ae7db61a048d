//! Custom-object scopes. Entering a scope *replaces* the visible scope objects (Keras 3's
//! `CustomObjectScope`, not a merge); leaving restores the one before. The R side pops in
//! `on.exit()`, so errors and interrupts restore too.

pub type Objects<T> = Vec<(String, T)>;

#[derive(Debug)]
pub struct ScopeStack<T> {
    stack: Vec<Objects<T>>,
}

impl<T> Default for ScopeStack<T> {
    fn default() -> Self {
        ScopeStack { stack: Vec::new() }
    }
}

impl<T> ScopeStack<T> {
    /// Makes `objects` the visible scope; returns the depth to hand back to `leave`.
    pub fn enter(&mut self, objects: Objects<T>) -> usize {
        self.stack.push(objects);
        self.stack.len()
    }

    /// Leaves the scope entered at `depth`, and any left open inside it.
    pub fn leave(&mut self, depth: usize) {
        self.stack.truncate(depth.saturating_sub(1));
    }

    /// The visible scope objects: those of the innermost scope only.
    pub fn visible(&self) -> &[(String, T)] {
        self.stack.last().map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn depth(&self) -> usize {
        self.stack.len()
    }
}

/// First object stored under `key` in `objects`.
pub fn find<'a, T>(objects: &'a [(String, T)], key: &str) -> Option<&'a T> {
    objects.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objs(pairs: &[(&str, i32)]) -> Objects<i32> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn inner_scope_hides_outer_then_restores_it() {
        let mut s = ScopeStack::default();
        let outer = s.enter(objs(&[("A", 1)]));
        let inner = s.enter(objs(&[("B", 2)]));
        assert_eq!(find(s.visible(), "A"), None);
        assert_eq!(find(s.visible(), "B"), Some(&2));
        s.leave(inner);
        assert_eq!(find(s.visible(), "A"), Some(&1));
        s.leave(outer);
        assert!(s.visible().is_empty());
    }

    #[test]
    fn leaving_an_outer_scope_closes_the_inner_ones_left_open() {
        let mut s = ScopeStack::default();
        let outer = s.enter(objs(&[("A", 1)]));
        s.enter(objs(&[("B", 2)]));
        s.leave(outer);
        assert_eq!(s.depth(), 0);
    }
}
