//! The `mock` feature, used the way a downstream crate's own tests would: a
//! typed mock server says what the API answers, and the crate's own code runs
//! against it through a normal `Client`.

use gcore_iam::mock::{MockServer, MockServerExt};
use serde_json::json;

/// "Downstream code": revoke a token, treating "already gone" as done.
async fn revoke(client: &gcore_iam::Client, account: i64, token: i64) -> Result<bool, String> {
    match client.iam_delete_api_token_v2(account, token).await {
        Ok(()) => Ok(true),
        Err(gcore_iam::Error::NotFound(_)) => Ok(false),
        Err(e) => Err(e.to_string()),
    }
}

fn client_for(server: &MockServer) -> gcore_iam::Client {
    gcore_iam::Client::builder()
        .credential("test-key")
        .base_url(server.base_url())
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_deleted_token_answers_404_and_the_callers_code_sees_not_found() {
    let server = MockServer::start_async().await;
    let gone = server.iam_delete_api_token_v2(|when, then| {
        when.client_id(42).token_id(7);
        then.error(404, json!({"message": "token not found"}));
    });
    let client = client_for(&server);

    // The error as the caller's code sees it…
    let err = client.iam_delete_api_token_v2(42, 7).await.unwrap_err();
    let gcore_iam::Error::NotFound(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.body, r#"{"message":"token not found"}"#);
    // …and what the caller's code makes of it.
    assert_eq!(revoke(&client, 42, 7).await, Ok(false));
    gone.assert_calls_async(2).await;
}

#[tokio::test]
async fn each_mock_matches_only_its_own_parameters() {
    let server = MockServer::start_async().await;
    let deleted = server.iam_delete_api_token_v2(|when, then| {
        when.client_id(42).token_id(8);
        then.no_content();
    });
    let denied = server.iam_delete_api_token_v2(|when, then| {
        when.client_id(43);
        then.status(403);
    });
    let client = client_for(&server);

    assert_eq!(revoke(&client, 42, 8).await, Ok(true));
    let err = revoke(&client, 43, 1).await.unwrap_err();
    assert!(err.starts_with("403"), "{err}");
    // Nothing matches: httpmock answers 404 itself.
    assert_eq!(revoke(&client, 44, 1).await, Ok(false));
    deleted.assert_async().await;
    denied.assert_async().await;
}

#[tokio::test]
async fn cloudflare_mocks_take_and_return_the_crates_types() {
    use cloudflare_accounts::mock::{MockServer, MockServerExt};
    use cloudflare_accounts::types;

    let account: types::AccountIdentifier = "023e105f4ecef8ad9ca31a8372d0c353".parse().unwrap();
    let token: types::TokenIdentifier = "ed17574386854bf78a67040be0a770b0".parse().unwrap();
    let server = MockServer::start_async().await;
    let reply: types::TokenDeleteResponse = serde_json::from_value(json!({
        "errors": [], "messages": [], "success": true,
        "result": {"id": "ed17574386854bf78a67040be0a770b0"}
    }))
    .unwrap();
    let mock = server.account_api_tokens_delete_token(|when, then| {
        when.account_id(&account).token_id(&token);
        then.ok(&reply);
    });
    let client = cloudflare_accounts::Client::builder()
        .credential("test-token")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let deleted = client
        .account_api_tokens_delete_token(&account, &token)
        .await
        .unwrap();
    assert_eq!(*deleted.result.id, "ed17574386854bf78a67040be0a770b0");
    mock.assert_async().await;
}
