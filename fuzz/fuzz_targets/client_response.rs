//! Arbitrary bytes as a server's whole answer to a client's DELETE: the first
//! byte picks the provider, the rest goes on the wire as is, then the server
//! closes the connection. This drives hyper's parser, the runtime's bounded
//! body reading, the envelope check, the generated decoding and the error
//! classification, exactly as a real call does. Any panic is a finding; so is
//! an error that keeps more of a body than the runtime promises.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN: &str = "ed17574386854bf78a67040be0a770b0";

struct World {
    runtime: Runtime,
    listener: TcpListener,
    gcore: gcore_iam::Client,
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
        // No retries: one answer per call keeps every input one exchange. The
        // timeout only bounds inputs whose redirects reach a silent socket.
        let gcore = gcore_iam::Client::builder()
            .credential("fuzz-key")
            .base_url(format!("http://{address}"))
            .max_retries(0)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let cloudflare = cloudflare_accounts::Client::builder()
            .credential("fuzz-token")
            .base_url(format!("http://{address}/client/v4"))
            .max_retries(0)
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        World {
            runtime,
            listener,
            gcore,
            cloudflare,
        }
    })
}

/// Answers every connection with `answer`, then closes it (until aborted:
/// a redirect to the same origin comes back for more).
async fn serve(listener: &TcpListener, answer: &[u8]) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            continue;
        };
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let _ = socket.write_all(answer).await;
        let _ = socket.shutdown().await;
    }
}

fn check_bounded(body: &str) {
    // Lossy UTF-8 may widen each invalid byte to three.
    assert!(
        body.len() <= 3 * gcore_iam::MAX_ERROR_BODY,
        "an error kept {} bytes of body",
        body.len()
    );
}

/// The checks every error of either crate gets: the bodies it keeps are
/// bounded, and formatting it (`Display`, `Debug`) does not panic.
macro_rules! check_error {
    ($krate:ident, $error:expr) => {{
        let e: $krate::Error = $error;
        if let Some(api) = e.api_error() {
            check_bounded(&api.body);
        }
        if let $krate::Error::InvalidResponse(invalid) = &e {
            check_bounded(&invalid.body);
        }
        let _ = format!("{e} {e:?}");
    }};
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, answer)) = data.split_first() else {
        return;
    };
    let world = world();
    world.runtime.block_on(async {
        let server = serve(&world.listener, answer);
        let call = async {
            if which % 2 == 0 {
                if let Err(e) = world.gcore.iam_delete_api_token_v2(42, 7).await {
                    check_error!(gcore_iam, e);
                }
            } else {
                let account = ACCOUNT.parse().unwrap();
                let token = TOKEN.parse().unwrap();
                let result = world
                    .cloudflare
                    .account_api_tokens_delete_token(&account, &token)
                    .await;
                if let Err(e) = result {
                    check_error!(cloudflare_accounts, e);
                }
            }
        };
        tokio::select! {
            () = server => unreachable!("the server loops until the call ends"),
            () = call => {}
        }
    });
});
