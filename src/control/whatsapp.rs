//! The WhatsApp side of a tenant: simulated users writing to the business number, the Cloud
//! API settings, Meta's verification handshake and conversations.

use tonic::{Request, Response, Status};

use super::{ControlPlane, convert};
use crate::core::whatsapp::{
    InboundDelivery, Verification, WebhookTarget, WhatsAppInbound, WhatsAppUpdate,
};
use crate::proto::{self, whats_app_server};

type Answer<T> = Result<Response<T>, Status>;

impl ControlPlane {
    /// Where a simulated message goes instead of the tenant's webhook URL: a configured target
    /// by name, or a URL; treated as the seed's proxy treated its targets.
    fn webhook_target(&self, name: &str) -> Result<Option<WebhookTarget>, Status> {
        if name.is_empty() {
            return Ok(None);
        }
        self.core
            .whatsapp_target(name)
            .map(Some)
            .map_err(Status::from)
    }
}

/// The core's account of a simulated message's webhook, on the wire.
fn delivery(delivery: InboundDelivery) -> proto::InboundDelivery {
    match delivery {
        InboundDelivery::NoWebhook => proto::InboundDelivery::NoWebhook,
        InboundDelivery::Answered => proto::InboundDelivery::Answered,
        InboundDelivery::Unreachable => proto::InboundDelivery::Unreachable,
        InboundDelivery::TimedOut => proto::InboundDelivery::TimedOut,
    }
}

fn verification(v: &Verification) -> proto::VerifyWebhookResponse {
    proto::VerifyWebhookResponse {
        challenge: v.challenge.clone(),
        echoed: v.echoed,
        attempt: Some(convert::attempt(&v.attempt)),
    }
}

#[tonic::async_trait]
impl whats_app_server::WhatsApp for ControlPlane {
    async fn send_inbound(
        &self,
        request: Request<proto::SendWhatsAppInboundRequest>,
    ) -> Answer<proto::SendWhatsAppInboundResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let target = self.webhook_target(&r.target)?;
        let text = |value: String| (!value.is_empty()).then_some(value);
        let inbound = WhatsAppInbound {
            username: text(r.username),
            hide_phone: r.hide_phone,
            ..convert::user_message(r.message)?.into_inbound(
                &r.from,
                text(r.profile_name),
                text(r.context_id),
            )
        };
        // Read before the message is stored, so everything the app does in answer comes after.
        let after_sequence = self.core.events().latest_seq();
        let outcome = self.core.receive_whatsapp(&tenant, inbound, target).await?;
        let webhook = outcome.webhook.as_ref();
        Ok(Response::new(proto::SendWhatsAppInboundResponse {
            message: Some(convert::message(&outcome.message)),
            webhook: webhook.map(convert::attempt),
            delivery: delivery(outcome.delivery) as i32,
            http_status: webhook
                .and_then(|w| w.response_status)
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or_default(),
            http_body: webhook
                .and_then(|w| w.response_body.clone())
                .unwrap_or_default(),
            after_sequence,
            url: webhook.map(|w| w.url.clone()).unwrap_or_default(),
            timeout: convert::proto_duration(outcome.waited.as_millis() as u64),
        }))
    }

    async fn get_settings(
        &self,
        request: Request<proto::GetWhatsAppSettingsRequest>,
    ) -> Answer<proto::WhatsAppSettings> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        Ok(Response::new(convert::whatsapp_settings(
            &tenant.sid(),
            &tenant.account().whatsapp,
        )))
    }

    async fn update_settings(
        &self,
        request: Request<proto::UpdateWhatsAppSettingsRequest>,
    ) -> Answer<proto::UpdateWhatsAppSettingsResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let update = WhatsAppUpdate {
            webhook_url: r.webhook_url.map(|url| (!url.is_empty()).then_some(url)),
            window: convert::core_window_policy(r.window)?,
            allowed_recipients: r
                .allow_list
                .map(|list| list.enabled.then_some(list.numbers)),
            templates: r.templates.map(|list| {
                list.templates
                    .into_iter()
                    .map(convert::core_whatsapp_template)
                    .collect()
            }),
            verify_webhook: r.verify_webhook,
        };
        let updated = self.core.update_whatsapp(&tenant, update).await?;
        Ok(Response::new(proto::UpdateWhatsAppSettingsResponse {
            settings: Some(convert::whatsapp_settings(&tenant.sid(), &updated.identity)),
            verification: updated.verification.as_ref().map(verification),
        }))
    }

    async fn verify_webhook(
        &self,
        request: Request<proto::VerifyWebhookRequest>,
    ) -> Answer<proto::VerifyWebhookResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let url = r.url.filter(|url| !url.is_empty());
        let result = self.core.verify_whatsapp_webhook(&tenant, url).await?;
        Ok(Response::new(verification(&result)))
    }

    async fn get_conversation(
        &self,
        request: Request<proto::GetConversationRequest>,
    ) -> Answer<proto::GetConversationResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        if r.user.is_empty() {
            return Err(Status::invalid_argument("user is required"));
        }
        let (user, messages) = self
            .core
            .whatsapp_conversation(&tenant, &r.user, super::page_limit(r.limit))
            .await?;
        Ok(Response::new(proto::GetConversationResponse {
            messages: messages.iter().map(convert::message).collect(),
            user: Some(convert::whatsapp_user(&user)),
        }))
    }
}
