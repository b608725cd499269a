//! Setting up a test's world: tenants, rules, numbers and clocks.

use tonic::{Request, Response, Status};

use super::{ControlPlane, convert};
use crate::core::CoreError;
use crate::core::tenants::numbers::NumberUpdate;
use crate::core::tenants::{Account, Tenant};
use crate::core::time::ClockMode;
use crate::proto::{self, clock_server, numbers_server, rules_server, tenants_server};

type Answer<T> = Result<Response<T>, Status>;

impl ControlPlane {
    fn tenant_message(&self, account: &Account) -> proto::Tenant {
        let keys = self.core.api_keys(&account.sid);
        convert::tenant(account, keys.first())
    }

    fn clock_state(&self, tenant: &Tenant) -> proto::ClockState {
        proto::ClockState {
            now: convert::timestamp(tenant.now()),
            frozen: matches!(tenant.clock(), ClockMode::Frozen { .. }),
            pending_jobs: self.core.pending_jobs(tenant) as u32,
        }
    }
}

#[tonic::async_trait]
impl tenants_server::Tenants for ControlPlane {
    async fn create_tenant(
        &self,
        request: Request<proto::CreateTenantRequest>,
    ) -> Answer<proto::Tenant> {
        let label = request.into_inner().label;
        let (tenant, _) = self
            .core
            .create_tenant((!label.is_empty()).then_some(label))
            .await?;
        super::log_account(&tenant.sid());
        Ok(Response::new(self.tenant_message(&tenant.account())))
    }

    async fn get_tenant(&self, request: Request<proto::GetTenantRequest>) -> Answer<proto::Tenant> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        Ok(Response::new(self.tenant_message(&tenant.account())))
    }

    async fn list_tenants(
        &self,
        _request: Request<proto::ListTenantsRequest>,
    ) -> Answer<proto::ListTenantsResponse> {
        Ok(Response::new(proto::ListTenantsResponse {
            tenants: self
                .core
                .accounts()
                .iter()
                .map(|a| self.tenant_message(a))
                .collect(),
        }))
    }

    async fn reset_tenant(
        &self,
        request: Request<proto::ResetTenantRequest>,
    ) -> Answer<proto::ResetTenantResponse> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        let sequence = self.core.reset_tenant(&tenant).await?;
        Ok(Response::new(proto::ResetTenantResponse {
            tenant: Some(self.tenant_message(&tenant.account())),
            sequence,
        }))
    }

    async fn delete_tenant(
        &self,
        request: Request<proto::DeleteTenantRequest>,
    ) -> Answer<proto::DeleteTenantResponse> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        self.core.delete_tenant(&tenant).await?;
        Ok(Response::new(proto::DeleteTenantResponse {}))
    }
}

fn rule_list(rules: &[crate::core::rules::Rule]) -> proto::RuleList {
    proto::RuleList {
        rules: rules.iter().map(convert::rule).collect(),
    }
}

#[tonic::async_trait]
impl rules_server::Rules for ControlPlane {
    async fn replace_rules(
        &self,
        request: Request<proto::ReplaceRulesRequest>,
    ) -> Answer<proto::RuleList> {
        let request = request.into_inner();
        let tenant = self.tenant(&request.account_sid)?;
        let rules = request
            .rules
            .into_iter()
            .map(convert::core_rule)
            .collect::<Result<Vec<_>, _>>()?;
        let rules = self.core.set_rules(&tenant, rules).await?;
        Ok(Response::new(rule_list(&rules)))
    }

    async fn add_rule(&self, request: Request<proto::AddRuleRequest>) -> Answer<proto::Rule> {
        let request = request.into_inner();
        let tenant = self.tenant(&request.account_sid)?;
        let rule = request
            .rule
            .ok_or_else(|| Status::invalid_argument("rule is required"))?;
        let rule = self
            .core
            .add_rule(&tenant, convert::core_rule(rule)?)
            .await?;
        Ok(Response::new(convert::rule(&rule)))
    }

    async fn list_rules(
        &self,
        request: Request<proto::ListRulesRequest>,
    ) -> Answer<proto::RuleList> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        Ok(Response::new(rule_list(&self.core.rules(&tenant))))
    }

    async fn clear_rules(
        &self,
        request: Request<proto::ClearRulesRequest>,
    ) -> Answer<proto::RuleList> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        self.core.set_rules(&tenant, Vec::new()).await?;
        Ok(Response::new(proto::RuleList::default()))
    }
}

/// An optional method: unset keeps the current one.
fn method_of(value: Option<i32>) -> Option<crate::core::messaging::HttpMethod> {
    value.map(convert::core_method)
}

/// A number the tenant does not have is named in the answer.
fn number_status(error: CoreError, number: &str) -> Status {
    match error {
        CoreError::NotFound => Status::not_found(format!("the tenant has no number {number}")),
        other => Status::from(other),
    }
}

#[tonic::async_trait]
impl numbers_server::Numbers for ControlPlane {
    async fn add_number(
        &self,
        request: Request<proto::AddNumberRequest>,
    ) -> Answer<proto::PhoneNumber> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let text = |value: String| (!value.is_empty()).then_some(value);
        let settings = NumberUpdate {
            friendly_name: text(r.friendly_name),
            sms_url: text(r.sms_url),
            sms_method: Some(convert::core_method(r.sms_method)),
            sms_fallback_url: text(r.sms_fallback_url),
            sms_fallback_method: Some(convert::core_method(r.sms_fallback_method)),
            voice_url: text(r.voice_url),
            voice_method: Some(convert::core_method(r.voice_method)),
            ..NumberUpdate::default()
        };
        let number = self
            .core
            .add_number(&tenant, &r.phone_number, settings)
            .await?;
        Ok(Response::new(convert::number(&number)))
    }

    async fn list_numbers(
        &self,
        request: Request<proto::ListNumbersRequest>,
    ) -> Answer<proto::ListNumbersResponse> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        Ok(Response::new(proto::ListNumbersResponse {
            numbers: tenant.numbers().iter().map(convert::number).collect(),
        }))
    }

    async fn update_number(
        &self,
        request: Request<proto::UpdateNumberRequest>,
    ) -> Answer<proto::PhoneNumber> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let update = NumberUpdate {
            friendly_name: r.friendly_name,
            sms_url: r.sms_url,
            sms_method: method_of(r.sms_method),
            sms_fallback_url: r.sms_fallback_url,
            sms_fallback_method: method_of(r.sms_fallback_method),
            voice_url: r.voice_url,
            voice_method: method_of(r.voice_method),
            ..NumberUpdate::default()
        };
        let number = self
            .core
            .update_number(&tenant, &r.number, update)
            .await
            .map_err(|e| number_status(e, &r.number))?;
        Ok(Response::new(convert::number(&number)))
    }

    async fn remove_number(
        &self,
        request: Request<proto::RemoveNumberRequest>,
    ) -> Answer<proto::RemoveNumberResponse> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        self.core
            .remove_number(&tenant, &r.number)
            .await
            .map_err(|e| number_status(e, &r.number))?;
        Ok(Response::new(proto::RemoveNumberResponse {}))
    }
}

#[tonic::async_trait]
impl clock_server::Clock for ControlPlane {
    async fn get_clock(
        &self,
        request: Request<proto::GetClockRequest>,
    ) -> Answer<proto::ClockState> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        Ok(Response::new(self.clock_state(&tenant)))
    }

    async fn freeze(&self, request: Request<proto::FreezeRequest>) -> Answer<proto::ClockState> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        self.core.freeze_clock(&tenant);
        Ok(Response::new(self.clock_state(&tenant)))
    }

    async fn advance(&self, request: Request<proto::AdvanceRequest>) -> Answer<proto::ClockState> {
        let r = request.into_inner();
        let tenant = self.tenant(&r.account_sid)?;
        let by = convert::duration(r.by.as_ref(), "by")?;
        self.core.advance_clock(&tenant, by).await?;
        Ok(Response::new(self.clock_state(&tenant)))
    }

    async fn resume(&self, request: Request<proto::ResumeRequest>) -> Answer<proto::ClockState> {
        let tenant = self.tenant(&request.into_inner().account_sid)?;
        self.core.resume_clock(&tenant);
        Ok(Response::new(self.clock_state(&tenant)))
    }
}
