//! Encoding functions: jsonencode (Terraform's exact output), jsondecode, base64encode,
//! base64decode.

use aiu_model::Value;

use super::{take, Call};
use crate::EvalError;

/// Encodes a known value as compact JSON with sorted keys, integral numbers without a
/// fraction, and `<`, `>`, `&`, U+2028, U+2029 escaped like Go (and so Terraform) does.
pub fn json_encode(value: &Value) -> String {
    let text = serde_json::to_string(&value.to_json()).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

/// `jsonencode(val)`: unknown if anything inside is unknown.
pub(super) fn jsonencode(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    if value.contains_unknown() {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(json_encode(&value)))
}

/// `jsondecode(str)`.
pub(super) fn jsondecode(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [text] = take(call, args)?;
    let text = call.string(0, &text)?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| call.arg_error(0, format!("the string is not valid JSON: {e}.")))?;
    Ok(Value::from_json(&json))
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    BASE64_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` when malformed.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim_end_matches('=');
    if text.len() - trimmed.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in trimmed.bytes() {
        let v = BASE64_ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

/// `base64encode(str)`: the UTF-8 bytes of the string in base64.
pub(super) fn base64encode(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s] = take(call, args)?;
    Ok(Value::String(base64_encode(call.string(0, &s)?.as_bytes())))
}

/// `base64decode(str)`: the decoded bytes, which must be UTF-8.
pub(super) fn base64decode(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [s] = take(call, args)?;
    let bytes = base64_decode(&call.string(0, &s)?)
        .ok_or_else(|| call.arg_error(0, "the string is not valid base64."))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| call.arg_error(0, "the decoded bytes are not valid UTF-8 text."))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, eval_with, obj};
    use aiu_model::Value;

    #[test]
    fn jsonencode_sorts_keys_is_compact_and_escapes_html_characters() {
        assert_eq!(
            eval_str("jsonencode({b = [1, 2.5, true, null], a = \"<x & y>\"})"),
            Value::from(r#"{"a":"\u003cx \u0026 y\u003e","b":[1,2.5,true,null]}"#)
        );
        assert_eq!(eval_str("jsonencode(3600)"), Value::from("3600"));
    }

    #[test]
    fn jsonencode_of_a_value_with_unknown_parts_is_unknown() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("jsonencode({a = [u.x]})", root), Value::Unknown);
    }

    #[test]
    fn jsondecode_parses_json_and_reports_bad_input() {
        assert_eq!(
            eval_str("jsondecode(\"{\\\"a\\\": [1]}\")"),
            obj([("a", Value::List(vec![Value::from(1i64)]))])
        );
        assert!(err_str("jsondecode(\"{\")")
            .detail
            .contains("not valid JSON"));
    }

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        assert_eq!(
            eval_str("base64encode(\"Hello, World\")"),
            Value::from("SGVsbG8sIFdvcmxk")
        );
        assert_eq!(eval_str("base64encode(\"ab\")"), Value::from("YWI="));
        assert_eq!(
            eval_str("base64decode(\"SGVsbG8sIFdvcmxk\")"),
            Value::from("Hello, World")
        );
        assert_eq!(eval_str("base64decode(\"YWI=\")"), Value::from("ab"));
        assert!(err_str("base64decode(\"!!\")")
            .detail
            .contains("not valid base64"));
    }
}
