//! The `Principal` / `NotPrincipal` element of trust policies (AWS "IAM JSON policy elements:
//! Principal").

use crate::document::Principal;

/// Who calls `sts:AssumeRole*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// An IAM user, role, assumed-role session or account root, by ARN (or a bare account id).
    Aws(String),
    /// An AWS service, e.g. `ec2.amazonaws.com`.
    Service(String),
    /// A SAML/OIDC provider ARN or a web identity provider (`accounts.google.com`, ...).
    Federated(String),
    CanonicalUser(String),
}

impl Caller {
    /// Guesses the principal type of a written principal: an `arn:` of a SAML/OIDC provider or a
    /// well-known web identity provider is Federated, another `arn:` or a 12-digit account id
    /// is AWS, a name ending in `.amazonaws.com` (or `.amazonaws.com.cn`) is a Service. A
    /// `Type:` prefix (`Service:ec2.amazonaws.com`, `AWS:...`, `Federated:...`,
    /// `CanonicalUser:...`) forces the type.
    pub fn parse(text: &str) -> Caller {
        for (prefix, make) in [
            ("AWS:", Caller::Aws as fn(String) -> Caller),
            ("Service:", Caller::Service),
            ("Federated:", Caller::Federated),
            ("CanonicalUser:", Caller::CanonicalUser),
        ] {
            if let Some(rest) = text.strip_prefix(prefix) {
                if !rest.starts_with(':') {
                    return make(rest.to_owned());
                }
            }
        }
        if text.starts_with("arn:") {
            if text.contains(":saml-provider/") || text.contains(":oidc-provider/") {
                return Caller::Federated(text.to_owned());
            }
            return Caller::Aws(text.to_owned());
        }
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Caller::Aws(text.to_owned());
        }
        if [
            "accounts.google.com",
            "graph.facebook.com",
            "www.amazon.com",
            "cognito-identity.amazonaws.com",
        ]
        .contains(&text)
        {
            return Caller::Federated(text.to_owned());
        }
        if text.ends_with(".amazonaws.com") || text.ends_with(".amazonaws.com.cn") {
            return Caller::Service(text.to_owned());
        }
        Caller::Aws(text.to_owned())
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Caller::Aws(_) => "AWS",
            Caller::Service(_) => "Service",
            Caller::Federated(_) => "Federated",
            Caller::CanonicalUser(_) => "CanonicalUser",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Caller::Aws(s)
            | Caller::Service(s)
            | Caller::Federated(s)
            | Caller::CanonicalUser(s) => s,
        }
    }

    /// The account of an AWS caller (from its ARN, or the bare id).
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::Aws(s) if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) => Some(s),
            Caller::Aws(s) => s.split(':').nth(4).filter(|a| !a.is_empty()),
            _ => None,
        }
    }
}

/// How a principal entry matched the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalMatch {
    /// The entry names the caller itself (or `*`).
    Direct(String),
    /// The entry names the caller's account (`123456789012` or `arn:...:root`): the account
    /// delegates, and the caller also needs an identity policy allowing the action.
    Account(String),
}

/// Does the `Principal` element name the caller?
pub fn principal_matches(principal: &Principal, caller: &Caller) -> Option<PrincipalMatch> {
    let map = match principal {
        Principal::Wildcard => return Some(PrincipalMatch::Direct("*".into())),
        Principal::Map(m) => m,
    };
    for (kind, ids) in map {
        if kind != caller.kind() {
            continue;
        }
        for id in ids.iter() {
            if let Some(m) = entry_matches(kind, id, caller) {
                return Some(m);
            }
        }
    }
    None
}

fn entry_matches(kind: &str, id: &str, caller: &Caller) -> Option<PrincipalMatch> {
    let who = caller.id();
    match kind {
        "AWS" => {
            if id == "*" {
                return Some(PrincipalMatch::Direct(id.into()));
            }
            if id == who {
                return Some(PrincipalMatch::Direct(id.into()));
            }
            // Account: a bare id or the root ARN.
            let account = if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
                Some(id)
            } else {
                id.strip_suffix(":root").and_then(|a| a.rsplit(':').next())
            };
            if let (Some(a), Some(ca)) = (account, caller.account()) {
                if a == ca {
                    return Some(PrincipalMatch::Account(id.into()));
                }
            }
            // A role ARN names every session of the role.
            if let Some(session_role) = assumed_role_arn(who) {
                if session_role.eq_ignore_ascii_case(&role_without_path(id)) {
                    return Some(PrincipalMatch::Direct(id.into()));
                }
            }
            None
        }
        "Service" => id
            .eq_ignore_ascii_case(who)
            .then(|| PrincipalMatch::Direct(id.into())),
        _ => (id == who).then(|| PrincipalMatch::Direct(id.into())),
    }
}

/// `arn:aws:sts::111:assumed-role/name/session` -> `arn:aws:iam::111:role/name`.
fn assumed_role_arn(arn: &str) -> Option<String> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    if f.len() < 6 || f[2] != "sts" {
        return None;
    }
    let rest = f[5].strip_prefix("assumed-role/")?;
    let name = rest.split('/').next()?;
    Some(format!("arn:{}:iam::{}:role/{}", f[1], f[4], name))
}

/// `arn:aws:iam::111:role/path/name` -> `arn:aws:iam::111:role/name`.
fn role_without_path(arn: &str) -> String {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    if f.len() < 6 || !f[5].starts_with("role/") {
        return arn.to_owned();
    }
    let name = f[5].rsplit('/').next().unwrap_or_default();
    format!("arn:{}:iam::{}:role/{}", f[1], f[4], name)
}
