//! [`UnknownValue`]: what a response enum holds when the API sends a value
//! that this client's version was not generated with.
//!
//! Vendors add enum values and `oneOf` branches without calling it a breaking
//! change, and clients already deployed keep receiving them. A generated enum
//! reachable from a response therefore ends in an `Unknown(UnknownValue)`
//! variant (`#[serde(untagged)]`, tried after every declared variant), so the
//! call succeeds and the caller sees the raw value instead of an
//! `InvalidResponse`.
//!
//! A caller cannot make one: there is no constructor, only decoding. A request
//! therefore carries a declared value, or at most a value the API itself sent
//! (serializing an `Unknown` writes back exactly what was received, as the AWS
//! SDK for Rust does, so that a read-modify-write keeps the field unchanged).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value the API sent that is none of the values this client knows, kept as
/// it arrived. Read it with [`as_str`](Self::as_str) (a string value) or
/// [`as_json`](Self::as_json).
#[derive(Clone, Debug)]
pub struct UnknownValue(serde_json::Value);

impl UnknownValue {
    /// The value, when the API sent a string (as it does for a string enum).
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_str()
    }

    /// The value as JSON, whatever its shape.
    pub fn as_json(&self) -> &serde_json::Value {
        &self.0
    }

    /// Its JSON text with object keys sorted: what ordering and hashing
    /// compare, so that they agree with equality whatever map type serde_json
    /// was built with (`preserve_order` keeps keys as sent).
    fn canonical(&self) -> String {
        let mut out = String::new();
        canonical(&self.0, &mut out);
        out
    }
}

fn canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                canonical(item, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The string as sent, or else the JSON text.
impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            serde_json::Value::String(s) => f.write_str(s),
            other => write!(f, "{other}"),
        }
    }
}

impl PartialEq for UnknownValue {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for UnknownValue {}

impl PartialOrd for UnknownValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UnknownValue {
    fn cmp(&self, other: &Self) -> Ordering {
        self.canonical().cmp(&other.canonical())
    }
}

impl Hash for UnknownValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical().hash(state);
    }
}

impl<'de> Deserialize<'de> for UnknownValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Self)
    }
}

impl Serialize for UnknownValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    enum Status {
        #[serde(rename = "active")]
        Active,
        #[serde(untagged)]
        Unknown(UnknownValue),
    }

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    #[serde(tag = "type")]
    enum Source {
        #[serde(rename = "s3")]
        S3 { bucket: String },
        #[serde(untagged)]
        Unknown(UnknownValue),
    }

    #[test]
    fn a_new_value_decodes_into_unknown_and_round_trips() {
        let known: Status = serde_json::from_str(r#""active""#).unwrap();
        assert_eq!(known, Status::Active);
        let new: Status = serde_json::from_str(r#""expired""#).unwrap();
        let Status::Unknown(value) = &new else {
            panic!("{new:?}")
        };
        assert_eq!(value.as_str(), Some("expired"));
        assert_eq!(value.to_string(), "expired");
        assert_eq!(serde_json::to_string(&new).unwrap(), r#""expired""#);
    }

    #[test]
    fn a_new_branch_of_a_tagged_union_decodes_into_unknown() {
        let known: Source = serde_json::from_str(r#"{"type":"s3","bucket":"b"}"#).unwrap();
        assert_eq!(known, Source::S3 { bucket: "b".into() });
        let text = r#"{"type":"azure","container":"c"}"#;
        let new: Source = serde_json::from_str(text).unwrap();
        let Source::Unknown(value) = &new else {
            panic!("{new:?}")
        };
        assert_eq!(value.as_json()["container"], "c");
        assert_eq!(value.as_str(), None);
        let back: serde_json::Value = serde_json::to_value(&new).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn equal_json_is_equal_and_hashes_alike() {
        use std::collections::hash_map::DefaultHasher;
        let a: UnknownValue = serde_json::from_str(r#"{"a":1,"b":[true]}"#).unwrap();
        let b: UnknownValue = serde_json::from_str(r#"{ "b": [true], "a": 1 }"#).unwrap();
        let c: UnknownValue = serde_json::from_str(r#""x""#).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let hash = |v: &UnknownValue| {
            let mut h = DefaultHasher::new();
            v.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert_eq!(a.cmp(&b), Ordering::Equal);
    }
}
