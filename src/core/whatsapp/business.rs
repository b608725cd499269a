//! The business number's own settings as the Graph API edits them: its profile, the users it
//! blocked, its Cloud API registration, its `/settings`, its QR codes. Each is part of the tenant's WhatsApp identity, stored
//! with it.

use crate::core::rules::Rejection;
use crate::core::store;
use crate::core::tenants::{BusinessProfile, QrCode, Tenant, WhatsAppIdentity};
use crate::core::time::wall_now;
use crate::core::{Core, CoreError, ids};

use super::wa_id;

/// Why one user of a block or unblock request was not changed, as Meta reports it per user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFailure {
    /// The user as the request wrote them.
    pub input: String,
    pub wa_id: String,
    pub code: u32,
    pub details: String,
}

/// What a block or unblock request did, user by user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockOutcome {
    /// `(input, wa_id)` of each user changed.
    pub changed: Vec<(String, String)>,
    pub failed: Vec<BlockFailure>,
}

/// Meta's limit on one block request.
pub const BLOCK_REQUEST_MAX: usize = 1000;
/// Meta's limit on a block list.
pub const BLOCK_LIST_MAX: usize = 64_000;

impl Core {
    /// Change the tenant's WhatsApp identity with `change`, then store it. A refusal changes
    /// nothing; concurrent changes each see the other's (the tenant's lock orders them).
    pub async fn change_whatsapp<T>(
        &self,
        tenant: &Tenant,
        change: impl FnOnce(&mut WhatsAppIdentity) -> Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        let (answer, account) = tenant.try_change_account(|account| {
            let answer = change(&mut account.whatsapp)?;
            account.updated_at = wall_now();
            Ok::<T, CoreError>(answer)
        })?;
        self.store.write(store::UpdateAccount { account }).await?;
        Ok(answer)
    }

    /// Replace the business profile with `profile` (the facade merges an update into the
    /// current one).
    pub async fn set_business_profile(
        &self,
        tenant: &Tenant,
        profile: BusinessProfile,
    ) -> Result<(), CoreError> {
        self.change_whatsapp(tenant, |identity| {
            identity.business_profile = profile;
            Ok(())
        })
        .await
    }

    /// Block `users` (phone numbers or `wa_id`s) as Meta's Block Users API does: only users who
    /// wrote to the business in the last 24 hours (131047 for the others), never the business
    /// itself (131021), at most 64,000 in all (139101).
    pub async fn block_whatsapp_users(
        &self,
        tenant: &Tenant,
        users: Vec<String>,
    ) -> Result<BlockOutcome, CoreError> {
        let identity = tenant.account().whatsapp;
        let business = identity.business_number();
        let now = tenant.now();
        let mut outcome = BlockOutcome::default();
        let mut blockable = Vec::new();
        for input in users {
            let id = wa_id(&input);
            let refusal = if id.is_empty() || id == business {
                Some((
                    131021,
                    "Failed to block self phone number or an invalid number",
                ))
            } else if !self.window_open(tenant, &id, &business, now).await? {
                Some((131047, "User has not messaged in the last 24 hours"))
            } else {
                None
            };
            match refusal {
                Some((code, details)) => outcome.failed.push(BlockFailure {
                    input,
                    wa_id: id,
                    code,
                    details: details.into(),
                }),
                None => blockable.push((input, id)),
            }
        }
        let changed = self
            .change_whatsapp(tenant, |identity| {
                let mut changed = Vec::new();
                for (input, id) in blockable {
                    if !identity.blocked_users.contains(&id) {
                        if identity.blocked_users.len() >= BLOCK_LIST_MAX {
                            return Err(CoreError::Rejected(Rejection::new(
                                400,
                                139101,
                                "The blocklist has reached its 64,000 user limit.",
                            )));
                        }
                        identity.blocked_users.push(id.clone());
                    }
                    changed.push((input, id));
                }
                Ok(changed)
            })
            .await?;
        outcome.changed = changed;
        Ok(outcome)
    }

    /// Unblock `users`; a user who was not blocked is unblocked all the same, as Meta answers.
    pub async fn unblock_whatsapp_users(
        &self,
        tenant: &Tenant,
        users: Vec<String>,
    ) -> Result<BlockOutcome, CoreError> {
        let changed: Vec<(String, String)> = users
            .into_iter()
            .map(|input| {
                let id = wa_id(&input);
                (input, id)
            })
            .collect();
        let ids: Vec<String> = changed.iter().map(|(_, id)| id.clone()).collect();
        self.change_whatsapp(tenant, |identity| {
            identity
                .blocked_users
                .retain(|blocked| !ids.contains(blocked));
            Ok(())
        })
        .await?;
        Ok(BlockOutcome {
            changed,
            failed: Vec::new(),
        })
    }

    /// Keep the number's settings (the facade's JSON text of them).
    pub async fn set_number_settings(
        &self,
        tenant: &Tenant,
        settings: String,
    ) -> Result<(), CoreError> {
        self.change_whatsapp(tenant, |identity| {
            identity.number_settings = Some(settings);
            Ok(())
        })
        .await
    }

    /// Create a QR code with `prefilled_message`, or, given the `code` of one, change its
    /// message (not found when the tenant has no such code).
    pub async fn put_qr_code(
        &self,
        tenant: &Tenant,
        code: Option<String>,
        prefilled_message: String,
    ) -> Result<QrCode, CoreError> {
        self.change_whatsapp(tenant, |identity| match code {
            Some(code) => {
                let existing = identity
                    .qr_codes
                    .iter_mut()
                    .find(|qr| qr.code == code)
                    .ok_or(CoreError::NotFound)?;
                existing.prefilled_message = prefilled_message;
                Ok(existing.clone())
            }
            None => {
                // Meta's codes are 14 upper-case letters and digits (`4O4YGZEG3RIVE1`).
                let created = QrCode {
                    code: ids::hex(7).to_ascii_uppercase(),
                    prefilled_message,
                };
                identity.qr_codes.push(created.clone());
                Ok(created)
            }
        })
        .await
    }

    /// Delete QR code `code`; not found when the tenant has no such code.
    pub async fn delete_qr_code(&self, tenant: &Tenant, code: &str) -> Result<(), CoreError> {
        self.change_whatsapp(tenant, |identity| {
            let before = identity.qr_codes.len();
            identity.qr_codes.retain(|qr| qr.code != code);
            if identity.qr_codes.len() == before {
                return Err(CoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    /// Register the business number for the Cloud API with a two-step verification PIN, or
    /// deregister it (`pin: None`): a deregistered number cannot send.
    pub async fn set_whatsapp_registration(
        &self,
        tenant: &Tenant,
        pin: Option<String>,
    ) -> Result<(), CoreError> {
        self.change_whatsapp(tenant, |identity| {
            let registration = &mut identity.registration;
            registration.deregistered = pin.is_none();
            if pin.is_some() {
                registration.pin = pin;
            }
            Ok(())
        })
        .await
    }
}

/// Whether the business may message `to` at all: its number is registered (133010 when not)
/// and it has not blocked the user. Meta's Block Users page says only that messaging a blocked
/// user "returns an error"; mockingbird answers 131026 (Message undeliverable), whose
/// documented causes are a recipient the message cannot reach.
pub fn check_business_can_send(identity: &WhatsAppIdentity, to: &str) -> Result<(), CoreError> {
    if identity.registration.deregistered {
        return Err(CoreError::Rejected(Rejection::new(
            400,
            133010,
            "Account not registered: register the phone number with POST /{phone-number-id}/register.",
        )));
    }
    if identity.blocked_users.iter().any(|blocked| blocked == to) {
        return Err(CoreError::Rejected(Rejection::new(
            400,
            131026,
            "Message undeliverable: the business has blocked this user; unblock them first.",
        )));
    }
    Ok(())
}

/// A simulated user the business blocked cannot write to it: Meta delivers nothing, and the
/// control plane says why rather than pretending the message went through.
pub fn check_user_can_write(identity: &WhatsAppIdentity, user: &str) -> Result<(), CoreError> {
    if identity
        .blocked_users
        .iter()
        .any(|blocked| *blocked == wa_id(user))
    {
        return Err(CoreError::FailedPrecondition(format!(
            "the business has blocked {user}: a blocked user cannot message it (unblock them \
             with DELETE /{{phone-number-id}}/block_users)"
        )));
    }
    Ok(())
}
