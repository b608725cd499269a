//! The control plane: gRPC services test harnesses use to create tenants, set rules and numbers,
//! follow events, move messages along, simulate users and drive clocks. Each method decodes its
//! request, calls one core operation and encodes the answer; no behaviour lives here.

mod calls;
mod convert;
mod events;
mod messages;
mod setup;
mod whatsapp;

use std::sync::Arc;
use std::time::Instant;

use axum::middleware::{self, Next};
use tokio_util::sync::CancellationToken;
use tonic::server::NamedService;
use tonic::service::{Interceptor, Routes};
use tonic::{Request, Status};
use tracing::Instrument;

use crate::core::tenants::Tenant;
use crate::core::{Core, CoreError};
use crate::proto;

/// What every service shares.
#[derive(Clone)]
pub struct ControlPlane {
    core: Arc<Core>,
    /// Ends open streams and waits when the server stops.
    shutdown: CancellationToken,
}

impl ControlPlane {
    /// The tenant a request names, or the config file's account (the default tenant) when its
    /// `account_sid` is empty: every method taking an `account_sid` reads it here, so a harness
    /// driving a bot pointed at the config's fixed identity need not look its SID up.
    fn tenant(&self, account_sid: &str) -> Result<Arc<Tenant>, Status> {
        let tenant = if account_sid.is_empty() {
            self.core
                .default_tenant()
                .ok_or_else(|| Status::failed_precondition("the server has no default tenant"))
        } else {
            self.core
                .tenant(account_sid)
                .ok_or_else(|| Status::not_found(format!("no tenant {account_sid}")))
        };
        log_account(&tenant.as_ref().map_or(account_sid.to_owned(), |t| t.sid()));
        tenant
    }
}

/// The core's refusals as gRPC statuses, so that methods use `?`. Store failures are logged
/// here, once, and reach the client only as INTERNAL.
impl From<CoreError> for Status {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Rejected(rejection) => {
                Status::failed_precondition(format!("{} ({})", rejection.message, rejection.code))
            }
            CoreError::NotFound => Status::not_found("not found"),
            CoreError::Denied(denied) => Status::permission_denied(denied.to_string()),
            CoreError::InvalidRule(e) => Status::invalid_argument(e.to_string()),
            CoreError::Invalid(message) => Status::invalid_argument(message),
            CoreError::Conflict(message) => Status::already_exists(message),
            CoreError::ClockNotFrozen => Status::failed_precondition(
                "the tenant's clock is not frozen; call Clock.Freeze first",
            ),
            CoreError::FailedPrecondition(message) => Status::failed_precondition(message),
            CoreError::Store(e) => {
                tracing::error!(error = %e, "store failure behind a control-plane call");
                Status::internal("internal error; see the server's log")
            }
        }
    }
}

/// Requires `authorization: Bearer <token>` on every call when a token is configured.
#[derive(Clone)]
struct BearerToken(Option<Arc<str>>);

impl Interceptor for BearerToken {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.0 else {
            return Ok(request);
        };
        let given = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match given {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(request),
            Some(_) => Err(Status::unauthenticated("wrong control-plane token")),
            None => Err(Status::unauthenticated(
                "the control plane needs `authorization: Bearer <token>` (control.token in the config)",
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Every control-plane service, with gRPC health and server reflection (both open, without the
/// token, so that probes and tools work), as routes without a fallback, to serve alone (see
/// [`unknown_method`]) or beside the HTTP API.
pub async fn routes(
    core: Arc<Core>,
    token: Option<String>,
    shutdown: CancellationToken,
) -> Result<axum::Router, tonic_reflection::server::Error> {
    use proto::{
        calls_server::CallsServer, clock_server::ClockServer, events_server::EventsServer,
        messages_server::MessagesServer, numbers_server::NumbersServer, rules_server::RulesServer,
        tenants_server::TenantsServer, whats_app_server::WhatsAppServer,
    };
    let plane = ControlPlane { core, shutdown };
    let auth = BearerToken(token.filter(|t| !t.is_empty()).map(Arc::from));

    let (health_reporter, health) = tonic_health::server::health_reporter();
    let serving = tonic_health::ServingStatus::Serving;
    for name in [
        <TenantsServer<ControlPlane> as NamedService>::NAME,
        <RulesServer<ControlPlane> as NamedService>::NAME,
        <NumbersServer<ControlPlane> as NamedService>::NAME,
        <MessagesServer<ControlPlane> as NamedService>::NAME,
        <EventsServer<ControlPlane> as NamedService>::NAME,
        <ClockServer<ControlPlane> as NamedService>::NAME,
        <WhatsAppServer<ControlPlane> as NamedService>::NAME,
        <CallsServer<ControlPlane> as NamedService>::NAME,
        "", // the server as a whole
    ] {
        health_reporter.set_service_status(name, serving).await;
    }
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    // v1alpha too: Python's grpcio-reflection client and older tools speak only that.
    let (reflection, reflection_v1alpha) =
        (reflection().build_v1()?, reflection().build_v1alpha()?);
    Ok(Routes::from(axum::Router::new())
        .add_service(health)
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .add_service(TenantsServer::with_interceptor(plane.clone(), auth.clone()))
        .add_service(RulesServer::with_interceptor(plane.clone(), auth.clone()))
        .add_service(NumbersServer::with_interceptor(plane.clone(), auth.clone()))
        .add_service(MessagesServer::with_interceptor(
            plane.clone(),
            auth.clone(),
        ))
        .add_service(EventsServer::with_interceptor(plane.clone(), auth.clone()))
        .add_service(ClockServer::with_interceptor(plane.clone(), auth.clone()))
        .add_service(WhatsAppServer::with_interceptor(
            plane.clone(),
            auth.clone(),
        ))
        .add_service(CallsServer::with_interceptor(plane, auth))
        .into_axum_router()
        .layer(middleware::from_fn(log_call)))
}

/// Name the tenant in this call's log line (see [`log_call`]), as a Twilio request's path does.
fn log_account(account_sid: &str) {
    tracing::Span::current().record("account", account_sid);
}

/// One log line per control-plane call, at info, as the HTTP API writes one per request: the
/// method, its gRPC status, and the tenant it named or made (recorded by [`log_account`]), so a
/// harness that greps the log for a failed test's tenant finds its control-plane calls too. A
/// stream's line is written when it opens.
async fn log_call(request: axum::extract::Request, next: Next) -> axum::response::Response {
    let started = Instant::now();
    let span = tracing::info_span!(
        "control",
        method = request.uri().path(),
        account = tracing::field::Empty
    );
    let response = next.run(request).instrument(span.clone()).await;
    // A refusal comes as a trailers-only response, its status in the headers; an answer's
    // status (0) follows in the trailers, which a stream sends only when it ends.
    let grpc_status = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok()?.parse::<i32>().ok())
        .unwrap_or(0);
    span.in_scope(|| {
        tracing::info!(
            target: "mockingbird::control",
            grpc_status,
            micros = started.elapsed().as_micros() as u64,
            "call"
        )
    });
    response
}

/// gRPC's answer to a method nobody serves.
/// How many items a listing call returns: 50 when unset, at most 1000.
fn page_limit(requested: u32) -> u32 {
    match requested {
        0 => 50,
        n => n.min(1000),
    }
}

pub async fn unknown_method() -> axum::response::Response {
    Status::unimplemented("no such gRPC service or method").into_http()
}
