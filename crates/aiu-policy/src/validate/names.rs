//! Name, path, description, session-duration and tag limits of IAM roles and policies
//! (iam-facts §4), each returning findings.

use super::{Finding, Severity};
use crate::text::starts_with_ci;

fn name_ok(name: &str, max: usize) -> bool {
    let n = name.chars().count();
    (1..=max).contains(&n)
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn err(code: &'static str, msg: String) -> Vec<Finding> {
    vec![Finding::new(code, Severity::Error, "", msg)]
}

/// Role names: `[\w+=,.@-]{1,64}` (unique ignoring case within the account).
pub fn validate_role_name(name: &str) -> Vec<Finding> {
    if name_ok(name, 64) {
        Vec::new()
    } else {
        err(
            "INVALID_ROLE_NAME",
            format!(
                "role name \"{name}\" must be 1 to 64 characters of letters, digits and _+=,.@-"
            ),
        )
    }
}

/// Policy names (inline and managed): `[\w+=,.@-]{1,128}`.
pub fn validate_policy_name(name: &str) -> Vec<Finding> {
    if name_ok(name, 128) {
        Vec::new()
    } else {
        err(
            "INVALID_POLICY_NAME",
            format!(
                "policy name \"{name}\" must be 1 to 128 characters of letters, digits and _+=,.@-"
            ),
        )
    }
}

/// Paths: `/` or `/x/y/`, characters `\u{21}`..`\u{7E}`, at most 512.
pub fn validate_path(path: &str) -> Vec<Finding> {
    let ok = path.len() <= 512
        && path.starts_with('/')
        && path.ends_with('/')
        && !path.contains("//")
        && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Vec::new()
    } else {
        err("INVALID_PATH", format!("path \"{path}\" must be \"/\" or start and end with \"/\", without \"//\", of printable ASCII, at most 512 characters"))
    }
}

/// Descriptions: at most 1,000 characters.
pub fn validate_description(description: &str) -> Vec<Finding> {
    let n = description.chars().count();
    if n <= 1000 {
        Vec::new()
    } else {
        err(
            "INVALID_DESCRIPTION",
            format!("description has {n} characters; the limit is 1,000"),
        )
    }
}

/// Role max session duration: 3,600 to 43,200 seconds.
pub fn validate_max_session_duration(seconds: i64) -> Vec<Finding> {
    if (3_600..=43_200).contains(&seconds) {
        Vec::new()
    } else {
        err(
            "INVALID_MAX_SESSION_DURATION",
            format!("max session duration {seconds} s is outside 3,600..43,200 s (1 to 12 hours)"),
        )
    }
}

fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Tags: at most 50; keys 1..128 characters, values 0..256, letters, digits, spaces and
/// `_.:/=+-@`; keys starting with `aws:` are reserved.
pub fn validate_tags<'a, I>(tags: I) -> Vec<Finding>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut out = Vec::new();
    let mut n = 0;
    for (k, v) in tags {
        n += 1;
        let kl = k.chars().count();
        let problem = if kl == 0 || kl > 128 {
            Some(format!("tag key \"{k}\" must be 1 to 128 characters"))
        } else if v.chars().count() > 256 {
            Some(format!(
                "the value of tag \"{k}\" is longer than 256 characters"
            ))
        } else if starts_with_ci(k, "aws:") {
            Some(format!("tag key \"{k}\" uses the reserved prefix aws:"))
        } else if !tag_chars_ok(k) || !tag_chars_ok(v) {
            Some(format!(
                "tag \"{k}\" has characters other than letters, digits, spaces and _.:/=+-@"
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            out.push(Finding::new(
                "INVALID_TAG",
                Severity::Error,
                format!("tags.{k}"),
                msg,
            ));
        }
    }
    if n > 50 {
        out.push(Finding::new(
            "TOO_MANY_TAGS",
            Severity::Error,
            "tags",
            format!("{n} tags; the limit is 50"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_role_name("ai-unlimited_role+=,.@").is_empty());
        assert_eq!(validate_role_name("")[0].code, "INVALID_ROLE_NAME");
        assert_eq!(validate_role_name("has space")[0].code, "INVALID_ROLE_NAME");
        assert!(!validate_role_name(&"a".repeat(65)).is_empty());
        assert!(validate_role_name(&"a".repeat(64)).is_empty());
        assert!(validate_policy_name(&"a".repeat(128)).is_empty());
        assert_eq!(
            validate_policy_name(&"a".repeat(129))[0].code,
            "INVALID_POLICY_NAME"
        );
    }

    #[test]
    fn paths_and_durations() {
        assert!(validate_path("/").is_empty());
        assert!(validate_path("/a/b-c/").is_empty());
        for bad in [
            "",
            "a/",
            "/a",
            "/a b/",
            "//",
            &format!("/{}/", "a".repeat(511)),
        ] {
            assert_eq!(validate_path(bad)[0].code, "INVALID_PATH", "{bad:?}");
        }
        assert!(validate_max_session_duration(3600).is_empty());
        assert!(validate_max_session_duration(43200).is_empty());
        assert_eq!(
            validate_max_session_duration(3599)[0].code,
            "INVALID_MAX_SESSION_DURATION"
        );
        assert!(!validate_max_session_duration(43201).is_empty());
        assert!(validate_description(&"x".repeat(1000)).is_empty());
        assert!(!validate_description(&"x".repeat(1001)).is_empty());
    }

    #[test]
    fn tags() {
        assert!(validate_tags([("team", "data"), ("cost center", "a/b:c")]).is_empty());
        assert_eq!(validate_tags([("aws:x", "v")])[0].code, "INVALID_TAG");
        assert_eq!(validate_tags([("", "v")])[0].code, "INVALID_TAG");
        assert_eq!(validate_tags([("k", "a;b")])[0].code, "INVALID_TAG");
        // Letters of any script are allowed; a multi-byte character at the 4th byte is no panic.
        assert!(validate_tags([("日本", "x"), ("abcé", "y")]).is_empty());
        assert_eq!(validate_tags([("AWS:x", "v")])[0].code, "INVALID_TAG");
        let many: Vec<(String, String)> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        let f = validate_tags(many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "TOO_MANY_TAGS");
    }
}
