//! A tenant's phone numbers: the senders its app may use and where traffic to them goes. The
//! control plane and Twilio's `IncomingPhoneNumbers` resource both manage them here.

use crate::core::messaging::HttpMethod;
use crate::core::store;
use crate::core::tenants::{Hook, PhoneNumber, Tenant};
use crate::core::{Core, CoreError, text, time};

/// Changes to a number's settings; `None` keeps the current value. A URL of `Some("")`
/// removes it, as an empty `SmsUrl` does on Twilio.
#[derive(Debug, Clone, Default)]
pub struct NumberUpdate {
    pub friendly_name: Option<String>,
    pub sms_url: Option<String>,
    pub sms_method: Option<HttpMethod>,
    pub sms_fallback_url: Option<String>,
    pub sms_fallback_method: Option<HttpMethod>,
    pub voice_url: Option<String>,
    pub voice_method: Option<HttpMethod>,
    pub voice_fallback_url: Option<String>,
    pub voice_fallback_method: Option<HttpMethod>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<HttpMethod>,
}

impl NumberUpdate {
    fn apply(self, number: &mut PhoneNumber) {
        fn set(hook: &mut Hook, url: Option<String>, method: Option<HttpMethod>) {
            if let Some(url) = url {
                hook.url = (!url.is_empty()).then_some(url);
            }
            if let Some(method) = method {
                hook.method = method;
            }
        }
        if let Some(name) = self.friendly_name {
            number.friendly_name = name;
        }
        set(&mut number.sms, self.sms_url, self.sms_method);
        set(
            &mut number.sms_fallback,
            self.sms_fallback_url,
            self.sms_fallback_method,
        );
        set(&mut number.voice, self.voice_url, self.voice_method);
        set(
            &mut number.voice_fallback,
            self.voice_fallback_url,
            self.voice_fallback_method,
        );
        set(
            &mut number.status_callback,
            self.status_callback,
            self.status_callback_method,
        );
    }
}

impl Core {
    /// Give a tenant a phone number (E.164) with its settings.
    pub async fn add_number(
        &self,
        tenant: &Tenant,
        phone_number: &str,
        settings: NumberUpdate,
    ) -> Result<PhoneNumber, CoreError> {
        if !text::is_e164(phone_number) {
            return Err(CoreError::Invalid(format!(
                "{phone_number:?} is not a phone number in E.164 form (+ and up to 15 digits)"
            )));
        }
        if tenant.owns_number(phone_number) {
            return Err(CoreError::Conflict(format!(
                "the tenant already has the number {phone_number}"
            )));
        }
        let mut number = PhoneNumber::new(&tenant.sid(), phone_number, time::wall_now());
        settings.apply(&mut number);
        self.store_number(tenant, number).await
    }

    /// One of a tenant's numbers, by `PN…` SID or by the number itself.
    pub fn number(&self, tenant: &Tenant, sid_or_number: &str) -> Result<PhoneNumber, CoreError> {
        tenant.number(sid_or_number).ok_or(CoreError::NotFound)
    }

    pub async fn update_number(
        &self,
        tenant: &Tenant,
        sid_or_number: &str,
        update: NumberUpdate,
    ) -> Result<PhoneNumber, CoreError> {
        let mut number = self.number(tenant, sid_or_number)?;
        update.apply(&mut number);
        number.updated_at = time::wall_now();
        self.store_number(tenant, number).await
    }

    async fn store_number(
        &self,
        tenant: &Tenant,
        number: PhoneNumber,
    ) -> Result<PhoneNumber, CoreError> {
        self.store
            .write(store::PutNumber {
                number: number.clone(),
            })
            .await?;
        tenant.put_number(number.clone());
        Ok(number)
    }

    pub async fn remove_number(
        &self,
        tenant: &Tenant,
        sid_or_number: &str,
    ) -> Result<(), CoreError> {
        let number = self.number(tenant, sid_or_number)?;
        self.store
            .write(store::DeleteNumber {
                account_sid: tenant.sid(),
                sid: number.sid.clone(),
            })
            .await?;
        tenant.remove_number(&number.sid);
        Ok(())
    }
}
