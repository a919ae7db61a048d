//! "Did you mean" suggestions among known names.

/// Levenshtein distance over chars, case-insensitive (users mistype case as often as letters).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a third of the name's length (at least one edit), if any.
/// A candidate `"pkg>Name"` also matches by its `Name` part; the whole key is suggested.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name {
            continue;
        }
        let short = cand.rsplit_once('>').map_or(cand, |(_, s)| s);
        let d = distance(name, cand).min(distance(name, short));
        if d <= limit && best.map_or(true, |(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("Adamm", "Adam"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("dense", "Dense"), 0);
    }

    #[test]
    fn suggests_the_nearest_close_name() {
        assert_eq!(closest("Adamm", ["SGD", "Adam", "Adamax"]), Some("Adam"));
        assert_eq!(closest("Zzzzzz", ["SGD", "Adam"]), None);
    }

    #[test]
    fn matches_registered_keys_by_their_short_name() {
        assert_eq!(closest("MyLayr", ["Custom>MyLayer", "Other>Thing"]), Some("Custom>MyLayer"));
    }
}
