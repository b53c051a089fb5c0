//! Mapping of AWS SDK errors to [`ProviderError`] kinds (never decided on message text alone),
//! with the call name (`iam:CreateRole`), AWS's message and a hint where one helps.

use aiu_provider::{ErrorKind, ProviderError};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

/// The kind for an AWS error code (query-protocol `Code`).
pub(crate) fn kind_for_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "NoSuchEntity" | "NoSuchEntityException" => ErrorKind::NotFound,
        "EntityAlreadyExists" | "EntityAlreadyExistsException" => ErrorKind::AlreadyExists,
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown" => ErrorKind::Throttled,
        "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "InvalidToken"
        | "AuthFailure"
        | "RequestExpired" => ErrorKind::Credentials,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "OptInRequired" => {
            ErrorKind::AccessDenied
        }
        "MalformedPolicyDocument"
        | "MalformedPolicyDocumentException"
        | "ValidationError"
        | "ValidationException"
        | "InvalidInput"
        | "InvalidInputException"
        | "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "MissingParameter"
        | "PolicyNotAttachable"
        | "UnmodifiableEntity"
        | "DuplicateCertificate"
        | "MalformedCertificate" => ErrorKind::InvalidInput,
        "DeleteConflict"
        | "DeleteConflictException"
        | "ConcurrentModification"
        | "ConcurrentModificationException" => ErrorKind::Conflict,
        "LimitExceeded" | "LimitExceededException" => ErrorKind::LimitExceeded,
        "ServiceFailure"
        | "ServiceFailureException"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "InternalError"
        | "RequestTimeout"
        | "RequestTimeoutException" => ErrorKind::Transient,
        _ => return None,
    })
}

fn hint_for(kind: ErrorKind, call: &str, endpoint: &str) -> Option<String> {
    match kind {
        ErrorKind::Credentials => Some(format!(
            "check the AWS credentials: environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / \
             AWS_SESSION_TOKEN), AWS_PROFILE or --profile, `aws sso login` for SSO profiles; \
             requests go to {endpoint}"
        )),
        ErrorKind::AccessDenied => {
            Some(format!("the caller needs permission for `{call}`; check its IAM policies and any SCP or boundary"))
        }
        ErrorKind::Unreachable => Some(format!(
            "could not reach {endpoint}: check the endpoint (provider \"aws\" {{ endpoints {{ ... }} }}, \
             AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL) and the network"
        )),
        ErrorKind::Transient => Some(format!("{endpoint} did not answer properly; retry later, or check the endpoint")),
        ErrorKind::Throttled => Some("AWS throttled the account's requests; retry later or lower -parallelism".into()),
        ErrorKind::LimitExceeded => Some("an IAM quota was reached; see the IAM quotas of the account".into()),
        _ => None,
    }
}

/// True when the error chain says credentials could not be loaded.
fn mentions_credentials(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("credential") || t.contains("no identity") || t.contains("identity resolver")
}

/// The Display texts of an error and its sources, `: `-joined (no Debug dumps).
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Maps an SDK error. `endpoint` describes where requests go (for hints).
pub(crate) fn map_sdk_error<E>(
    call: &str,
    endpoint: &str,
    err: SdkError<E, HttpResponse>,
) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let chain = error_chain(&err);
    let (kind, message) = match &err {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            let e = se.err();
            let code = e.code().unwrap_or("");
            let kind = kind_for_code(code).unwrap_or(if status >= 500 {
                ErrorKind::Transient
            } else if status == 403 {
                ErrorKind::AccessDenied
            } else {
                ErrorKind::Other
            });
            let msg = match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_owned(),
                (None, Some(m)) => m.to_owned(),
                (None, None) => format!("HTTP {status}: {chain}"),
            };
            (kind, msg)
        }
        SdkError::ResponseError(re) => {
            let status = re.raw().status().as_u16();
            let kind = if status >= 500 {
                ErrorKind::Transient
            } else if status == 403 || status == 401 {
                ErrorKind::Credentials
            } else {
                ErrorKind::Other
            };
            (
                kind,
                format!("unexpected response (HTTP {status}) from {endpoint}: {chain}"),
            )
        }
        SdkError::DispatchFailure(df) => {
            if mentions_credentials(&chain) && !df.is_io() && !df.is_timeout() {
                (
                    ErrorKind::Credentials,
                    format!("no usable AWS credentials: {chain}"),
                )
            } else if df.is_timeout() {
                (
                    ErrorKind::Unreachable,
                    format!("timed out connecting to {endpoint}: {chain}"),
                )
            } else if df.is_io() {
                (
                    ErrorKind::Unreachable,
                    format!("cannot connect to {endpoint}: {chain}"),
                )
            } else {
                (
                    ErrorKind::Unreachable,
                    format!("request to {endpoint} failed: {chain}"),
                )
            }
        }
        SdkError::TimeoutError(_) => (
            ErrorKind::Transient,
            format!("request to {endpoint} timed out: {chain}"),
        ),
        SdkError::ConstructionFailure(_) => {
            if mentions_credentials(&chain) {
                (
                    ErrorKind::Credentials,
                    format!("no usable AWS credentials: {chain}"),
                )
            } else {
                (
                    ErrorKind::Other,
                    format!("could not build the request: {chain}"),
                )
            }
        }
        _ => (ErrorKind::Other, chain.clone()),
    };
    let mut pe = ProviderError::new(kind, call, message);
    if let Some(h) = hint_for(kind, call, endpoint) {
        pe = pe.with_hint(h);
    }
    pe
}

/// An error about the input aiu was given (not from AWS).
pub(crate) fn invalid(call: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::InvalidInput, call, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(kind_for_code("NoSuchEntity"), Some(ErrorKind::NotFound));
        assert_eq!(
            kind_for_code("EntityAlreadyExists"),
            Some(ErrorKind::AlreadyExists)
        );
        assert_eq!(kind_for_code("Throttling"), Some(ErrorKind::Throttled));
        assert_eq!(kind_for_code("ExpiredToken"), Some(ErrorKind::Credentials));
        assert_eq!(
            kind_for_code("InvalidClientTokenId"),
            Some(ErrorKind::Credentials)
        );
        assert_eq!(kind_for_code("AccessDenied"), Some(ErrorKind::AccessDenied));
        assert_eq!(
            kind_for_code("MalformedPolicyDocument"),
            Some(ErrorKind::InvalidInput)
        );
        assert_eq!(
            kind_for_code("ValidationError"),
            Some(ErrorKind::InvalidInput)
        );
        assert_eq!(kind_for_code("DeleteConflict"), Some(ErrorKind::Conflict));
        assert_eq!(
            kind_for_code("ConcurrentModification"),
            Some(ErrorKind::Conflict)
        );
        assert_eq!(
            kind_for_code("LimitExceeded"),
            Some(ErrorKind::LimitExceeded)
        );
        assert_eq!(kind_for_code("ServiceFailure"), Some(ErrorKind::Transient));
        assert_eq!(kind_for_code("Whatever"), None);
    }

    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn service(code: &str, message: &str, status: u16) -> ProviderError {
        let err =
            GetRoleError::generic(ErrorMetadata::builder().code(code).message(message).build());
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        map_sdk_error(
            "iam:GetRole",
            "https://iam.amazonaws.com",
            SdkError::service_error(err, raw),
        )
    }

    #[test]
    fn service_errors_keep_call_code_and_message() {
        let e = service("Throttling", "Rate exceeded", 400);
        assert_eq!(
            (e.kind, e.call.as_str()),
            (ErrorKind::Throttled, "iam:GetRole")
        );
        assert_eq!(e.message, "Throttling: Rate exceeded");
        assert!(e.is_retryable());
        let e = service(
            "ExpiredToken",
            "The security token included in the request is expired",
            403,
        );
        assert_eq!(e.kind, ErrorKind::Credentials);
        assert!(e.hint.unwrap().contains("credentials"));
        let e = service(
            "AccessDenied",
            "User: x is not authorized to perform: iam:GetRole",
            403,
        );
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(e.hint.unwrap().contains("iam:GetRole"));
        assert_eq!(
            service("SomethingNew", "boom", 503).kind,
            ErrorKind::Transient
        );
        assert_eq!(service("SomethingNew", "no", 400).kind, ErrorKind::Other);
    }

    #[test]
    fn transport_errors_are_unreachable_or_transient_with_endpoint_hint() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let err: SdkError<GetRoleError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(io)));
        let e = map_sdk_error("iam:GetRole", "http://127.0.0.1:1", err);
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("Connection refused"), "{e}");
        assert!(e.hint.unwrap().contains("http://127.0.0.1:1"));
        let err: SdkError<GetRoleError, HttpResponse> =
            SdkError::timeout_error("operation timed out");
        assert_eq!(
            map_sdk_error("iam:GetRole", "x", err).kind,
            ErrorKind::Transient
        );
    }
}
