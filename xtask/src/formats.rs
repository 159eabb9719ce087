//! The `format`s that typify turns into a library type (a date, a UUID, an
//! address) or a sized integer, and whether a JSON value is one of them.
//!
//! Both the normalizer (which drops a `default` its schema does not admit,
//! before typify writes it as code that runs whenever the field is absent) and
//! the no-panic step (which checks what typify wrote) ask this one question,
//! decoding with the same types and versions the generated code uses.

use serde_json::Value;

/// Whether `value` is a valid instance of `format`; `true` for a format that
/// typify leaves a plain `String` or `f64` (`email`, `uri`, ...), whose
/// values the generated code never parses.
pub fn admits(format: &str, value: &Value) -> bool {
    let decodes = |f: fn(&Value) -> bool| f(value);
    match (format, value) {
        ("date-time", Value::String(_)) => {
            decodes(|v| serde_json::from_value::<chrono::DateTime<chrono::Utc>>(v.clone()).is_ok())
        }
        ("date", Value::String(_)) => {
            decodes(|v| serde_json::from_value::<chrono::NaiveDate>(v.clone()).is_ok())
        }
        ("uuid", Value::String(_)) => {
            decodes(|v| serde_json::from_value::<uuid::Uuid>(v.clone()).is_ok())
        }
        ("ip", Value::String(s)) => s.parse::<std::net::IpAddr>().is_ok(),
        ("ipv4", Value::String(s)) => s.parse::<std::net::Ipv4Addr>().is_ok(),
        ("ipv6", Value::String(s)) => s.parse::<std::net::Ipv6Addr>().is_ok(),
        (_, Value::Number(n)) => match integer_range(format) {
            Some((min, max)) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .is_some_and(|n| (min..=max).contains(&n)),
            None => true,
        },
        _ => true,
    }
}

/// The range of the Rust integer typify picks for an integer `format`.
pub fn integer_range(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (0, u8::MAX.into()),
        "uint16" => (0, u16::MAX.into()),
        "uint32" => (0, u32::MAX.into()),
        "uint64" => (0, u64::MAX.into()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn library_formats_are_decoded_and_others_pass() {
        assert!(admits("date-time", &json!("2024-08-06T10:00:00Z")));
        assert!(!admits("date-time", &json!("Now + 30 minutes")));
        assert!(admits("date", &json!("2024-02-29")));
        assert!(!admits("date", &json!("2023-02-29")));
        assert!(admits(
            "uuid",
            &json!("67e55044-10b1-426f-9247-bb680e5fe0c8")
        ));
        assert!(!admits("uuid", &json!("not-a-uuid")));
        assert!(!admits("ipv4", &json!("256.0.0.1")));
        assert!(admits("ip", &json!("::1")));
        assert!(admits("email", &json!("anything")));
        assert!(!admits("uint8", &json!(300)));
        assert!(admits("int16", &json!(-300)));
        assert!(admits("float", &json!(1.5)));
    }
}
