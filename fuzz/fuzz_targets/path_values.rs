//! Arbitrary strings as path parameters: the request that reaches a loopback
//! server must keep the path template's constant segments in place, and each
//! value's segment must percent-decode back to the value. `""`, `.` and `..`
//! must be refused with `InvalidArgument` before anything is sent. The same
//! property as `tests/tests/path_values.rs`, driven by coverage instead of
//! proptest's strategies.
//!
//! The input is read as UTF-8 (lossily): its first 32 characters, padded with
//! `x` to the 32 that the type requires, are the account, the next 32 at most
//! the token (Cloudflare's `DELETE /accounts/{account_id}/tokens/{token_id}`).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const OK: &str = r#"{"errors":[],"messages":[],"success":true,"result":{"id":"023e105f4ecef8ad9ca31a8372d0c353"}}"#;

struct World {
    runtime: Runtime,
    listener: TcpListener,
    cloudflare: cloudflare_accounts::Client,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        let cloudflare = cloudflare_accounts::Client::builder()
            .credential("fuzz-token")
            .base_url(format!("http://{address}/client/v4"))
            .max_retries(0)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        World {
            runtime,
            listener,
            cloudflare,
        }
    })
}

/// Accepts one connection, answers its request with a success, and returns
/// the request target as it arrived.
async fn serve_one(listener: &TcpListener) -> String {
    let (mut socket, _) = listener.accept().await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{OK}",
        OK.len()
    );
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
    let head = String::from_utf8_lossy(&head);
    head.split(' ').nth(1).unwrap_or_default().to_string()
}

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

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut chars = text.chars();
    let mut account: String = chars.by_ref().take(32).collect();
    while account.chars().count() < 32 {
        account.push('x');
    }
    let token: String = chars.take(32).collect();
    let account_id = account.parse().unwrap();
    let token_id = token.parse().unwrap();
    let world = world();

    if matches!(token.as_str(), "" | "." | "..") {
        let result = world.runtime.block_on(
            world
                .cloudflare
                .account_api_tokens_delete_token(&account_id, &token_id)
                .into_future(),
        );
        assert!(
            matches!(
                result,
                Err(cloudflare_accounts::Error::InvalidArgument {
                    name: "token_id",
                    ..
                })
            ),
            "{token:?}: {result:?}"
        );
        return;
    }

    let (target, result) = world.runtime.block_on(async {
        tokio::join!(
            async {
                // Bounded: a call that never connects fails the check below.
                tokio::time::timeout(Duration::from_secs(10), serve_one(&world.listener))
                    .await
                    .unwrap_or_default()
            },
            world
                .cloudflare
                .account_api_tokens_delete_token(&account_id, &token_id)
                .into_future()
        )
    });
    assert!(result.is_ok(), "{account:?}/{token:?}: {result:?}");
    let segments: Vec<&str> = target.split('/').collect();
    assert_eq!(
        segments.len(),
        7,
        "{account:?}/{token:?} arrived as {target}"
    );
    assert_eq!(
        [
            segments[0],
            segments[1],
            segments[2],
            segments[3],
            segments[5]
        ],
        ["", "client", "v4", "accounts", "tokens"],
        "{target}"
    );
    for (segment, value) in [(segments[4], &account), (segments[6], &token)] {
        assert!(
            !segment.contains(['?', '#', '\\']),
            "{value:?} arrived as {target}"
        );
        assert_eq!(
            percent_decode(segment).as_deref(),
            Some(value.as_str()),
            "{target}"
        );
    }
});
