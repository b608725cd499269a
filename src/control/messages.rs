//! Captured messages and webhook attempts, and the hand controls: set a status, redeliver a
//! callback, simulate a user's text.

use tonic::{Request, Response, Status};

use super::{ControlPlane, convert};
use crate::core::messaging::MessageFilter;
use crate::core::messaging::users::{InboundText, SharedLocation};
use crate::core::paging::PageRequest;
use crate::proto::{self, messages_server};

type Answer<T> = Result<Response<T>, Status>;

fn not_found(what: &str) -> impl Fn(crate::core::CoreError) -> Status + '_ {
    move |e| match e {
        crate::core::CoreError::NotFound => Status::not_found(format!("no {what}")),
        other => Status::from(other),
    }
}

#[tonic::async_trait]
impl messages_server::Messages for ControlPlane {
    async fn list_messages(
        &self,
        request: Request<proto::ListMessagesRequest>,
    ) -> Answer<proto::ListMessagesResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let filter = MessageFilter {
            to: (!r.to.is_empty()).then_some(r.to),
            from: (!r.from.is_empty()).then_some(r.from),
            ..MessageFilter::default()
        };
        let messages = self
            .core
            .list_messages(
                &tenant,
                &filter,
                &PageRequest::first(super::page_limit(r.limit)),
            )
            .await?;
        Ok(Response::new(proto::ListMessagesResponse {
            messages: messages.items.iter().map(convert::message).collect(),
        }))
    }

    async fn get_message(
        &self,
        request: Request<proto::GetMessageRequest>,
    ) -> Answer<proto::Message> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let message = self
            .core
            .message(&tenant, &r.sid)
            .await
            .map_err(not_found(&format!("message {}", r.sid)))?;
        Ok(Response::new(convert::message(&message)))
    }

    async fn set_message_status(
        &self,
        request: Request<proto::SetMessageStatusRequest>,
    ) -> Answer<proto::Message> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let new_status = convert::core_status(r.status, "status")?;
        let message = self
            .core
            .set_message_status(
                &tenant,
                &r.sid,
                new_status,
                (r.error_code != 0).then_some(r.error_code),
                (!r.error_message.is_empty()).then_some(r.error_message),
            )
            .await
            .map_err(not_found(&format!("message {}", r.sid)))?;
        Ok(Response::new(convert::message(&message)))
    }

    async fn list_callback_attempts(
        &self,
        request: Request<proto::ListCallbackAttemptsRequest>,
    ) -> Answer<proto::ListCallbackAttemptsResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let resource = (!r.resource_sid.is_empty()).then_some(r.resource_sid.as_str());
        let attempts = self
            .core
            .callback_attempts(&tenant, resource, super::page_limit(r.limit))
            .await?;
        Ok(Response::new(proto::ListCallbackAttemptsResponse {
            attempts: attempts.iter().map(convert::attempt).collect(),
        }))
    }

    async fn redeliver_callback(
        &self,
        request: Request<proto::RedeliverCallbackRequest>,
    ) -> Answer<proto::CallbackAttempt> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let attempt = self
            .core
            .redeliver_callback(&tenant, r.attempt_id)
            .await
            .map_err(not_found(&format!("callback attempt {}", r.attempt_id)))?;
        Ok(Response::new(convert::attempt(&attempt)))
    }

    async fn send_inbound(
        &self,
        request: Request<proto::SendInboundRequest>,
    ) -> Answer<proto::SendInboundResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let outcome = self.core.receive_inbound(&tenant, inbound_text(r)).await?;
        Ok(Response::new(proto::SendInboundResponse {
            message: Some(convert::message(&outcome.message)),
            webhook: outcome.webhook.as_ref().map(convert::attempt),
            replies: outcome.replies.iter().map(convert::message).collect(),
            opt_out_type: outcome
                .opt_out_type
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
        }))
    }
}

/// The request as the core takes it: proto3 strings are empty when unset, the core's are
/// `None`.
fn inbound_text(r: proto::SendInboundRequest) -> InboundText {
    let set = |value: String| (!value.is_empty()).then_some(value);
    InboundText {
        from: r.from,
        to: r.to,
        body: r.body,
        media_urls: r.media_urls,
        profile_name: set(r.profile_name),
        button_text: set(r.button_text),
        button_payload: set(r.button_payload),
        location: r.location.map(|l| SharedLocation {
            latitude: l.latitude,
            longitude: l.longitude,
            address: set(l.address),
            label: set(l.label),
        }),
        replied_to_sid: set(r.replied_to_sid),
        message_type: set(r.message_type),
        forwarded: r.forwarded,
        frequently_forwarded: r.frequently_forwarded,
    }
}
