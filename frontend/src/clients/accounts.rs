//! The accounts service's account listings, as the founder's money pages and the staff's client
//! page read them. Statements and transfers stay with the money pages, their only caller.

use reqwest::Method;
use serde::Deserialize;

use crate::clients::api::{send_json, CallError, ServiceApi};

/// An account with its balances; amounts travel as strings so no binary float touches them.
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    pub number: String,
    pub kind: String,
    pub currency: String,
    pub name: Option<String>,
    pub posted_balance: String,
    pub available_balance: String,
}

/// The signed-in founder's own accounts.
pub async fn own_accounts(api: &ServiceApi, token: &str) -> Result<Vec<Account>, CallError> {
    send_json(api.authorized(Method::GET, "/v1/me/accounts", token)).await
}

/// A client's accounts, for staff (`GET /v1/accounts?client_id=`).
pub async fn client_accounts(
    api: &ServiceApi,
    token: &str,
    client_id: &str,
) -> Result<Vec<Account>, CallError> {
    send_json(
        api.authorized(Method::GET, "/v1/accounts", token)
            .query(&[("client_id", client_id)]),
    )
    .await
}
