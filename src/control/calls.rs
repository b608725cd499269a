//! Calls, and the test as the person on the line: place a call to the app's number, answer or
//! reject a call the app placed, press keys, speak, hang up.

use tonic::{Request, Response, Status};

use super::{ControlPlane, convert};
use crate::core::CoreError;
use crate::core::paging::PageRequest;
use crate::core::voice::{CallFilter, CallView, InboundCall, Unanswered};
use crate::proto::{self, calls_server, reject_call_request::Reason};

type Answer<T> = Result<Response<T>, Status>;

/// A call the tenant does not have, named in the status.
fn no_call(sid: &str) -> impl Fn(CoreError) -> Status + '_ {
    move |e| match e {
        CoreError::NotFound => Status::not_found(format!("no call {sid}")),
        other => Status::from(other),
    }
}

/// The call a request names: its `sid` must be set.
fn sid(sid: &str) -> Result<&str, Status> {
    if sid.is_empty() {
        return Err(Status::invalid_argument(
            "sid is empty: name the call by its SID (CA…)",
        ));
    }
    Ok(sid)
}

fn detail(view: CallView) -> Answer<proto::CallDetail> {
    Ok(Response::new(convert::call_detail(&view)))
}

/// Proto3 strings are empty when unset; the core's optional strings are `None`.
fn set(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[tonic::async_trait]
impl calls_server::Calls for ControlPlane {
    async fn list_calls(
        &self,
        request: Request<proto::ListCallsRequest>,
    ) -> Answer<proto::ListCallsResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let filter = CallFilter {
            to: set(r.to),
            from: set(r.from),
            status: convert::core_call_status(r.status, "status")?,
            parent_call_sid: set(r.parent_call_sid),
            ..CallFilter::default()
        };
        let calls = self
            .core
            .list_calls(
                &tenant,
                &filter,
                &PageRequest::first(super::page_limit(r.limit)),
            )
            .await?;
        Ok(Response::new(proto::ListCallsResponse {
            calls: calls.items.iter().map(convert::call).collect(),
        }))
    }

    async fn get_call(&self, request: Request<proto::GetCallRequest>) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        detail(
            self.core
                .call_view(&tenant, sid)
                .await
                .map_err(no_call(sid))?,
        )
    }

    async fn place_inbound_call(
        &self,
        request: Request<proto::PlaceInboundCallRequest>,
    ) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        if r.from.is_empty() {
            return Err(Status::invalid_argument(
                "from is empty: give the caller's number (E.164), client:… or sip:…",
            ));
        }
        if r.to.is_empty() {
            return Err(Status::invalid_argument(
                "to is empty: give the tenant's number the caller dials",
            ));
        }
        let inbound = InboundCall {
            from: r.from,
            to: r.to,
            caller_name: set(r.caller_name),
            forwarded_from: set(r.forwarded_from),
        };
        detail(self.core.dial_in(&tenant, inbound).await?)
    }

    async fn answer_call(
        &self,
        request: Request<proto::AnswerCallRequest>,
    ) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        detail(
            self.core
                .answer_call(&tenant, sid, r.machine)
                .await
                .map_err(no_call(sid))?,
        )
    }

    async fn reject_call(
        &self,
        request: Request<proto::RejectCallRequest>,
    ) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        let how = match Reason::try_from(r.reason) {
            Ok(Reason::Unspecified | Reason::Busy) => Unanswered::Busy,
            Ok(Reason::NoAnswer) => Unanswered::NoAnswer,
            Ok(Reason::Failed) => Unanswered::Failed,
            Err(_) => {
                return Err(Status::invalid_argument(format!(
                    "reason: unknown reason {}; busy, no answer or failed",
                    r.reason
                )));
            }
        };
        detail(
            self.core
                .reject_call(&tenant, sid, how)
                .await
                .map_err(no_call(sid))?,
        )
    }

    async fn press_digits(
        &self,
        request: Request<proto::PressDigitsRequest>,
    ) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        if r.digits.is_empty() {
            return Err(Status::invalid_argument(
                "digits is empty: give the keys to press (0-9, * and #; w waits)",
            ));
        }
        detail(
            self.core
                .press_digits(&tenant, sid, &r.digits)
                .await
                .map_err(no_call(sid))?,
        )
    }

    async fn say_speech(
        &self,
        request: Request<proto::SaySpeechRequest>,
    ) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        if r.text.trim().is_empty() {
            return Err(Status::invalid_argument(
                "text is empty: give the words the person says",
            ));
        }
        detail(
            self.core
                .say_speech(&tenant, sid, &r.text)
                .await
                .map_err(no_call(sid))?,
        )
    }

    async fn hang_up(&self, request: Request<proto::HangUpRequest>) -> Answer<proto::CallDetail> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let sid = sid(&r.sid)?;
        detail(
            self.core
                .hang_up_call(&tenant, sid)
                .await
                .map_err(no_call(sid))?,
        )
    }
}
