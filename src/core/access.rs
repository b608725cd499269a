//! Which tenant a request acts as, decided once for every facade. Twilio's requests carry Basic
//! credentials (an account SID and its auth token, or an API key and its secret) and name an
//! account in the path; the Cloud API's carry a bearer token and name a business number or an
//! object. Either way the secret is compared in constant time and a suspended or closed account
//! is refused. With `require_auth: false` (the seed's switch) requests without valid credentials
//! act as the default tenant, or as the account they name.

use std::sync::Arc;

use crate::core::tenants::{AccountStatus, Tenant};
use crate::core::{Core, CoreError};

/// Why a request may not act as a tenant. Each facade words it as its provider does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessDenied {
    /// The request carries no credentials, or an empty token.
    #[error("no credentials")]
    NoCredentials,
    /// The credentials belong to no tenant.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The credentials are a tenant's, but not one allowed here: another account's resources,
    /// or a suspended or closed account.
    #[error("not allowed")]
    NotAllowed,
    /// What the request names does not exist, or is hidden from these credentials.
    #[error("no such object")]
    Unknown,
}

impl From<AccessDenied> for CoreError {
    fn from(denied: AccessDenied) -> Self {
        CoreError::Denied(denied)
    }
}

impl Core {
    /// The tenant Basic credentials (`user`, `password`) authenticate as. Without
    /// `require_auth`, missing or wrong credentials act as the default tenant.
    pub fn tenant_for_basic(
        &self,
        credentials: Option<(&str, &str)>,
    ) -> Result<Arc<Tenant>, AccessDenied> {
        let authenticated =
            credentials.and_then(|(user, password)| self.tenants.authenticate(user, password));
        match authenticated {
            Some(tenant) => active(tenant),
            None if !self.settings.require_auth => {
                self.default_tenant().ok_or(AccessDenied::NotAllowed)
            }
            None if credentials.is_none() => Err(AccessDenied::NoCredentials),
            None => Err(AccessDenied::InvalidCredentials),
        }
    }

    /// The tenant a request on account `account_sid`'s resources acts on: the authenticated
    /// account itself or one of its subaccounts. Without `require_auth`, the account the path
    /// names (see [`Core::tenant_for_unauthenticated`]); a path naming no account is unknown.
    pub async fn tenant_for_account(
        &self,
        credentials: Option<(&str, &str)>,
        account_sid: &str,
    ) -> Result<Arc<Tenant>, CoreError> {
        if !self.settings.require_auth {
            return self
                .tenant_for_unauthenticated(account_sid)
                .await?
                .ok_or(CoreError::Denied(AccessDenied::Unknown));
        }
        let caller = self.tenant_for_basic(credentials)?;
        let caller_sid = caller.sid();
        if caller_sid == account_sid {
            return Ok(caller);
        }
        match self.tenants.get(account_sid) {
            Some(target)
                if target.account().owner_account_sid.as_deref() == Some(caller_sid.as_str()) =>
            {
                Ok(active(target)?)
            }
            // Twilio answers a request for another account's resources as an authentication
            // failure, not as a missing resource.
            _ => Err(AccessDenied::NotAllowed.into()),
        }
    }

    /// The tenant of business number `phone_number_id`, when `token` is its access token.
    /// Graph hides a number the token may not see behind the same answer as a missing one.
    pub fn tenant_for_business_number(
        &self,
        phone_number_id: &str,
        token: Option<&str>,
    ) -> Result<Arc<Tenant>, AccessDenied> {
        self.tenant_for_whatsapp_object(self.tenants.by_phone_number_id(phone_number_id), token)
    }

    /// The tenant of WhatsApp Business Account `business_account_id` (the WABA id templates
    /// and phone numbers are listed under), when `token` is its access token; answered as
    /// [`Core::tenant_for_business_number`] answers.
    pub fn tenant_for_business_account(
        &self,
        business_account_id: &str,
        token: Option<&str>,
    ) -> Result<Arc<Tenant>, AccessDenied> {
        self.tenant_for_whatsapp_object(
            self.tenants.by_business_account_id(business_account_id),
            token,
        )
    }

    /// `owner`, the tenant a Graph object in the request's path belongs to, when `token` is
    /// its access token.
    fn tenant_for_whatsapp_object(
        &self,
        owner: Option<Arc<Tenant>>,
        token: Option<&str>,
    ) -> Result<Arc<Tenant>, AccessDenied> {
        let require_auth = self.settings.require_auth;
        if require_auth {
            present(token)?;
        }
        let Some(tenant) = owner else {
            return Err(match token.and_then(|t| self.tenants.by_access_token(t)) {
                Some(_) => AccessDenied::Unknown,
                None if require_auth => AccessDenied::InvalidCredentials,
                None => AccessDenied::Unknown,
            });
        };
        if !require_auth {
            return Ok(tenant);
        }
        let own_token = tenant.account().whatsapp.access_token;
        match token {
            Some(token)
                if crate::core::crypto::constant_time_eq(
                    own_token.as_bytes(),
                    token.as_bytes(),
                ) =>
            {
                active(tenant)
            }
            // Another tenant's valid token may not see this object: Graph answers as for an
            // object that does not exist, so no tenant learns another's ids.
            Some(token) if self.tenants.by_access_token(token).is_some() => {
                Err(AccessDenied::Unknown)
            }
            _ => Err(AccessDenied::InvalidCredentials),
        }
    }

    /// The tenant an access token belongs to, for requests on objects (a media id) that do
    /// not name the business number. Without `require_auth`, a request with no known token
    /// acts as the default tenant.
    pub fn tenant_for_access_token(
        &self,
        token: Option<&str>,
    ) -> Result<Arc<Tenant>, AccessDenied> {
        if self.settings.require_auth {
            present(token)?;
        }
        match token.and_then(|t| self.tenants.by_access_token(t)) {
            Some(tenant) => active(tenant),
            None if self.settings.require_auth => Err(AccessDenied::InvalidCredentials),
            None => self
                .default_tenant()
                .ok_or(AccessDenied::InvalidCredentials),
        }
    }
}

/// Who asks the seed's `POST /clear/{what}` to clear, as the request says it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClearRequest<'a> {
    /// `Authorization: Bearer <token>`.
    pub bearer: Option<&'a str>,
    /// HTTP Basic credentials: an account SID and its auth token, or an API key and its secret.
    pub credentials: Option<(&'a str, &'a str)>,
    /// `?AccountSid=`: the tenant whose data to clear.
    pub account_sid: Option<&'a str>,
}

impl Core {
    /// Whose data a `/clear` request clears: one tenant's, or every tenant's (`None`).
    /// Without a control token (`control_token`, the config's `control.token`) the seed's open
    /// behaviour: `?AccountSid=` or Basic credentials pick a tenant, nothing clears all. With
    /// one, clearing is as guarded as the control plane: that token as a bearer clears every
    /// tenant (or the `?AccountSid=` one); a tenant's own Basic credentials clear its own data
    /// (or a subaccount's named by `?AccountSid=`); anything else is refused.
    pub fn tenant_for_clear(
        &self,
        control_token: Option<&str>,
        request: ClearRequest<'_>,
    ) -> Result<Option<Arc<Tenant>>, CoreError> {
        let named = |sid: &str| self.tenants.get(sid).map(Some).ok_or(CoreError::NotFound);
        let Some(expected) = control_token else {
            return match (request.account_sid, request.credentials) {
                (Some(sid), _) => named(sid),
                (None, Some((user, password))) => match self.tenants.authenticate(user, password) {
                    Some(tenant) => Ok(Some(tenant)),
                    None => Err(AccessDenied::InvalidCredentials.into()),
                },
                (None, None) => Ok(None),
            };
        };
        if let Some(token) = request.bearer {
            if !crate::core::crypto::constant_time_eq(expected.as_bytes(), token.as_bytes()) {
                return Err(AccessDenied::InvalidCredentials.into());
            }
            return request.account_sid.map_or(Ok(None), named);
        }
        let Some((user, password)) = request.credentials else {
            return Err(AccessDenied::NoCredentials.into());
        };
        let caller = self
            .tenants
            .authenticate(user, password)
            .ok_or(AccessDenied::InvalidCredentials)?;
        let caller = active(caller)?;
        match request.account_sid {
            None => Ok(Some(caller)),
            Some(sid) if sid == caller.sid() => Ok(Some(caller)),
            Some(sid) => match self.tenants.get(sid) {
                Some(target)
                    if target.account().owner_account_sid.as_deref()
                        == Some(caller.sid().as_str()) =>
                {
                    Ok(Some(active(target)?))
                }
                // Another account's data: refused as Twilio refuses its resources.
                _ => Err(AccessDenied::NotAllowed.into()),
            },
        }
    }
}

fn present(token: Option<&str>) -> Result<(), AccessDenied> {
    match token {
        None | Some("") => Err(AccessDenied::NoCredentials),
        Some(_) => Ok(()),
    }
}

fn active(tenant: Arc<Tenant>) -> Result<Arc<Tenant>, AccessDenied> {
    match tenant.account().status {
        AccountStatus::Active => Ok(tenant),
        AccountStatus::Suspended | AccountStatus::Closed => Err(AccessDenied::NotAllowed),
    }
}
