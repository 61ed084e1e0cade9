//! "Did you mean …?": the known name closest to a misspelt one, by edit distance.

/// Levenshtein distance between `a` and `b` (by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known name nearest `name`, if near enough to be what was meant (at most a third of its
/// length away, and at least 1 edit allowed; a name that contains the other also counts).
pub fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, k)| *d <= limit || (k.len() > 3 && (k.contains(name) || name.contains(k))))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// `; did you mean `x`?` or, when nothing is near, the known names.
pub fn hint(name: &str, known: &[&str]) -> String {
    match nearest(name, known) {
        Some(k) => format!("; did you mean `{k}`?"),
        None if known.is_empty() => String::new(),
        None => format!(" (known: {})", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested_far_ones_are_not() {
        assert_eq!(distance("kitten", "sitting"), 3);
        let known = ["calling_start", "calling_end", "max_sms_7d"];
        assert_eq!(nearest("calling_strat", &known), Some("calling_start"));
        assert_eq!(nearest("max_sms7d", &known), Some("max_sms_7d"));
        assert_eq!(nearest("colour", &known), None);
        assert_eq!(
            hint("colour", &known),
            " (known: calling_start, calling_end, max_sms_7d)"
        );
    }
}
