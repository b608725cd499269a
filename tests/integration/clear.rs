//! The seed's `POST /clear/{what}`: open as the seed had it when no control token is set;
//! with `control.token` set, it needs that token (every tenant) or a tenant's own credentials
//! (its own data).

use serde_json::Value;

use crate::support::*;

const CONTROL_TOKEN: &str = "control-secret";

/// The default tenant and a subaccount of it, each with one message.
struct Two {
    app: TestApp,
    sub_sid: String,
    sub_token: String,
}

async fn two_tenants(control_token: Option<&str>) -> Two {
    let mut config = test_config();
    config.control.token = control_token.map(Into::into);
    config.twilio.validation.check_from_numbers = false;
    let app = spawn_with(config).await;
    let (status, account) = app
        .post("/2010-04-01/Accounts.json", &[("FriendlyName", "sub")])
        .await;
    assert_eq!(status, 201, "{account}");
    let sub_sid = account["sid"].as_str().unwrap().to_owned();
    let sub_token = account["auth_token"].as_str().unwrap().to_owned();
    let form = [("To", "+15551234567"), ("From", FROM), ("Body", "hi")];
    app.send(&form).await;
    let (status, body) = app
        .post_as(&sub_sid, &sub_token, &app.messages_path(&sub_sid), &form)
        .await;
    assert_eq!(status, 201, "{body}");
    Two {
        app,
        sub_sid,
        sub_token,
    }
}

impl Two {
    /// How many messages (default tenant's, subaccount's) are stored.
    async fn messages(&self) -> (usize, usize) {
        let count = |(status, body): (u16, Value)| {
            assert_eq!(status, 200, "{body}");
            body["messages"].as_array().unwrap().len()
        };
        let own = count(self.app.get(&self.app.messages_path(SID)).await);
        let sub = count(
            self.app
                .get_as(
                    &self.sub_sid,
                    &self.sub_token,
                    &self.app.messages_path(&self.sub_sid),
                )
                .await,
        );
        (own, sub)
    }

    /// `POST /clear/messages{query}` with `authorization` as it is (none when `None`).
    async fn clear(&self, query: &str, authorization: Option<String>) -> (u16, Value) {
        let mut request = self
            .app
            .http
            .post(self.app.url(&format!("/clear/messages{query}")));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        read(request.send().await.expect("request")).await
    }
}

fn basic(user: &str, password: &str) -> Option<String> {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Some(format!("Basic {encoded}"))
}

fn bearer(token: &str) -> Option<String> {
    Some(format!("Bearer {token}"))
}

#[tokio::test]
async fn with_a_control_token_clearing_without_credentials_is_refused() {
    let two = two_tenants(Some(CONTROL_TOKEN)).await;
    let (status, body) = two.clear("", None).await;
    assert_twilio_error(status, &body, 401, 20003);
    let (status, body) = two.clear(&format!("?AccountSid={SID}"), None).await;
    assert_twilio_error(status, &body, 401, 20003);
    let (status, body) = two.clear("", bearer("wrong")).await;
    assert_twilio_error(status, &body, 401, 20003);
    let (status, body) = two.clear("", basic(SID, "wrong")).await;
    assert_twilio_error(status, &body, 401, 20003);
    assert_eq!(two.messages().await, (1, 1), "nothing was cleared");
}

#[tokio::test]
async fn with_a_control_token_a_tenant_clears_only_its_own_data() {
    let two = two_tenants(Some(CONTROL_TOKEN)).await;
    // Another account's data is not the subaccount's to clear.
    let (status, body) = two
        .clear(
            &format!("?AccountSid={SID}"),
            basic(&two.sub_sid, &two.sub_token),
        )
        .await;
    assert_twilio_error(status, &body, 401, 20003);
    assert_eq!(two.messages().await, (1, 1));

    let (status, body) = two.clear("", basic(&two.sub_sid, &two.sub_token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 1);
    assert_eq!(two.messages().await, (1, 0), "only the subaccount's");

    let (status, body) = two
        .clear(&format!("?AccountSid={SID}"), basic(SID, TOKEN))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(two.messages().await, (0, 0));
}

#[tokio::test]
async fn with_a_control_token_the_token_clears_every_tenant_or_the_one_named() {
    let two = two_tenants(Some(CONTROL_TOKEN)).await;
    let (status, body) = two
        .clear(
            &format!("?AccountSid={}", two.sub_sid),
            bearer(CONTROL_TOKEN),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(two.messages().await, (1, 0), "the tenant named");

    let (status, body) = two.clear("", bearer(CONTROL_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], 1);
    assert_eq!(two.messages().await, (0, 0), "every tenant");
}

#[tokio::test]
async fn without_a_control_token_clearing_stays_open() {
    let two = two_tenants(None).await;
    let (status, body) = two
        .clear(&format!("?AccountSid={}", two.sub_sid), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(two.messages().await, (1, 0), "the tenant named");
    let (status, body) = two.clear("", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(two.messages().await, (0, 0), "every tenant");
}
