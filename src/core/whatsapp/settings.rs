//! A tenant's WhatsApp settings as tests change them (webhook URL, window policy, allow list,
//! template registry) and Meta's verification handshake against the webhook URL.

use crate::core::messaging::HttpMethod;
use crate::core::outbox::{Delivery, Notice};
use crate::core::store::{self, CallbackAttempt};
use crate::core::tenants::{Tenant, WhatsAppIdentity, WhatsAppTemplate, WindowPolicy};
use crate::core::{Core, CoreError, ids, text};

/// The verification handshake's result.
#[derive(Debug, Clone)]
pub struct Verification {
    pub challenge: String,
    pub attempt: CallbackAttempt,
    /// The app answered 200 with the bare challenge.
    pub echoed: bool,
}

/// A change to a tenant's WhatsApp settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct WhatsAppUpdate {
    /// `Some(None)` removes the webhook URL.
    pub webhook_url: Option<Option<String>>,
    pub window: Option<WindowPolicy>,
    /// `Some(None)` ends the test-number mode.
    pub allowed_recipients: Option<Option<Vec<String>>>,
    pub templates: Option<Vec<WhatsAppTemplate>>,
    /// Run the verification handshake against the webhook URL once the settings are stored.
    pub verify_webhook: bool,
}

/// The settings after an update, and the handshake's result when one was asked for.
#[derive(Debug, Clone)]
pub struct WhatsAppUpdated {
    pub identity: WhatsAppIdentity,
    pub verification: Option<Verification>,
}

impl Core {
    /// Meta's verification handshake against `url` (the tenant's webhook URL when none): a GET
    /// with `hub.mode=subscribe`, the verify token and a fresh challenge. Recorded as a webhook
    /// attempt.
    pub async fn verify_whatsapp_webhook(
        &self,
        tenant: &Tenant,
        url: Option<String>,
    ) -> Result<Verification, CoreError> {
        let identity = tenant.account().whatsapp;
        let url = url.or(identity.webhook_url).ok_or_else(|| {
            CoreError::FailedPrecondition(
                "the tenant has no WhatsApp webhook URL: set one, or give the URL to verify".into(),
            )
        })?;
        check_http_url(&url)?;
        // Meta's challenge is an integer-like string.
        let challenge = ids::digits(10);
        let delivery = Delivery {
            idempotency_token: ids::hex(32),
            resource_sid: identity.phone_number_id.clone(),
            status: "verification".into(),
            url,
            method: HttpMethod::Get,
            notice: Notice::Verification {
                verify_token: identity.verify_token.clone(),
                challenge: challenge.clone(),
            },
            to: None,
            from: None,
            target: None,
            attempt: 1,
            max_attempts: 1,
            retry_delay_ms: 0,
        };
        let (attempt, sent) = self.send_now(tenant, &delivery).await?;
        let echoed = sent.response_status == Some(200)
            && sent.response_body.as_deref().map(str::trim) == Some(challenge.as_str());
        Ok(Verification {
            challenge,
            attempt,
            echoed,
        })
    }

    /// Change a tenant's WhatsApp settings, then, if asked, run the verification handshake
    /// against the webhook URL. A request that cannot be carried out (a bad URL, bad templates,
    /// a handshake with no URL to run it against) changes nothing.
    pub async fn update_whatsapp(
        &self,
        tenant: &Tenant,
        update: WhatsAppUpdate,
    ) -> Result<WhatsAppUpdated, CoreError> {
        let mut account = tenant.account();
        let whatsapp = &mut account.whatsapp;
        if let Some(url) = update.webhook_url {
            if let Some(url) = &url {
                check_http_url(url)?;
            }
            whatsapp.webhook_url = url;
        }
        if update.verify_webhook && whatsapp.webhook_url.is_none() {
            return Err(CoreError::FailedPrecondition(
                "verify_webhook needs a webhook URL: set webhook_url, or give the tenant one first"
                    .into(),
            ));
        }
        if let Some(window) = update.window {
            whatsapp.window = window;
        }
        if let Some(allowed) = update.allowed_recipients {
            whatsapp.allowed_recipients = allowed;
        }
        if let Some(templates) = update.templates {
            whatsapp.templates = normalized_templates(templates)?;
        }
        account.updated_at = crate::core::time::wall_now();
        self.store
            .write(store::UpdateAccount {
                account: account.clone(),
            })
            .await?;
        tenant.set_account(account.clone());
        let verification = if update.verify_webhook {
            Some(self.verify_whatsapp_webhook(tenant, None).await?)
        } else {
            None
        };
        Ok(WhatsAppUpdated {
            identity: account.whatsapp,
            verification,
        })
    }
}

fn check_http_url(url: &str) -> Result<(), CoreError> {
    if text::is_http_url(url) {
        Ok(())
    } else {
        Err(CoreError::Invalid(format!("{url:?} is not an http(s) URL")))
    }
}

/// Templates as a registry holds them: categories in lower case (as status webhooks write
/// them), checked by [`check_templates`].
pub fn normalized_templates(
    templates: Vec<WhatsAppTemplate>,
) -> Result<Vec<WhatsAppTemplate>, CoreError> {
    let templates: Vec<WhatsAppTemplate> = templates
        .into_iter()
        .map(|t| WhatsAppTemplate {
            category: t.category.to_ascii_lowercase(),
            ..t
        })
        .collect();
    check_templates(&templates)?;
    Ok(templates)
}

/// Templates a registry can hold: named, in a language, of a known category, each once.
pub fn check_templates(templates: &[WhatsAppTemplate]) -> Result<(), CoreError> {
    for (index, template) in templates.iter().enumerate() {
        if template.name.trim().is_empty() || template.language.trim().is_empty() {
            return Err(CoreError::Invalid(format!(
                "template {} of {} needs a name and a language",
                index + 1,
                templates.len()
            )));
        }
        if !is_template_name(&template.name) {
            return Err(CoreError::Invalid(format!(
                "template {:?}: a name is lower-case letters, digits and underscores, 512 at most, \
                 as WhatsApp Manager allows",
                template.name
            )));
        }
        if !["marketing", "utility", "authentication"].contains(&template.category.as_str()) {
            return Err(CoreError::Invalid(format!(
                "template {}: category {:?} is not marketing, utility or authentication",
                template.name, template.category
            )));
        }
        if templates[..index]
            .iter()
            .any(|t| t.name == template.name && t.language == template.language)
        {
            return Err(CoreError::Invalid(format!(
                "template {} ({}) is listed twice",
                template.name, template.language
            )));
        }
    }
    Ok(())
}

/// Meta's rule for a message template's name: lower-case alphanumerics and underscores, at
/// most 512 characters. A name outside it cannot exist on a real WhatsApp Business Account.
fn is_template_name(name: &str) -> bool {
    name.len() <= 512
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::whatsapp::tests::{invalid, test_core};

    fn template(name: &str, language: &str, category: &str) -> WhatsAppTemplate {
        WhatsAppTemplate::new(name, language, category, 0)
    }

    /// The result is `expected`: the same kind of error, the same message.
    fn assert_refused<T: std::fmt::Debug>(result: Result<T, CoreError>, expected: CoreError) {
        let error = result.expect_err("refused");
        assert_eq!(
            std::mem::discriminant(&error),
            std::mem::discriminant(&expected),
            "{error:?}"
        );
        assert_eq!(error.to_string(), expected.to_string());
    }

    #[test]
    fn categories_are_stored_in_lower_case() {
        let templates = normalized_templates(vec![
            template("hello_world", "en_US", "UTILITY"),
            template("promo", "en_US", "Marketing"),
            template("code", "en_US", "authentication"),
        ])
        .expect("valid");
        let categories: Vec<&str> = templates.iter().map(|t| t.category.as_str()).collect();
        assert_eq!(categories, ["utility", "marketing", "authentication"]);
    }

    #[test]
    fn a_template_needs_a_name_and_a_language() {
        for (name, language) in [
            ("", "en_US"),
            ("   ", "en_US"),
            ("promo", ""),
            ("promo", " "),
        ] {
            assert_eq!(
                invalid(normalized_templates(vec![
                    template("hello_world", "en_US", "utility"),
                    template(name, language, "utility"),
                ])),
                "template 2 of 2 needs a name and a language"
            );
        }
    }

    #[test]
    fn a_name_is_what_whatsapp_manager_allows() {
        for name in [
            "Order Update",
            "order-update",
            "OrderUpdate",
            &"a".repeat(513),
        ] {
            let error = invalid(normalized_templates(vec![template(
                name, "en_US", "utility",
            )]));
            assert!(
                error.contains("lower-case letters, digits and underscores"),
                "{name}: {error}"
            );
        }
        assert!(check_templates(&[template("order_update_2", "en_US", "utility")]).is_ok());
    }

    #[test]
    fn a_category_must_be_marketing_utility_or_authentication() {
        assert_eq!(
            invalid(normalized_templates(vec![template(
                "promo",
                "en_US",
                "Transactional"
            )])),
            "template promo: category \"transactional\" is not marketing, utility or authentication"
        );
        // check_templates reads categories as stored: already in lower case.
        assert!(check_templates(&[template("promo", "en_US", "UTILITY")]).is_err());
    }

    #[test]
    fn a_name_and_language_listed_twice_is_refused() {
        assert_eq!(
            invalid(normalized_templates(vec![
                template("hello_world", "en_US", "utility"),
                template("hello_world", "pt_BR", "utility"),
                template("hello_world", "en_US", "marketing"),
            ])),
            "template hello_world (en_US) is listed twice"
        );
        assert_eq!(
            check_templates(&[
                template("hello_world", "en_US", "utility"),
                template("hello_world", "pt_BR", "utility"),
            ])
            .ok(),
            Some(()),
            "one name in two languages is two templates"
        );
    }

    #[tokio::test]
    async fn an_update_changes_what_it_names_and_keeps_the_rest() {
        let (core, tenant, shutdown) = test_core().await;
        let updated = core
            .update_whatsapp(
                &tenant,
                WhatsAppUpdate {
                    webhook_url: Some(Some("https://app.example/webhook".into())),
                    window: Some(WindowPolicy::FailLater),
                    allowed_recipients: Some(Some(vec!["15550102030".into()])),
                    templates: Some(vec![template("promo", "en_US", "MARKETING")]),
                    verify_webhook: false,
                },
            )
            .await
            .expect("updated");
        assert!(updated.verification.is_none());
        assert_eq!(updated.identity, tenant.account().whatsapp);
        assert_eq!(updated.identity.templates[0].category, "marketing");

        let cleared = core
            .update_whatsapp(
                &tenant,
                WhatsAppUpdate {
                    webhook_url: Some(None),
                    allowed_recipients: Some(None),
                    ..WhatsAppUpdate::default()
                },
            )
            .await
            .expect("updated");
        assert_eq!(cleared.identity.webhook_url, None);
        assert_eq!(cleared.identity.allowed_recipients, None);
        assert_eq!(cleared.identity.window, WindowPolicy::FailLater);
        assert_eq!(cleared.identity.templates, updated.identity.templates);
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_refused_update_changes_nothing() {
        let (core, tenant, shutdown) = test_core().await;
        let before = tenant.account();
        let cases = [
            (
                WhatsAppUpdate {
                    webhook_url: Some(Some("ftp://app.example/webhook".into())),
                    window: Some(WindowPolicy::Off),
                    ..WhatsAppUpdate::default()
                },
                CoreError::Invalid("\"ftp://app.example/webhook\" is not an http(s) URL".into()),
            ),
            (
                WhatsAppUpdate {
                    window: Some(WindowPolicy::Off),
                    verify_webhook: true,
                    ..WhatsAppUpdate::default()
                },
                CoreError::FailedPrecondition(
                    "verify_webhook needs a webhook URL: set webhook_url, or give the tenant one first"
                        .into(),
                ),
            ),
            (
                WhatsAppUpdate {
                    webhook_url: Some(Some("https://app.example/webhook".into())),
                    templates: Some(vec![template("promo", "en_US", "newsletter")]),
                    ..WhatsAppUpdate::default()
                },
                CoreError::Invalid(
                    "template promo: category \"newsletter\" is not marketing, utility or authentication"
                        .into(),
                ),
            ),
        ];
        for (update, expected) in cases {
            assert_refused(core.update_whatsapp(&tenant, update).await, expected);
            assert_eq!(tenant.account(), before);
        }
        shutdown.cancel();
    }

    #[tokio::test]
    async fn verifying_without_a_webhook_url_is_a_failed_precondition() {
        let (core, tenant, shutdown) = test_core().await;
        assert_refused(
            core.verify_whatsapp_webhook(&tenant, None).await,
            CoreError::FailedPrecondition(
                "the tenant has no WhatsApp webhook URL: set one, or give the URL to verify".into(),
            ),
        );
        assert_refused(
            core.verify_whatsapp_webhook(&tenant, Some("app.example/webhook".into()))
                .await,
            CoreError::Invalid("\"app.example/webhook\" is not an http(s) URL".into()),
        );
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_handshake_with_no_app_is_recorded_and_not_echoed() {
        let (core, tenant, shutdown) = test_core().await;
        let updated = core
            .update_whatsapp(
                &tenant,
                WhatsAppUpdate {
                    webhook_url: Some(Some("http://app.invalid/webhook".into())),
                    verify_webhook: true,
                    ..WhatsAppUpdate::default()
                },
            )
            .await
            .expect("updated, then verified");
        let verification = updated.verification.expect("the handshake ran");
        assert!(!verification.echoed);
        assert_eq!(verification.challenge.len(), 10);
        assert!(verification.challenge.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(verification.attempt.method, "GET");
        assert_eq!(verification.attempt.status, "verification");
        assert_eq!(
            verification.attempt.resource_sid,
            updated.identity.phone_number_id
        );
        assert_eq!(
            tenant.account().whatsapp.webhook_url.as_deref(),
            Some("http://app.invalid/webhook"),
            "the settings stay though the app did not answer"
        );
        shutdown.cancel();
    }
}
