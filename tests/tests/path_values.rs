//! A path value is one segment, whatever it holds.
//!
//! For any string, the request that reaches a loopback server keeps the path
//! template's constant segments where the template puts them, and each value's
//! segment percent-decodes back to the value: no byte of it (`/`, `\`, `?`,
//! `#`, `%`, a dot segment) is read as URL structure. The values a URL parser
//! would collapse on their own (`""`, `.`, `..`) are refused with
//! `InvalidArgument` before anything is sent.

use proptest::prelude::*;
use serde_json::json;
use workspace_tests::{Reply, TestServer};

/// Characters that a URL parser reads as structure, or that percent-encoding
/// itself is made of, mixed with any character at all.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '/', '\\', '.', '%', '?', '#', ';', ',', '@', ':', '&', '=', '+', ' ', '\t', '\n', '\0',
            '2', 'e', 'E', 'f', 'F', '5', 'C', 'c',
        ]),
        1 => any::<char>(),
    ]
}

fn value(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), len).prop_map(|chars| chars.into_iter().collect())
}

/// `value`'s percent-decoding, or `None` when it is not a well-formed one.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Sends `DELETE /accounts/{account}/tokens/{token}` and checks what arrived.
async fn check(
    server: &TestServer,
    client: &cloudflare_accounts::Client,
    account: &str,
    token: &str,
) -> Result<(), TestCaseError> {
    let before = server.requests().len();
    let account_id = account.parse().expect("32 characters");
    let token_id = token.parse().expect("at most 32 characters");
    let result = client
        .account_api_tokens_delete_token(&account_id, &token_id)
        .await;
    if matches!(token, "" | "." | "..") {
        let refused = matches!(
            &result,
            Err(cloudflare_accounts::Error::InvalidArgument {
                name: "token_id",
                ..
            })
        );
        prop_assert!(refused, "{token:?}: {result:?}");
        prop_assert_eq!(server.requests().len(), before, "sent anyway");
        return Ok(());
    }
    prop_assert!(result.is_ok(), "{account:?}/{token:?}: {result:?}");
    let requests = server.requests();
    prop_assert_eq!(requests.len(), before + 1);
    let target = &requests[before].target;
    let segments: Vec<&str> = target.split('/').collect();
    prop_assert_eq!(
        segments.len(),
        7,
        "{:?}/{:?} arrived as {}",
        account,
        token,
        target
    );
    prop_assert_eq!(
        [
            segments[0],
            segments[1],
            segments[2],
            segments[3],
            segments[5]
        ],
        ["", "client", "v4", "accounts", "tokens"],
        "{}",
        target
    );
    for (segment, value) in [(segments[4], account), (segments[6], token)] {
        prop_assert!(
            !segment.contains(['?', '#', '\\']),
            "{value:?} arrived as {target}"
        );
        let decoded = percent_decode(segment);
        prop_assert_eq!(decoded.as_deref(), Some(value), "{}", target);
    }
    Ok(())
}

#[test]
fn any_string_is_one_path_segment_on_the_wire() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ok = json!({"errors": [], "messages": [], "success": true, "result": {"id": "023e105f4ecef8ad9ca31a8372d0c353"}});
    let server = runtime.block_on(TestServer::with_replies(vec![Reply::json(200, &ok)]));
    let client = cloudflare_accounts::Client::builder()
        .credential("secret")
        .base_url(server.url("/client/v4"))
        .max_retries(0)
        .build()
        .unwrap();
    // The example first: it walked up to `DELETE /client/v4/user`.
    let account = "023e105f4ecef8ad9ca31a8372d0c353";
    for token in [
        "..\\..\\..\\user",
        "..%2F..%2Fuser",
        "%2e%2e",
        "/",
        "\\",
        "...",
    ] {
        runtime
            .block_on(check(&server, &client, account, token))
            .unwrap();
    }
    proptest!(|(account in value(32), token in value(0..=32))| {
        runtime.block_on(check(&server, &client, &account, &token))?;
    });
}
