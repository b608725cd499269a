//! The business number's own Graph edges: its profile, the users it blocks, its listing and
//! registration — each answered in Meta's shapes, validated, behind the tenant's token.

use mockingbird::proto::{self, send_whats_app_inbound_request::Message as UserMessage};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::graph_api::{Graph, graph, graph_tenant, graph_tenant_with_sid};
use crate::support::*;

const USER: &str = "263778177125";

/// Meta's sample template, which any number may send outside the 24-hour window.
fn hello_world_to(user: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "to": user, "type": "template",
            "template": { "name": "hello_world", "language": { "code": "en_US" } } })
}

fn text_to(user: &str) -> Value {
    json!({ "messaging_product": "whatsapp", "to": user, "type": "text", "text": { "body": "hi" } })
}

/// `user` writes to the tenant's business number: the window opens, and the user may be
/// blocked. Returns the control plane's refusal, if any.
async fn user_writes(app: &TestApp, account_sid: &str, user: &str) -> Result<(), tonic::Status> {
    app.control()
        .await
        .whatsapp
        .send_inbound(proto::SendWhatsAppInboundRequest {
            account_sid: account_sid.into(),
            from: format!("+{user}"),
            message: Some(UserMessage::Text(proto::Text {
                body: "hello".into(),
            })),
            ..Default::default()
        })
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_business_profile_is_read_by_fields_and_updated_within_metas_limits() {
    let app = spawn_app().await;
    let wa = graph_tenant(&app, "profile", None).await;
    let other = graph_tenant(&app, "profile-other", None).await;
    let profile = format!("/v25.0/{}/whatsapp_business_profile", wa.phone_number_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let (status, fresh) = api.get(&profile).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(
        fresh,
        json!({ "data": [{ "vertical": "UNDEFINED", "messaging_product": "whatsapp" }] })
    );

    let update = json!({
        "messaging_product": "whatsapp",
        "about": "Fresh bread daily",
        "address": "1 Main St",
        "description": "A bakery",
        "email": "hello@bakery.example",
        "websites": ["https://bakery.example", "http://bakery.example/menu"],
        "vertical": "RESTAURANT",
    });
    let (status, answer) = api.post(&profile, update).await;
    assert_eq!((status, answer), (200, json!({ "success": true })));
    let (_, read) = api
        .get(&format!("{profile}?fields=about,websites,vertical"))
        .await;
    assert_eq!(
        read["data"][0],
        json!({
            "about": "Fresh bread daily",
            "websites": ["https://bakery.example", "http://bakery.example/menu"],
            "vertical": "RESTAURANT",
            "messaging_product": "whatsapp",
        })
    );

    // Each limit is 100, and a refused update changes nothing.
    let refused = [
        json!({ "messaging_product": "whatsapp", "about": "x".repeat(140) }),
        json!({ "messaging_product": "whatsapp", "vertical": "BAKERY" }),
        json!({ "messaging_product": "whatsapp", "websites": ["https://a.example", "https://b.example", "https://c.example"] }),
        json!({ "messaging_product": "whatsapp", "websites": ["bakery.example"] }),
        json!({ "messaging_product": "whatsapp", "email": "not-an-address" }),
        json!({ "about": "no product" }),
    ];
    for body in refused {
        let (status, error) = api.post(&profile, body.clone()).await;
        assert_graph_error(status, &error, 400, 100);
    }
    let (_, unchanged) = api.get(&profile).await;
    assert_eq!(unchanged["data"][0]["about"], "Fresh bread daily");
    assert_eq!(unchanged["data"][0]["email"], "hello@bakery.example");

    // A wrong token is 190; another tenant's token cannot see this number.
    let (status, wrong) = graph(&app, Method::GET, &profile, "EAAwrong", None).await;
    assert_graph_error(status, &wrong, 401, 190);
    let (status, hidden) = graph(&app, Method::GET, &profile, &other.access_token, None).await;
    assert_graph_error(status, &hidden, 400, 100);
    assert_eq!(hidden["error"]["error_subcode"], 33);
    let (_, theirs) = graph(
        &app,
        Method::GET,
        &format!("/{}/whatsapp_business_profile", other.phone_number_id),
        &other.access_token,
        None,
    )
    .await;
    assert!(theirs["data"][0].get("about").is_none(), "{theirs}");
    app.stop().await;
}

#[tokio::test]
async fn blocked_users_cannot_be_messaged_nor_write_until_unblocked() {
    let app = spawn_app().await;
    let (sid, wa) = graph_tenant_with_sid(&app, "blocking", None).await;
    let other = graph_tenant(&app, "blocking-other", None).await;
    let edge = format!("/v25.0/{}/block_users", wa.phone_number_id);
    let send = format!("/v25.0/{}/messages", wa.phone_number_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);
    user_writes(&app, &sid, USER)
        .await
        .expect("the user writes");

    // One user who wrote, one who never did: 400 with both lists and Meta's 139100.
    let never_wrote = "15550009999";
    let request = json!({
        "messaging_product": "whatsapp",
        "block_users": [{ "user": format!("+{USER}") }, { "user": never_wrote }],
    });
    let (status, mixed) = api.post(&edge, request).await;
    assert_eq!(status, 400, "{mixed}");
    assert_eq!(
        mixed["block_users"]["added_users"],
        json!([{ "input": format!("+{USER}"), "wa_id": USER }])
    );
    let failed = &mixed["block_users"]["failed_users"][0];
    assert_eq!(failed["wa_id"], never_wrote);
    assert_eq!(failed["errors"][0]["code"], 131047);
    assert_eq!(mixed["error"]["code"], 139100);

    let (status, listed) = api.get(&edge).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["data"],
        json!([{ "messaging_product": "whatsapp", "wa_id": USER }])
    );

    // Blocked: the business cannot message the user, the user cannot write.
    let (status, refused) = api.post(&send, text_to(USER)).await;
    assert_graph_error(status, &refused, 400, 131026);
    let refusal = user_writes(&app, &sid, USER).await.expect_err("blocked");
    assert_eq!(refusal.code(), Code::FailedPrecondition, "{refusal:?}");

    // Another tenant sees no such number; a request without users is 100.
    let (status, hidden) = graph(&app, Method::GET, &edge, &other.access_token, None).await;
    assert_graph_error(status, &hidden, 400, 100);
    let (status, empty) = api
        .post(&edge, json!({ "messaging_product": "whatsapp" }))
        .await;
    assert_graph_error(status, &empty, 400, 100);

    // Unblocked (the request as a JSON string, as some clients send it): free again.
    let request = json!({
        "messaging_product": "whatsapp",
        "block_users": json!([{ "user": USER }]).to_string(),
    });
    let (status, removed) = api.delete_with(&edge, request).await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(
        removed["block_users"]["removed_users"],
        json!([{ "input": USER, "wa_id": USER }])
    );
    let (status, sent) = api.post(&send, text_to(USER)).await;
    assert_eq!(status, 200, "{sent}");
    user_writes(&app, &sid, USER).await.expect("unblocked");
    app.stop().await;
}

#[tokio::test]
async fn phone_numbers_are_listed_and_registration_gates_sending() {
    let app = spawn_app().await;
    let wa = graph_tenant(&app, "numbers", None).await;
    let other = graph_tenant(&app, "numbers-other", None).await;
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let listing = format!("/v25.0/{}/phone_numbers", wa.business_account_id);
    let (status, listed) = api.get(&listing).await;
    assert_eq!(status, 200, "{listed}");
    let number = &listed["data"][0];
    assert_eq!(number["id"], wa.phone_number_id);
    assert_eq!(number["display_phone_number"], wa.display_phone_number);
    assert_eq!(number["quality_rating"], "GREEN");
    assert_eq!(number["code_verification_status"], "VERIFIED");
    assert_eq!(number["platform_type"], "CLOUD_API");
    assert_eq!(number["throughput"]["level"], "STANDARD");
    assert!(number["verified_name"].is_string());
    let (_, narrowed) = api
        .get(&format!(
            "/{}?fields=display_phone_number",
            wa.phone_number_id
        ))
        .await;
    assert_eq!(
        narrowed,
        json!({ "display_phone_number": wa.display_phone_number, "id": wa.phone_number_id })
    );
    let (status, hidden) = graph(&app, Method::GET, &listing, &other.access_token, None).await;
    assert_graph_error(status, &hidden, 400, 100);

    // Deregistered, the number cannot send; registering again with its PIN restores it.
    let number_edge = |edge: &str| format!("/v25.0/{}/{edge}", wa.phone_number_id);
    let register = |pin: &str| json!({ "messaging_product": "whatsapp", "pin": pin });
    let (status, done) = api.post(&number_edge("register"), register("123456")).await;
    assert_eq!((status, done), (200, json!({ "success": true })));
    let (status, done) = api.post(&number_edge("deregister"), json!({})).await;
    assert_eq!((status, done), (200, json!({ "success": true })));
    let (status, refused) = api
        .post(&number_edge("messages"), hello_world_to(USER))
        .await;
    assert_graph_error(status, &refused, 400, 133010);
    let (_, listed) = api.get(&listing).await;
    assert_eq!(listed["data"][0]["platform_type"], "NOT_APPLICABLE");

    for (pin, code) in [("12345", 100), ("12a456", 100), ("654321", 133005)] {
        let (status, refused) = api.post(&number_edge("register"), register(pin)).await;
        assert_graph_error(status, &refused, 400, code);
    }
    let (status, missing) = api
        .post(
            &number_edge("register"),
            json!({ "messaging_product": "whatsapp" }),
        )
        .await;
    assert_graph_error(status, &missing, 400, 100);
    let (status, _) = api.post(&number_edge("register"), register("123456")).await;
    assert_eq!(status, 200);
    let (status, sent) = api
        .post(&number_edge("messages"), hello_world_to(USER))
        .await;
    assert_eq!(status, 200, "{sent}");
    app.stop().await;
}

#[tokio::test]
async fn number_settings_start_at_metas_defaults_and_keep_what_the_app_sets() {
    let app = spawn_app().await;
    let wa = graph_tenant(&app, "settings", None).await;
    let other = graph_tenant(&app, "settings-other", None).await;
    let settings = format!("/v25.0/{}/settings", wa.phone_number_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let (status, fresh) = api.get(&settings).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["calling"]["status"], "DISABLED");
    assert_eq!(fresh["storage_configuration"]["status"], "DEFAULT");

    let update = json!({
        "calling": { "status": "ENABLED", "call_icon_visibility": "DISABLE_ALL",
                     "call_hours": { "status": "DISABLED" } },
        "storage_configuration": { "status": "IN_COUNTRY_STORAGE_ENABLED",
                                   "data_localization_region": "DE" },
    });
    let (status, done) = api.post(&settings, update).await;
    assert_eq!((status, done), (200, json!({ "success": true })));
    let (_, read) = api.get(&settings).await;
    assert_eq!(
        read["calling"],
        json!({ "status": "ENABLED", "call_icon_visibility": "DISABLE_ALL",
                "callback_permission_status": "DISABLED", "call_hours": { "status": "DISABLED" } })
    );
    assert_eq!(
        read["storage_configuration"]["data_localization_region"],
        "DE"
    );

    for refused in [
        json!({ "calling": { "status": "ON" } }),
        json!({ "storage_configuration": { "status": "IN_COUNTRY_STORAGE_ENABLED",
                                           "data_localization_region": "germany" } }),
        json!({ "payments": {} }),
        json!({}),
    ] {
        let (status, error) = api.post(&settings, refused).await;
        assert_graph_error(status, &error, 400, 100);
    }
    let (_, unchanged) = api.get(&settings).await;
    assert_eq!(unchanged, read, "a refused update changes nothing");
    let (status, hidden) = graph(&app, Method::GET, &settings, &other.access_token, None).await;
    assert_graph_error(status, &hidden, 400, 100);
    app.stop().await;
}

#[tokio::test]
async fn qr_codes_are_created_listed_changed_and_deleted() {
    let app = spawn_app().await;
    let wa = graph_tenant(&app, "qr", None).await;
    let other = graph_tenant(&app, "qr-other", None).await;
    let edge = format!("/v25.0/{}/message_qrdls", wa.phone_number_id);
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);

    let (status, created) = api
        .post(
            &edge,
            json!({ "prefilled_message": "I want a cake", "generate_qr_image": "SVG" }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let code = created["code"].as_str().expect("a code").to_owned();
    assert_eq!(created["prefilled_message"], "I want a cake");
    assert_eq!(
        created["deep_link_url"],
        format!("https://wa.me/message/{code}")
    );
    assert!(created["qr_image_url"].as_str().unwrap().ends_with(".svg"));

    let (status, changed) = api
        .post(
            &edge,
            json!({ "code": code, "prefilled_message": "Two cakes" }),
        )
        .await;
    assert_eq!((status, &changed["code"]), (200, &json!(code)), "{changed}");
    assert!(changed.get("qr_image_url").is_none());
    let (_, one) = api.get(&format!("{edge}/{code}")).await;
    assert_eq!(one["data"][0]["prefilled_message"], "Two cakes");
    let (_, listed) = api.get(&edge).await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");

    for refused in [
        json!({}),
        json!({ "prefilled_message": "x".repeat(141) }),
        json!({ "prefilled_message": "hi", "generate_qr_image": "GIF" }),
    ] {
        let (status, error) = api.post(&edge, refused).await;
        assert_graph_error(status, &error, 400, 100);
    }
    let (status, unknown) = api
        .post(
            &edge,
            json!({ "code": "NOSUCHCODE", "prefilled_message": "hi" }),
        )
        .await;
    assert_graph_error(status, &unknown, 400, 100);
    let (status, hidden) = graph(
        &app,
        Method::GET,
        &format!("/v25.0/{}/message_qrdls/{code}", wa.phone_number_id),
        &other.access_token,
        None,
    )
    .await;
    assert_graph_error(status, &hidden, 400, 100);

    let (status, deleted) = api.delete(&format!("{edge}/{code}")).await;
    assert_eq!((status, deleted), (200, json!({ "success": true })));
    let (status, gone) = api.get(&format!("{edge}/{code}")).await;
    assert_graph_error(status, &gone, 400, 100);
    assert_eq!(gone["error"]["error_subcode"], 33);
    // Unversioned, as every Graph path.
    let (status, listed) = api
        .get(&format!("/{}/message_qrdls", wa.phone_number_id))
        .await;
    assert_eq!((status, listed["data"].clone()), (200, json!([])));
    app.stop().await;
}

#[tokio::test]
async fn what_the_graph_api_set_is_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config();
    config.database.path = dir.path().join("graph.db").to_string_lossy().into_owned();
    let app = spawn_with(config.clone()).await;
    let (sid, wa) = graph_tenant_with_sid(&app, "restart", None).await;
    let token = wa.access_token.as_str();
    let api = Graph::new(&app, token);
    user_writes(&app, &sid, USER)
        .await
        .expect("the user writes");
    let number = |edge: &str| format!("/{}/{edge}", wa.phone_number_id);
    let templates = format!("/{}/message_templates", wa.business_account_id);
    let template = json!({ "name": "kept", "language": "en", "category": "UTILITY",
                           "components": [{ "type": "BODY", "text": "Still here {{1}}" }] });
    let block = json!({ "messaging_product": "whatsapp", "block_users": [{ "user": USER }] });
    let profile = json!({ "messaging_product": "whatsapp", "about": "Kept" });
    for (path, body) in [
        (templates.clone(), template),
        (number("block_users"), block),
        (number("whatsapp_business_profile"), profile),
        (
            number("message_qrdls"),
            json!({ "prefilled_message": "Kept too" }),
        ),
    ] {
        let (status, answer) = api.post(&path, body).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    app.stop().await;

    let app = spawn_with(config).await;
    let api = Graph::new(&app, token);
    let (_, listed) = api.get(&format!("{templates}?name=kept")).await;
    assert_eq!(
        listed["data"][0]["components"][0]["text"],
        "Still here {{1}}"
    );
    let (_, blocked) = api.get(&number("block_users")).await;
    assert_eq!(blocked["data"][0]["wa_id"], USER);
    let (_, profile) = api.get(&number("whatsapp_business_profile")).await;
    assert_eq!(profile["data"][0]["about"], "Kept");
    let (_, codes) = api.get(&number("message_qrdls")).await;
    assert_eq!(codes["data"][0]["prefilled_message"], "Kept too");
    app.stop().await;
}
