//! "Did you mean" suggestions among known names.
//!
//! The cost is bounded whatever the input: names longer than `MAX_CHARS` are neither suggested
//! for nor suggested; a candidate whose length alone differs by more than the allowed number of
//! edits is skipped before any distance is computed; and the distance stops as soon as it
//! exceeds that number. The callers bound how many candidates there are (`Registry::near`).

/// Longest name (in characters) that gets or is given a suggestion. Keras names are short; a
/// config naming a class with megabytes of text gets no suggestion rather than minutes of work.
pub const MAX_CHARS: usize = 256;

fn folded(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Levenshtein distance between `a` and `b` when it is at most `limit`, else `None`. Only the
/// band of cells within `limit` of the diagonal can stay within `limit`; rows stop early once
/// every cell exceeds it.
fn distance_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    let over = limit + 1;
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut cur = vec![over; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let lo = (i + 1).saturating_sub(limit);
        let hi = (i + 1 + limit).min(b.len());
        cur.iter_mut().for_each(|c| *c = over);
        if lo == 0 {
            cur[0] = (i + 1).min(over);
        }
        let mut row_min = cur[0];
        for j in lo.max(1)..=hi {
            let sub = prev[j - 1] + usize::from(*ca != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            row_min = row_min.min(cur[j]);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

/// The closest candidate within a third of the name's length (at least one edit), if any; the
/// first one met wins a tie. Case is ignored (users mistype case as often as letters). A
/// candidate `"pkg>Name"` also matches by its `Name` part; the whole key is suggested.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let chars = name.chars().count();
    if chars > MAX_CHARS {
        return None;
    }
    let folded_name = folded(name);
    let limit = (chars / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for cand in candidates {
        if cand == name || cand.len() > 4 * MAX_CHARS {
            continue;
        }
        let bound = best.map_or(limit, |(d, _)| d - 1);
        let short = cand.rsplit_once('>').map(|(_, s)| s);
        // Lengths first: most candidates are ruled out without looking at their letters (a
        // letter whose lower case is longer, such as 'İ', is rare enough to be counted as one).
        let whole_chars = cand.chars().count();
        let near = |s: &'a str, n: usize| (n.abs_diff(chars) <= bound).then_some(s);
        let forms = [near(cand, whole_chars), short.and_then(|s| near(s, s.chars().count()))];
        if whole_chars > MAX_CHARS || forms.iter().all(Option::is_none) {
            continue;
        }
        let d = forms.into_iter().flatten().filter_map(|s| distance_within(&folded_name, &folded(s), bound)).min();
        if let Some(d) = d {
            best = Some((d, cand));
            if d == 0 {
                break;
            }
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> Option<usize> {
        distance_within(&folded(a), &folded(b), 10)
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("Adamm", "Adam"), Some(1));
        assert_eq!(distance("kitten", "sitting"), Some(3));
        assert_eq!(distance("", "abc"), Some(3));
        assert_eq!(distance("dense", "Dense"), Some(0));
        assert_eq!(distance("flaw", "lawn"), Some(2));
    }

    #[test]
    fn distance_beyond_the_limit_is_none_even_when_lengths_match() {
        assert_eq!(distance_within(&folded("abcdef"), &folded("uvwxyz"), 2), None);
        assert_eq!(distance_within(&folded("abcdef"), &folded("abcdefghij"), 3), None);
        assert_eq!(distance_within(&folded("abcdef"), &folded("abxdex"), 2), Some(2));
    }

    #[test]
    fn banded_distance_agrees_with_the_full_table() {
        fn full(a: &[char], b: &[char]) -> usize {
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.iter().enumerate() {
                let mut cur = vec![i + 1; b.len() + 1];
                for (j, cb) in b.iter().enumerate() {
                    cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let words = [
            "", "a", "ab", "ba", "abc", "acb", "kitten", "sitting", "saturday", "sunday", "dense", "densely", "conv2d",
            "conv1d", "gru", "lstm", "xyzzy", "aaaaab", "baaaaa",
        ];
        for a in words {
            for b in words {
                let (fa, fb) = (folded(a), folded(b));
                let d = full(&fa, &fb);
                for limit in 0..8 {
                    assert_eq!(distance_within(&fa, &fb, limit), (d <= limit).then_some(d), "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn suggests_the_nearest_close_name() {
        assert_eq!(closest("Adamm", ["SGD", "Adam", "Adamax"]), Some("Adam"));
        assert_eq!(closest("Zzzzzz", ["SGD", "Adam"]), None);
    }

    #[test]
    fn first_candidate_wins_a_tie() {
        assert_eq!(closest("Dens", ["Densa", "Dense"]), Some("Densa"));
    }

    #[test]
    fn matches_registered_keys_by_their_short_name() {
        assert_eq!(closest("MyLayr", ["Custom>MyLayer", "Other>Thing"]), Some("Custom>MyLayer"));
    }

    #[test]
    fn a_name_differing_only_in_case_is_suggested() {
        assert_eq!(closest("dense", ["Dense"]), Some("Dense"));
        assert_eq!(closest("Dense", ["Dense"]), None);
    }

    #[test]
    fn names_past_the_length_cap_get_and_give_no_suggestion() {
        let at_cap = "a".repeat(MAX_CHARS);
        let past_cap = "a".repeat(MAX_CHARS + 1);
        assert_eq!(closest(&past_cap, ["Adam", at_cap.as_str()]), None);
        let name = "a".repeat(MAX_CHARS - 1);
        assert_eq!(closest(&name, [past_cap.as_str()]), None);
        assert_eq!(closest(&name, [past_cap.as_str(), at_cap.as_str()]), Some(at_cap.as_str()));
    }
}
