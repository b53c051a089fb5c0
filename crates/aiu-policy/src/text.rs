//! Case-insensitive prefix and suffix tests on user text that never cut a character in two
//! (policy strings, tag keys and context values may hold any Unicode).

/// `s` without `prefix`, compared ASCII-case-insensitively; `None` when `s` does not start
/// with it.
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `s` without `suffix`, compared ASCII-case-insensitively; `None` when `s` does not end
/// with it.
pub(crate) fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

/// Whether `s` starts with `prefix`, ASCII-case-insensitively.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    strip_prefix_ci(s, prefix).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_suffixes_ignore_ascii_case() {
        assert_eq!(
            strip_prefix_ci("ForAnyValue:StringLike", "foranyvalue:"),
            Some("StringLike")
        );
        assert_eq!(
            strip_suffix_ci("StringEqualsIfExists", "ifexists"),
            Some("StringEquals")
        );
        assert!(starts_with_ci("ARN:aws:s3:::b", "arn:"));
        assert!(!starts_with_ci("ar", "arn:"));
    }

    #[test]
    fn text_with_multibyte_characters_at_the_cut_is_no_match_not_a_panic() {
        assert!(!starts_with_ci("abcé", "arn:"));
        assert!(!starts_with_ci("日本", "aws:"));
        assert_eq!(strip_suffix_ci("é1", "xx"), None);
        assert_eq!(strip_suffix_ci("aé", "xx"), None);
    }
}
