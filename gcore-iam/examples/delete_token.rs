//! Deletes one API token.
//!
//! ```sh
//! GCORE_API_KEY=... cargo run -p gcore-iam --example delete_token -- CLIENT_ID TOKEN_ID
//! ```

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(client_id), Some(token_id)) = (
        args.first().and_then(|a| a.parse::<i64>().ok()),
        args.get(1).and_then(|a| a.parse::<i64>().ok()),
    ) else {
        eprintln!("usage: delete_token CLIENT_ID TOKEN_ID   (numbers; GCORE_API_KEY must be set)");
        return ExitCode::from(2);
    };
    let client = match gcore_iam::Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.iam_delete_api_token_v2(client_id, token_id).await {
        Ok(()) => {
            println!("deleted token {token_id} of client {client_id}");
            ExitCode::SUCCESS
        }
        Err(gcore_iam::Error::NotFound(_)) => {
            println!("token {token_id} of client {client_id} does not exist");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
