//! "Did you mean" suggestions by edit distance.

/// Levenshtein distance in characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate, if it is close enough to be a plausible typo.
pub(crate) fn suggest<'a, I, S>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    let limit = (name.chars().count() / 5).max(2);
    candidates
        .into_iter()
        .map(|c| (distance(name, c.as_ref()), c.as_ref().to_owned()))
        .filter(|(d, c)| *d <= limit && c != name)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, c)| c)
}

/// ` Did you mean "x"?` or the empty string.
pub(crate) fn did_you_mean<'a, I, S>(name: &str, candidates: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    suggest(name, candidates).map_or_else(String::new, |s| format!(" Did you mean \"{s}\"?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_plausible_name() {
        assert_eq!(
            suggest("aws_iam_rol", ["aws_iam_role", "aws_iam_policy"]),
            Some("aws_iam_role".into())
        );
        assert_eq!(suggest("zzz", ["aws_iam_role"]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
