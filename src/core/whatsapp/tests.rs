//! Sends, the window, templates and the allow list, on a core started in memory; and the test
//! helpers the WhatsApp area's other tests share.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::*;
use crate::core::store::Location;
use crate::core::tenants::WhatsAppTemplate;
use crate::core::{DefaultAccount, Settings};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";

/// A user of the tests' business number.
pub(super) const USER: &str = "15550102030";

/// A core on an in-memory store whose webhooks all fail as an unreachable app's would, and its
/// default tenant. Cancel the token to stop the scheduler.
pub(super) async fn test_core() -> (Arc<Core>, Arc<Tenant>, CancellationToken) {
    let shutdown = CancellationToken::new();
    let core = Core::start(
        Settings::default(),
        &Location::Memory,
        DefaultAccount {
            sid: ACCOUNT.into(),
            auth_token: "token".into(),
            registered_numbers: Vec::new(),
            failure_numbers: Vec::new(),
            allowed_from_numbers: Vec::new(),
            whatsapp: WhatsAppIdentity::generate(),
        },
        Arc::new(crate::core::outbox::Unreachable),
        shutdown.clone(),
    )
    .await
    .expect("core starts");
    let tenant = core.default_tenant().expect("the default tenant");
    (core, tenant, shutdown)
}

/// The provider's refusal a result carries, as (HTTP status, code, message).
pub(super) fn refusal<T: std::fmt::Debug>(result: Result<T, CoreError>) -> (u16, u32, String) {
    match result {
        Err(CoreError::Rejected(r)) => (r.http_status, r.code, r.message),
        other => panic!("expected a provider's refusal, got {other:?}"),
    }
}

/// The message of the `Invalid` error a result carries.
pub(super) fn invalid<T: std::fmt::Debug>(result: Result<T, CoreError>) -> String {
    match result {
        Err(CoreError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The Cloud API messages between the tenant's business number and `user`, oldest first.
pub(super) async fn conversation(core: &Core, tenant: &Tenant, user: &str) -> Vec<Message> {
    core.whatsapp_conversation(tenant, user, 10)
        .await
        .expect("conversation read")
        .1
}

/// A simulated user's text to the business number.
pub(super) fn text_from(user: &str, body: &str) -> WhatsAppInbound {
    WhatsAppInbound {
        from: user.into(),
        message_type: "text".into(),
        content: format!(r#"{{"body":"{body}"}}"#),
        summary: body.into(),
        ..WhatsAppInbound::default()
    }
}

fn text_to(user: &str, body: &str) -> WhatsAppSend {
    WhatsAppSend {
        to: user.into(),
        message_type: "text".into(),
        content: format!(r#"{{"body":"{body}"}}"#),
        summary: body.into(),
        ..WhatsAppSend::default()
    }
}

fn hello_world_to(user: &str) -> WhatsAppSend {
    WhatsAppSend {
        to: user.into(),
        message_type: "template".into(),
        content: r#"{"name":"hello_world","language":{"code":"en_US"}}"#.into(),
        template: Some(TemplateUse {
            name: "hello_world".into(),
            language: "en_US".into(),
            body_parameters: 0,
        }),
        summary: "Hello World".into(),
        ..WhatsAppSend::default()
    }
}

async fn set_window(core: &Core, tenant: &Tenant, window: WindowPolicy) {
    core.update_whatsapp(
        tenant,
        WhatsAppUpdate {
            window: Some(window),
            ..WhatsAppUpdate::default()
        },
    )
    .await
    .expect("window set");
}

const OUTSIDE_WINDOW: &str = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";

fn registry() -> WhatsAppIdentity {
    WhatsAppIdentity {
        templates: vec![
            WhatsAppTemplate::new("hello_world", "en_US", "utility", 0),
            WhatsAppTemplate::new("order_ready", "pt_BR", "marketing", 2),
        ],
        ..WhatsAppIdentity::generate()
    }
}

fn used(name: &str, language: &str, body_parameters: u32) -> TemplateUse {
    TemplateUse {
        name: name.into(),
        language: language.into(),
        body_parameters,
    }
}

#[test]
fn wa_id_keeps_only_the_digits() {
    assert_eq!(wa_id("+1 (555) 010-2030"), "15550102030");
    assert_eq!(wa_id("15550102030"), "15550102030");
    assert_eq!(wa_id("whatsapp:+44 20"), "4420");
    assert_eq!(wa_id(""), "");
}

#[test]
fn a_known_template_gives_its_registered_category() {
    let identity = registry();
    assert_eq!(
        template_category(&identity, &used("hello_world", "en_US", 0)).expect("known"),
        "utility"
    );
    assert_eq!(
        template_category(&identity, &used("order_ready", "pt_BR", 2)).expect("known"),
        "marketing"
    );
}

#[test]
fn an_unknown_template_name_or_language_is_132001_with_404() {
    let identity = registry();
    assert_eq!(
        refusal(template_category(&identity, &used("welcome", "en_US", 0))),
        (
            404,
            132001,
            "template name (welcome) does not exist in en_US".into()
        )
    );
    assert_eq!(
        refusal(template_category(
            &identity,
            &used("order_ready", "en_US", 2)
        )),
        (
            404,
            132001,
            "template name (order_ready) does not exist in en_US".into()
        )
    );
}

#[test]
fn a_body_parameter_count_that_differs_is_132000() {
    let identity = registry();
    assert_eq!(
        refusal(template_category(
            &identity,
            &used("order_ready", "pt_BR", 1)
        )),
        (
            400,
            132000,
            "body: number of localizable_params (1) does not match the expected number of params (2)"
                .into()
        )
    );
    assert_eq!(
        refusal(template_category(
            &identity,
            &used("hello_world", "en_US", 3)
        ))
        .1,
        132000
    );
}

#[test]
fn outside_the_window_is_131047() {
    assert_eq!(
        outside_window(),
        Rejection::new(400, 131047, OUTSIDE_WINDOW)
    );
}

#[test]
fn conversation_ids_are_stable_per_tenant_and_user() {
    let id = conversation_id(ACCOUNT, USER);
    assert_eq!(id, conversation_id(ACCOUNT, USER));
    assert_eq!(id.len(), 32);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{id}"
    );
    assert_ne!(id, conversation_id(ACCOUNT, "15550109999"));
    assert_ne!(
        id,
        conversation_id("AC00000000000000000000000000000000", USER)
    );
}

#[tokio::test]
async fn a_recipient_outside_the_allowed_list_is_refused_with_131030() {
    let (core, tenant, shutdown) = test_core().await;
    core.update_whatsapp(
        &tenant,
        WhatsAppUpdate {
            allowed_recipients: Some(Some(vec!["+1 555 010 2030".into()])),
            ..WhatsAppUpdate::default()
        },
    )
    .await
    .expect("allow list set");
    assert_eq!(
        refusal(core.send_whatsapp(&tenant, hello_world_to("15550109999")).await),
        (
            400,
            131030,
            "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again."
                .into()
        )
    );
    // The list's numbers are compared as wa_ids.
    core.send_whatsapp(&tenant, hello_world_to(USER))
        .await
        .expect("an allowed recipient");
    shutdown.cancel();
}

#[tokio::test]
async fn free_form_outside_the_window_is_refused_with_131047_when_rejecting() {
    let (core, tenant, shutdown) = test_core().await;
    assert_eq!(tenant.account().whatsapp.window, WindowPolicy::Reject);
    assert_eq!(
        refusal(core.send_whatsapp(&tenant, text_to(USER, "hi")).await),
        (400, 131047, OUTSIDE_WINDOW.into())
    );
    assert!(
        conversation(&core, &tenant, USER).await.is_empty(),
        "a refusal stores nothing"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn a_users_message_opens_the_window_for_24_hours() {
    let (core, tenant, shutdown) = test_core().await;
    core.freeze_clock(&tenant);
    core.receive_whatsapp(&tenant, text_from(&format!("+{USER}"), "hello"), None)
        .await
        .expect("received");
    let sent = core
        .send_whatsapp(&tenant, text_to(USER, "hi"))
        .await
        .expect("inside the window");
    assert_eq!(sent.status, MessageStatus::Accepted);
    assert_eq!(sent.direction, Direction::OutboundApi);

    let almost = Duration::from_millis(WINDOW_MS as u64 - 1);
    core.advance_clock(&tenant, almost).await.expect("frozen");
    core.send_whatsapp(&tenant, text_to(USER, "still here"))
        .await
        .expect("a millisecond before the window closes");
    core.advance_clock(&tenant, Duration::from_millis(1))
        .await
        .expect("frozen");
    assert_eq!(
        refusal(core.send_whatsapp(&tenant, text_to(USER, "too late")).await).1,
        131047
    );
    shutdown.cancel();
}

/// A free-form message sent with no window open under `window`, as stored `steps` status
/// changes later.
async fn free_form_after_steps(window: WindowPolicy, steps: u32) -> Message {
    let (core, tenant, shutdown) = test_core().await;
    set_window(&core, &tenant, window).await;
    core.freeze_clock(&tenant);
    let sent = core
        .send_whatsapp(&tenant, text_to(USER, "hi"))
        .await
        .expect("accepted");
    assert_eq!(sent.status, MessageStatus::Accepted);
    core.advance_clock(&tenant, core.settings().step_delay * steps)
        .await
        .expect("frozen");
    let stored = core.message(&tenant, &sent.sid).await.expect("stored");
    shutdown.cancel();
    stored
}

#[tokio::test]
async fn fail_later_accepts_then_fails_the_message_with_131047() {
    let failed = free_form_after_steps(WindowPolicy::FailLater, 1).await;
    assert_eq!(failed.status, MessageStatus::Failed);
    assert_eq!(failed.error_code, Some(131047));
    assert_eq!(failed.error_message.as_deref(), Some(OUTSIDE_WINDOW));
}

#[tokio::test]
async fn with_the_window_off_free_form_goes_out_and_is_read() {
    let read = free_form_after_steps(WindowPolicy::Off, 3).await;
    assert_eq!(read.status, MessageStatus::Read);
    assert_eq!(read.error_code, None);
}

#[tokio::test]
async fn templates_bypass_the_window_and_carry_their_category() {
    let (core, tenant, shutdown) = test_core().await;
    let sent = core
        .send_whatsapp(&tenant, hello_world_to(USER))
        .await
        .expect("a template needs no window");
    let content = sent.whatsapp.expect("a Cloud API message");
    assert_eq!(content.message_type, "template");
    assert_eq!(content.template_category.as_deref(), Some("utility"));
    shutdown.cancel();
}

#[tokio::test]
async fn an_unknown_media_id_is_refused_with_code_100_and_graphs_sentence() {
    let (core, tenant, shutdown) = test_core().await;
    set_window(&core, &tenant, WindowPolicy::Off).await;
    let image = |id: &str| WhatsAppSend {
        message_type: "image".into(),
        content: format!(r#"{{"id":"{id}"}}"#),
        media: Some(MediaUse {
            id: id.into(),
            path: "image['id']".into(),
        }),
        ..text_to(USER, "")
    };
    assert_eq!(
        refusal(core.send_whatsapp(&tenant, image("1234567890123456")).await),
        (
            400,
            100,
            "Param image['id'] is not a valid whatsapp business account media attachment ID".into()
        )
    );
    let uploaded = core
        .upload_media(&tenant, "image/png", b"\x89PNG".to_vec(), None)
        .await
        .expect("uploaded");
    core.send_whatsapp(&tenant, image(&uploaded.id))
        .await
        .expect("an uploaded id is sendable");
    shutdown.cancel();
}

#[tokio::test]
async fn marking_a_users_message_read_sets_read() {
    let (core, tenant, shutdown) = test_core().await;
    let received = core
        .receive_whatsapp(&tenant, text_from(USER, "hello"), None)
        .await
        .expect("received");
    assert_eq!(received.message.status, MessageStatus::Received);
    let read = core
        .mark_whatsapp_read(&tenant, &received.message.sid)
        .await
        .expect("marked");
    assert_eq!(read.status, MessageStatus::Read);
    let again = core
        .mark_whatsapp_read(&tenant, &received.message.sid)
        .await
        .expect("marked twice");
    assert_eq!(again.status, MessageStatus::Read);
    shutdown.cancel();
}

#[tokio::test]
async fn marking_an_unknown_or_outbound_message_read_is_not_found() {
    let (core, tenant, shutdown) = test_core().await;
    assert!(matches!(
        core.mark_whatsapp_read(&tenant, "wamid.unknown").await,
        Err(CoreError::NotFound)
    ));
    let sent = core
        .send_whatsapp(&tenant, hello_world_to(USER))
        .await
        .expect("sent");
    assert!(matches!(
        core.mark_whatsapp_read(&tenant, &sent.sid).await,
        Err(CoreError::NotFound)
    ));
    shutdown.cancel();
}

#[tokio::test]
async fn a_phone_send_names_its_user_and_remembers_them_for_sends_to_the_bsuid() {
    let (core, tenant, shutdown) = test_core().await;
    set_window(&core, &tenant, WindowPolicy::Off).await;
    let sent = core
        .send_whatsapp(&tenant, text_to(USER, "hi"))
        .await
        .expect("sent");
    let user = sent
        .whatsapp
        .as_ref()
        .and_then(|w| w.user.clone())
        .expect("a user");
    assert_eq!(*user, WhatsAppUser::with_phone(&tenant.sid(), USER));

    let by_id = core
        .send_whatsapp(
            &tenant,
            WhatsAppSend {
                to: String::new(),
                recipient_user_id: Some(user.user_id.clone()),
                ..text_to("", "again")
            },
        )
        .await
        .expect("sent to the BSUID");
    assert_eq!(by_id.to, USER, "the user's conversation");
    assert!(
        by_id
            .whatsapp
            .as_ref()
            .is_some_and(|w| w.addressed_by_user_id)
    );
    assert_eq!(conversation(&core, &tenant, &user.user_id).await.len(), 2);
    shutdown.cancel();
}

#[tokio::test]
async fn a_group_send_names_no_user() {
    let (core, tenant, shutdown) = test_core().await;
    set_window(&core, &tenant, WindowPolicy::Off).await;
    let sent = core
        .send_whatsapp(&tenant, text_to("Y2FwaV9ncm91cDox", "hello all"))
        .await
        .expect("sent");
    assert_eq!(sent.to, "Y2FwaV9ncm91cDox");
    assert_eq!(sent.whatsapp.as_ref().and_then(|w| w.user.clone()), None);
    assert_eq!(
        sent.status,
        MessageStatus::Accepted,
        "not failed as an unknown BSUID"
    );
    shutdown.cancel();
}
