//! The control plane's server: its bearer token, health, reflection, and gRPC on the HTTP port.

use futures_util::StreamExt;
use mockingbird::proto;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn a_bearer_token_guards_the_control_plane_but_not_health() {
    let mut config = test_config();
    config.control.token = Some("s3cret".into());
    let app = spawn_with(config).await;
    let mut control = app.control().await;
    let refused = control
        .tenants
        .list_tenants(proto::ListTenantsRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    let mut request = tonic::Request::new(proto::ListTenantsRequest {});
    request
        .metadata_mut()
        .insert("authorization", "Bearer s3cret".parse().unwrap());
    assert!(control.tenants.list_tenants(request).await.is_ok());
    let mut wrong = tonic::Request::new(proto::ListTenantsRequest {});
    wrong
        .metadata_mut()
        .insert("authorization", "Bearer guess".parse().unwrap());
    assert_eq!(
        control
            .tenants
            .list_tenants(wrong)
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );

    let channel = tonic::transport::Channel::from_shared(app.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "mockingbird.v1.Events".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn reflection_lists_the_services_and_the_http_port_can_serve_grpc_too() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut config = test_config();
    config.control.on_http_port = true;
    let app = spawn_with(config).await;
    // Over the HTTP port, beside the Twilio API.
    let channel = tonic::transport::Channel::from_shared(app.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(futures_util::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = tokio::time::timeout(WAIT, answers.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("{answer:?}")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in [
        "mockingbird.v1.Tenants",
        "mockingbird.v1.Rules",
        "mockingbird.v1.Numbers",
        "mockingbird.v1.Messages",
        "mockingbird.v1.Events",
        "mockingbird.v1.Clock",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == service), "{service} in {names:?}");
    }
    let mut tenants = proto::tenants_client::TenantsClient::new(channel);
    let tenant = tenants
        .create_tenant(proto::CreateTenantRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (status, _) = app
        .get_as(
            &tenant.account_sid,
            &tenant.auth_token,
            &app.messages_path(&tenant.account_sid),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn reflection_speaks_v1alpha_too() {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let channel = tonic::transport::Channel::from_shared(app.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel);
    let requests = [
        MessageRequest::ListServices(String::new()),
        MessageRequest::FileContainingSymbol("mockingbird.v1.Tenants".into()),
    ]
    .map(|message| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(message),
    });
    let mut answers = reflection
        .server_reflection_info(futures_util::stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut next = async || {
        tokio::time::timeout(WAIT, answers.next())
            .await
            .expect("an answer in time")
            .expect("an answer")
            .expect("not an error")
            .message_response
    };
    let Some(MessageResponse::ListServicesResponse(list)) = next().await else {
        panic!("a list of services")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.iter().any(|n| n == "mockingbird.v1.Tenants"),
        "{names:?}"
    );
    let Some(MessageResponse::FileDescriptorResponse(files)) = next().await else {
        panic!("the file of mockingbird.v1.Tenants")
    };
    assert!(!files.file_descriptor_proto.is_empty());
}
