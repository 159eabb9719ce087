//! Path parameters: a value is one path segment, whatever it holds.
//!
//! A URL parser reads more than `/` as structure: the WHATWG parser that
//! reqwest uses takes `\` for `/` in http(s) URLs and then resolves `..`, so
//! `..\..\user` walks up the path, and `?`, `#` and `%` end or change it too.
//! Encoding every byte that is not plainly data leaves it nothing to read.

use crate::Error;

/// Percent-encodes a path parameter's value into one path segment: every byte
/// except RFC 3986's unreserved characters (ASCII letters and digits, `-`,
/// `.`, `_`, `~`) and `,` becomes `%XX`, `%` and `\` included.
///
/// `,` stays because it is the delimiter of OpenAPI's default path style
/// (`simple`: an array as `a,b,c`), which a caller writes into the text of a
/// lowered array parameter; no URL parser, and no server that splits paths
/// on `;` (Java's path parameters), reads it as structure.
///
/// Generated code calls this (not progenitor's, which leaves `\` alone) for
/// every path parameter. The values that stay dot segments after encoding,
/// `.` and `..` (and the empty one), are refused by [`check_path_segment`]
/// before the request is built.
///
/// ```
/// use openapi_client_runtime::encode_path;
///
/// assert_eq!(encode_path("..\\..\\user"), "..%5C..%5Cuser");
/// assert_eq!(encode_path("a/b?c#d%"), "a%2Fb%3Fc%23d%25");
/// assert_eq!(encode_path("jeton-é~_."), "jeton-%C3%A9~_.");
/// assert_eq!(encode_path("a,b;c=d"), "a,b%3Bc%3Dd");
/// ```
pub fn encode_path(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(value.len());
    for &byte in value.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b',') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
    }
    encoded
}

/// Rejects a path parameter that would change the request's target.
///
/// Values are percent-encoded ([`encode_path`]), but an empty value or
/// `.`/`..` is a path segment of its own that URL normalisation collapses;
/// the vendors' SDKs refuse them too. (Encoding a dot would not help: the URL
/// standard reads `%2e` as `.` in a dot segment.)
pub fn check_path_segment(name: &'static str, value: &str) -> Result<(), Error> {
    let reason = match value {
        "" => "must not be empty",
        "." | ".." => "must not be `.` or `..`",
        _ => return Ok(()),
    };
    Err(Error::InvalidArgument {
        name,
        reason: reason.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inverse of [`encode_path`], strict about the `%XX` it writes.
    fn decode(encoded: &str) -> Vec<u8> {
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn any_value_is_one_segment_that_decodes_back(value in proptest::prelude::any::<String>()) {
            let encoded = encode_path(&value);
            proptest::prop_assert!(
                encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~,%".contains(&b)),
                "{encoded}"
            );
            proptest::prop_assert_eq!(decode(&encoded), value.as_bytes());
        }

        /// The URL parser reqwest uses leaves an encoded segment as it is: one
        /// segment, in its place, whatever the value.
        #[test]
        fn the_url_parser_keeps_the_segment_in_place(value in "[./\\\\%?#a-z:@;=&+, \t\u{0}é]{0,12}") {
            proptest::prop_assume!(check_path_segment("v", &value).is_ok());
            let url = reqwest::Url::parse(&format!("http://h/v4/a/{}/b", encode_path(&value))).unwrap();
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            proptest::prop_assert_eq!(segments.len(), 4, "{}", url);
            proptest::prop_assert_eq!([segments[0], segments[1], segments[3]], ["v4", "a", "b"]);
            proptest::prop_assert_eq!(decode(segments[2]), value.as_bytes());
            proptest::prop_assert!(url.query().is_none() && url.fragment().is_none());
        }
    }

    #[test]
    fn dot_segments_and_the_empty_value_are_refused() {
        for bad in ["", ".", ".."] {
            assert!(
                matches!(
                    check_path_segment("id", bad),
                    Err(Error::InvalidArgument { name: "id", .. })
                ),
                "{bad:?}"
            );
        }
        for fine in ["...", ".a", "..\\..", "%2e%2e", " "] {
            assert!(check_path_segment("id", fine).is_ok(), "{fine:?}");
        }
    }
}
