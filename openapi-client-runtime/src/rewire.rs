//! Request changes that generated code asks for where progenitor cannot build
//! what the spec describes (see the notes of `cargo xtask generate`): each is
//! called by a client crate's `rewire` for the operations that need it.
//!
//! Each returns the reason a request cannot be sent, if it cannot.

use std::hash::{BuildHasher, Hasher};

use reqwest::header::{HeaderName, HeaderValue};

/// A schema-less body the caller left out: the facade passed `null`, and the
/// request goes out empty, still labelled JSON, as Cloudflare's SDK sends its
/// DELETEs. A caller's explicit `Some(&Value::Null)` is sent empty as well.
pub fn empty_for_null(request: &mut reqwest::Request) {
    if request.body().and_then(reqwest::Body::as_bytes) == Some(b"null") {
        *request.body_mut() = Some(reqwest::Body::from(Vec::new()));
    }
}

/// Sends a query parameter under the vendor's name: the lowered document
/// renamed it because its Rust name collided with another parameter's.
pub fn rename_query_parameter(request: &mut reqwest::Request, sent: &str, wire: &str) {
    let url = request.url_mut();
    if !url.query_pairs().any(|(key, _)| key == sent) {
        return;
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let key = if key == sent {
                wire.to_string()
            } else {
                key.into_owned()
            };
            (key, value.into_owned())
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
}

/// The same for a header parameter.
pub fn rename_header(request: &mut reqwest::Request, sent: &str, wire: &str) -> Result<(), String> {
    let (sent, wire) = (header_name(sent)?, header_name(wire)?);
    let headers = request.headers_mut();
    let values: Vec<HeaderValue> = match headers.entry(sent) {
        reqwest::header::Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        reqwest::header::Entry::Vacant(_) => return Ok(()),
    };
    for value in values {
        headers.append(wire.clone(), value);
    }
    Ok(())
}

/// A header name from the lowered document, for the rewires above and below.
fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::try_from(name).map_err(|e| format!("header `{name}`: {e}"))
}

/// Moves a cookie parameter's value from the header it was generated as into
/// the `Cookie` header, as `name=value`.
pub fn cookie_from_header(
    request: &mut reqwest::Request,
    sent: &str,
    name: &str,
) -> Result<(), String> {
    let sent = header_name(sent)?;
    let headers = request.headers_mut();
    let Some(value) = headers.remove(&sent) else {
        return Ok(());
    };
    // RFC 6265 cookie-octets: no controls, whitespace, `"`, `,`, `;` or backslash.
    let value = value
        .to_str()
        .ok()
        .filter(|v| {
            v.bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b',' | b';' | b'\\'))
        })
        .ok_or_else(|| {
            format!("the value of cookie `{name}` holds characters a cookie cannot carry")
        })?;
    let cookie = match headers
        .get(reqwest::header::COOKIE)
        .map(HeaderValue::to_str)
    {
        Some(Ok(existing)) => format!("{existing}; {name}={value}"),
        _ => format!("{name}={value}"),
    };
    let cookie = HeaderValue::try_from(cookie).map_err(|e| format!("cookie `{name}`: {e}"))?;
    headers.insert(reqwest::header::COOKIE, cookie);
    Ok(())
}

/// Moves the cookie pairs [`style::cookie`](crate::style::cookie) wrote
/// into the header `sent` (`color=blue; color=black`) into the `Cookie`
/// header, after any cookies already there.
pub fn cookies_from_header(request: &mut reqwest::Request, sent: &str) -> Result<(), String> {
    let sent = header_name(sent)?;
    let headers = request.headers_mut();
    let Some(value) = headers.remove(&sent) else {
        return Ok(());
    };
    let pairs = value
        .to_str()
        .map_err(|_| format!("the cookies of `{sent}` are not text"))?;
    if pairs.is_empty() {
        return Ok(());
    }
    let cookie = match headers
        .get(reqwest::header::COOKIE)
        .map(HeaderValue::to_str)
    {
        Some(Ok(existing)) => format!("{existing}; {pairs}"),
        _ => pairs.to_string(),
    };
    let cookie = HeaderValue::try_from(cookie).map_err(|e| format!("cookie `{sent}`: {e}"))?;
    headers.insert(reqwest::header::COOKIE, cookie);
    Ok(())
}

/// Sends the body progenitor built under the media type the spec declares
/// (an image, XML, ...): progenitor labels every raw body
/// `application/octet-stream`.
pub fn set_content_type(
    request: &mut reqwest::Request,
    media_type: &'static str,
) -> Result<(), String> {
    // The media type is the spec's text: `from_static` would panic on one
    // that is no header value, in the caller's process.
    let value = HeaderValue::from_str(media_type)
        .map_err(|_| format!("the media type `{media_type}` is not a valid header value"))?;
    request
        .headers_mut()
        .insert(reqwest::header::CONTENT_TYPE, value);
    Ok(())
}

/// Re-encodes the JSON object progenitor built as `multipart/form-data`: one
/// part per field (one per element of an array), strings as they are and
/// other values as JSON; `null` fields are left out. The body stays in memory,
/// so the request can still be retried.
pub fn encode_multipart(request: &mut reqwest::Request) -> Result<(), String> {
    let Some(json) = request.body().and_then(reqwest::Body::as_bytes) else {
        return Ok(());
    };
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(json)
        .map_err(|e| format!("a multipart form must be a JSON object of fields: {e}"))?;
    let boundary = format!(
        "form-boundary-{:016x}{:016x}",
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish(),
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
    );
    let mut body = Vec::new();
    for (name, value) in &fields {
        let values: Vec<&serde_json::Value> = match value {
            serde_json::Value::Array(items) => items.iter().collect(),
            serde_json::Value::Null => Vec::new(),
            other => vec![other],
        };
        // WHATWG's multipart encoding: quotes and line breaks in a field name
        // are percent-encoded so that they cannot end the header.
        let name = name
            .replace('"', "%22")
            .replace('\r', "%0D")
            .replace('\n', "%0A");
        for value in values {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                    .as_bytes(),
            );
            match value {
                serde_json::Value::String(text) => body.extend_from_slice(text.as_bytes()),
                other => body.extend_from_slice(other.to_string().as_bytes()),
            }
            body.extend_from_slice(b"\r\n");
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let content_type = HeaderValue::try_from(format!("multipart/form-data; boundary={boundary}"))
        .map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .insert(reqwest::header::CONTENT_TYPE, content_type);
    *request.body_mut() = Some(reqwest::Body::from(body));
    Ok(())
}

/// A query value the spec types `number`: a whole value is written as an
/// integer (`page=2`, as the vendors' SDKs send it, not serde's `page=2.0`),
/// any other value as it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WholeNumber(pub f64);

impl From<f64> for WholeNumber {
    fn from(value: f64) -> Self {
        Self(value)
    }
}

impl From<f32> for WholeNumber {
    fn from(value: f32) -> Self {
        Self(f64::from(value))
    }
}

impl serde::Serialize for WholeNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Within ±2^53 every whole f64 is exactly an i64.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if self.0.fract() == 0.0 && self.0.abs() <= EXACT {
            #[allow(clippy::cast_possible_truncation)]
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

#[cfg(test)]
mod whole_number_tests {
    use super::WholeNumber;

    #[test]
    fn whole_values_are_integers_and_others_unchanged() {
        let text = |v: f64| serde_json::to_string(&WholeNumber(v)).unwrap();
        assert_eq!(text(2.0), "2");
        assert_eq!(text(-3.0), "-3");
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(1e300), "1e+300");
        assert_eq!(
            serde_json::to_string(&Some(WholeNumber::from(7.0_f32))).unwrap(),
            "7"
        );
    }
}

#[cfg(test)]
mod content_type_tests {
    use super::set_content_type;

    fn request() -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::POST, "http://127.0.0.1/x".parse().unwrap())
    }

    /// A spec's media type with a newline made `from_static` panic here.
    #[test]
    fn a_media_type_that_is_no_header_value_is_an_error_not_a_panic() {
        let mut r = request();
        let e = set_content_type(&mut r, "image/png\r\nX-Injected: 1").unwrap_err();
        assert!(e.contains("is not a valid header value"), "{e}");
        assert!(r.headers().get("content-type").is_none());
        set_content_type(&mut r, "image/png").unwrap();
        assert_eq!(r.headers()["content-type"], "image/png");
    }
}
