//! Deletes one account-owned API token.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... cargo run -p cloudflare-accounts --example delete_token -- ACCOUNT_ID TOKEN_ID
//! ```

use std::process::ExitCode;

use cloudflare_accounts::types::{AccountIdentifier, TokenIdentifier};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match (args.first(), args.get(1)) {
        (Some(account), Some(token)) => account
            .parse::<AccountIdentifier>()
            .and_then(|a| Ok((a, token.parse::<TokenIdentifier>()?))),
        _ => {
            eprintln!(
                "usage: delete_token ACCOUNT_ID TOKEN_ID   (CLOUDFLARE_API_TOKEN must be set)"
            );
            return ExitCode::from(2);
        }
    };
    let (account, token) = match parsed {
        Ok(ids) => ids,
        Err(e) => {
            eprintln!("invalid argument: {e}");
            return ExitCode::from(2);
        }
    };
    let client = match cloudflare_accounts::Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client
        .account_api_tokens_delete_token(&account, &token)
        .await
    {
        Ok(deleted) => {
            println!("deleted token {}", *deleted.result.id);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(api) = e.api_error() {
                for message in &api.errors {
                    eprintln!("  {} (code {:?})", message.message, message.code);
                }
            }
            ExitCode::FAILURE
        }
    }
}
