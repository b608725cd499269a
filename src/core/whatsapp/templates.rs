//! The WhatsApp Business Account's message templates as the Graph API manages them
//! (`/{waba-id}/message_templates`): created straight into the registry the send path checks,
//! each announced by a `message_template_status_update` webhook, and deleted by name.
//!
//! Meta reviews a new template (minutes, up to a day) and answers the create call with
//! `PENDING` or, when its checks pass at once, `APPROVED`. mockingbird has nothing to review: a
//! template is APPROVED as it is created — the create call says so, the template can be sent
//! right away, and the webhook saying `APPROVED` is on its way to the app's webhook URL (with
//! the retries of every webhook). The registry holds approved templates only.

use crate::core::messaging::HttpMethod;
use crate::core::outbox::{Delivery, Notice, TemplateStatusUpdate};
use crate::core::store::{self, NewJob};
use crate::core::tenants::{Account, Tenant, WhatsAppTemplate};
use crate::core::time::wall_now;
use crate::core::{Core, CoreError, ids};

use super::check_templates;

/// How many parameters a template body's text takes: the highest `{{n}}` for positional
/// parameters, the number of distinct `{{name}}`s for named ones (Meta's two
/// `parameter_format`s).
pub fn body_parameter_count(text: &str) -> u32 {
    let mut highest = 0u32;
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        match inner.parse::<u32>() {
            Ok(position) => highest = highest.max(position),
            Err(_) if !inner.is_empty() && !names.contains(&inner) => names.push(inner),
            Err(_) => {}
        }
        rest = &after[end + 2..];
    }
    highest.max(names.len() as u32)
}

impl Core {
    /// Add a template to the tenant's registry, approved, and send the app its
    /// `message_template_status_update` webhook. A name already in that language is a
    /// conflict; the template gets a fresh id.
    pub async fn create_whatsapp_template(
        &self,
        tenant: &Tenant,
        template: WhatsAppTemplate,
    ) -> Result<WhatsAppTemplate, CoreError> {
        let (created, account) = tenant.try_change_account(|account| {
            let identity = &mut account.whatsapp;
            if identity
                .template(&template.name, &template.language)
                .is_some()
            {
                return Err(CoreError::Conflict(format!(
                    "a template named {} already exists in {}",
                    template.name, template.language
                )));
            }
            let created = WhatsAppTemplate {
                id: ids::digits(15),
                category: template.category.to_ascii_lowercase(),
                ..template
            };
            check_templates(std::slice::from_ref(&created))?;
            identity.templates.push(created.clone());
            account.updated_at = wall_now();
            Ok(created)
        })?;
        let deliver = self.template_status_delivery(tenant, &account, &created, "APPROVED");
        let jobs = self
            .store
            .write(store::UpdateAccountAndNotify { account, deliver })
            .await?;
        self.timers.add(jobs);
        Ok(created)
    }

    /// Remove the templates named `name` — every language, or only the one with id
    /// `template_id` (Meta's `hsm_id`) — and return them. None matching is not found.
    pub async fn delete_whatsapp_templates(
        &self,
        tenant: &Tenant,
        name: &str,
        template_id: Option<&str>,
    ) -> Result<Vec<WhatsAppTemplate>, CoreError> {
        let (removed, account) = tenant.try_change_account(|account| {
            let identity = &mut account.whatsapp;
            let waba = identity.business_account_id.clone();
            let (removed, kept): (Vec<_>, Vec<_>) = identity.templates.drain(..).partition(|t| {
                t.name == name && template_id.is_none_or(|id| t.template_id(&waba) == id)
            });
            identity.templates = kept;
            if removed.is_empty() {
                return Err(CoreError::NotFound);
            }
            account.updated_at = wall_now();
            Ok(removed)
        })?;
        self.store.write(store::UpdateAccount { account }).await?;
        Ok(removed)
    }

    /// The webhook job announcing `event` for `template`, when the tenant has a webhook URL
    /// and callbacks are on.
    fn template_status_delivery(
        &self,
        tenant: &Tenant,
        account: &Account,
        template: &WhatsAppTemplate,
        event: &str,
    ) -> Option<NewJob> {
        let identity = &account.whatsapp;
        let url = identity
            .webhook_url
            .clone()
            .filter(|_| self.settings.callbacks_enabled)?;
        let template_id = template.template_id(&identity.business_account_id);
        let at = tenant.now();
        Some(NewJob {
            account_sid: account.sid.clone(),
            resource_sid: template_id.clone(),
            due_at: at,
            kind: store::JobKind::Deliver(Delivery {
                idempotency_token: ids::hex(32),
                resource_sid: template_id.clone(),
                status: event.to_ascii_lowercase(),
                url,
                method: HttpMethod::Post,
                notice: Notice::TemplateStatus(Box::new(TemplateStatusUpdate {
                    business_account_id: identity.business_account_id.clone(),
                    template_id,
                    name: template.name.clone(),
                    language: template.language.clone(),
                    category: template.category.to_ascii_uppercase(),
                    event: event.to_owned(),
                    reason: "NONE".into(),
                    at,
                })),
                to: None,
                from: None,
                target: None,
                attempt: 1,
                max_attempts: self.settings.retry_attempts.max(1),
                retry_delay_ms: self.settings.retry_delay.as_millis() as u64,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::whatsapp::tests::test_core;

    #[test]
    fn positional_and_named_parameters_are_counted() {
        assert_eq!(body_parameter_count("Hello"), 0);
        assert_eq!(body_parameter_count("Hi {{1}}, order {{2}} ships {{2}}"), 2);
        assert_eq!(
            body_parameter_count("Hi {{ first_name }}, {{order}} {{order}}"),
            2
        );
        assert_eq!(body_parameter_count("unclosed {{1"), 0);
    }

    #[tokio::test]
    async fn a_created_template_is_in_the_registry_and_a_second_one_conflicts() {
        let (core, tenant, shutdown) = test_core().await;
        let template = WhatsAppTemplate::new("order_update", "en_US", "UTILITY", 1);
        let created = core
            .create_whatsapp_template(&tenant, template.clone())
            .await
            .expect("created");
        assert_eq!(created.id.len(), 15);
        assert_eq!(created.category, "utility");
        let registry = tenant.account().whatsapp;
        assert_eq!(registry.template("order_update", "en_US"), Some(&created));
        let again = core.create_whatsapp_template(&tenant, template).await;
        assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");

        let removed = core
            .delete_whatsapp_templates(&tenant, "order_update", Some("1"))
            .await;
        assert!(matches!(removed, Err(CoreError::NotFound)), "wrong hsm_id");
        let removed = core
            .delete_whatsapp_templates(&tenant, "order_update", Some(&created.id))
            .await
            .expect("deleted");
        assert_eq!(removed, vec![created]);
        assert!(
            tenant
                .account()
                .whatsapp
                .template("order_update", "en_US")
                .is_none()
        );
        shutdown.cancel();
    }
}
