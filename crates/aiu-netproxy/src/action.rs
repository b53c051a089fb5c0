//! Which AWS API action a request calls: `Action=` of a query-protocol request (form body or
//! URL query), or the `X-Amz-Target` header of a JSON-protocol request; the service comes from
//! the SigV4 credential scope of the `Authorization` header (`.../us-east-1/iam/aws4_request`).

use percent_encoding::percent_decode_str;

/// Looks up a header by name, case-insensitively.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
fn form_decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

/// The value of `key` in a form-encoded string (`a=1&Action=GetRole&...`).
pub fn form_value(form: &str, key: &str) -> Option<String> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k) == key).then(|| form_decode(v))
    })
}

/// The signing service of a SigV4 `Authorization` header, e.g. `iam` or `sts`.
pub fn sigv4_service(authorization: &str) -> Option<String> {
    let cred = authorization.split("Credential=").nth(1)?;
    let scope = cred.split([',', ' ']).next()?;
    // AKID/DATE/REGION/SERVICE/aws4_request
    let parts: Vec<&str> = scope.split('/').collect();
    if parts.len() >= 5 && parts[parts.len() - 1] == "aws4_request" {
        let svc = parts[parts.len() - 2];
        (!svc.is_empty()).then(|| svc.to_ascii_lowercase())
    } else {
        None
    }
}

/// The API action of a request, without the service: `GetRole`, or `None` when the request
/// names none (then it is counted as `Unknown`).
pub fn action_name(headers: &[(String, String)], target: &str, body: &[u8]) -> Option<String> {
    if let Some(t) = header(headers, "x-amz-target") {
        let a = t.rsplit('.').next().unwrap_or(t).trim();
        if !a.is_empty() {
            return Some(a.to_owned());
        }
    }
    if !body.is_empty() {
        let is_json = header(headers, "content-type").is_some_and(|c| c.contains("json"));
        if !is_json {
            if let Some(a) = std::str::from_utf8(body)
                .ok()
                .and_then(|b| form_value(b.trim(), "Action"))
            {
                if !a.is_empty() {
                    return Some(a);
                }
            }
        }
    }
    let query = target.split_once('?').map(|(_, q)| q)?;
    form_value(query, "Action").filter(|a| !a.is_empty())
}

/// The counting key of a request: `service:Action` (`iam:GetRole`) when the service is known
/// from the signature, `Action` otherwise, `Unknown` when no action is named.
pub fn action_key(headers: &[(String, String)], target: &str, body: &[u8]) -> String {
    let action = action_name(headers, target, body).unwrap_or_else(|| "Unknown".to_owned());
    match header(headers, "authorization").and_then(sigv4_service) {
        Some(svc) => format!("{svc}:{action}"),
        None => action,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const AUTH_IAM: &str = "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc";

    #[test]
    fn query_protocol_form_body() {
        let headers = h(&[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", AUTH_IAM),
        ]);
        let body = b"Action=GetRole&Version=2010-05-08&RoleName=bench-role-1";
        assert_eq!(action_name(&headers, "/", body).as_deref(), Some("GetRole"));
        assert_eq!(action_key(&headers, "/", body), "iam:GetRole");
    }

    #[test]
    fn action_not_first_and_encoded() {
        let headers = h(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )]);
        let body = b"Version=2010-05-08&RoleName=a%2Bb&Action=List%52oles";
        assert_eq!(action_key(&headers, "/", body), "ListRoles");
    }

    #[test]
    fn action_prefix_is_not_action() {
        let body = b"Version=2010-05-08&ActionName=Foo&Action=CreateRole";
        assert_eq!(action_name(&[], "/", body).as_deref(), Some("CreateRole"));
    }

    #[test]
    fn json_protocol_target_header() {
        let headers = h(&[
            ("X-Amz-Target", "AmazonSSM.GetParameter"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=x"),
        ]);
        assert_eq!(
            action_key(&headers, "/", br#"{"Name":"x"}"#),
            "ssm:GetParameter"
        );
    }

    #[test]
    fn url_query_action() {
        let headers = h(&[("Authorization", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sts/aws4_request,SignedHeaders=host,Signature=x")]);
        assert_eq!(
            action_key(
                &headers,
                "/?Action=GetCallerIdentity&Version=2011-06-15",
                b""
            ),
            "sts:GetCallerIdentity"
        );
    }

    #[test]
    fn unknown_when_nothing_names_an_action() {
        assert_eq!(action_key(&[], "/moto-api/", b""), "Unknown");
        assert_eq!(action_key(&[], "/", b"Version=1&Action="), "Unknown");
        assert_eq!(
            action_key(
                &h(&[("Content-Type", "application/json")]),
                "/",
                b"Action=X"
            ),
            "Unknown"
        );
    }

    #[test]
    fn sigv4_scope_parsing() {
        assert_eq!(sigv4_service(AUTH_IAM).as_deref(), Some("iam"));
        assert_eq!(sigv4_service("Bearer xyz"), None);
        assert_eq!(
            sigv4_service("AWS4-HMAC-SHA256 Credential=AK/x/aws4_request"),
            None
        );
    }
}
