//! Business-scoped user ids (BSUIDs) and usernames, as Meta introduced them in 2026: every
//! WhatsApp user has, per business, an id such as `US.13491208655302741918` (the ISO 3166
//! alpha-2 code of the user's phone number, a period, alphanumerics) that webhooks carry beside
//! the phone number — or instead of it, when a user who adopted a username hides their number.
//! Sends may address a user by it (`recipient`).
//!
//! Sources: Meta's "Business-scoped user IDs" page (developers.facebook.com/documentation/
//! business-messaging/whatsapp/business-scoped-user-ids, as mirrored by chatarchitect, Mar 2026,
//! and summarised by dualhook.com/docs/contacts-bsuid-webhooks and contacts-bsuid-api-changes),
//! 360dialog's usernames page (the format), pywa 4.5 `pywa/types/user.py` (`User.from_contact`
//! reads `contacts[].user_id`; the country code is the id's prefix).

use serde::{Deserialize, Serialize};

use crate::core::crypto::hmac_sha256;

/// A simulated Cloud API user, as the tenant's business sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsAppUser {
    /// The user's phone number, digits only. Every WhatsApp account has one, shown or not.
    pub wa_id: String,
    /// The business-scoped user id ([`business_scoped_user_id`]).
    pub user_id: String,
    /// The username the user adopted, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user hides their phone number from the business: webhooks carry no `wa_id`, `from`
    /// or `recipient_id`, only the BSUID.
    #[serde(default)]
    pub phone_hidden: bool,
}

impl WhatsAppUser {
    /// The user with this phone number (digits) in tenant `account_sid`, showing their number
    /// and no username.
    pub fn with_phone(account_sid: &str, wa_id: &str) -> Self {
        WhatsAppUser {
            wa_id: wa_id.to_owned(),
            user_id: business_scoped_user_id(account_sid, wa_id),
            username: None,
            phone_hidden: false,
        }
    }

    /// The phone number as webhooks may show it: none when the user hides it.
    pub fn visible_wa_id(&self) -> Option<&str> {
        (!self.phone_hidden).then_some(self.wa_id.as_str())
    }
}

/// The BSUID of the user with phone number `wa_id` (digits) as tenant `account_sid`'s business
/// sees it: the country of the number's calling code, a period, and 20 digits of an HMAC of the
/// tenant and the number — the same on every run, different in every tenant, like Meta's
/// (stable per business and user; a new number makes a new id).
pub fn business_scoped_user_id(account_sid: &str, wa_id: &str) -> String {
    let mac = hmac_sha256(
        account_sid.as_bytes(),
        [b"bsuid/".as_slice(), wa_id.as_bytes()],
    );
    let mut first = [0u8; 8];
    first.copy_from_slice(&mac[..8]);
    format!("{}.{:020}", country_of(wa_id), u64::from_be_bytes(first))
}

/// Whether `text` has a BSUID's shape: two capital letters, a period, then up to 128
/// alphanumerics (a parent BSUID, `BR.ENT.…`, has a second period).
pub fn is_business_scoped_user_id(text: &str) -> bool {
    let Some((country, rest)) = text.split_once('.') else {
        return false;
    };
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && !rest.is_empty()
        && rest.len() <= 128
        && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !rest.starts_with('.')
        && !rest.ends_with('.')
}

/// The ISO 3166 alpha-2 code of a number's calling code, for the countries WhatsApp is most
/// used in; `ZZ` (ISO's "unknown") for the rest. Calling codes are prefix-free, so the first
/// match of one, two or three digits is the code. +1 is shared by the NANP countries: Meta's
/// samples show `US` for it.
fn country_of(wa_id: &str) -> &'static str {
    const CODES: &[(&str, &str)] = &[
        ("1", "US"),
        ("7", "RU"),
        ("20", "EG"),
        ("27", "ZA"),
        ("30", "GR"),
        ("31", "NL"),
        ("32", "BE"),
        ("33", "FR"),
        ("34", "ES"),
        ("36", "HU"),
        ("39", "IT"),
        ("40", "RO"),
        ("41", "CH"),
        ("43", "AT"),
        ("44", "GB"),
        ("45", "DK"),
        ("46", "SE"),
        ("47", "NO"),
        ("48", "PL"),
        ("49", "DE"),
        ("51", "PE"),
        ("52", "MX"),
        ("54", "AR"),
        ("55", "BR"),
        ("56", "CL"),
        ("57", "CO"),
        ("58", "VE"),
        ("60", "MY"),
        ("61", "AU"),
        ("62", "ID"),
        ("63", "PH"),
        ("64", "NZ"),
        ("65", "SG"),
        ("66", "TH"),
        ("81", "JP"),
        ("82", "KR"),
        ("84", "VN"),
        ("86", "CN"),
        ("90", "TR"),
        ("91", "IN"),
        ("92", "PK"),
        ("94", "LK"),
        ("98", "IR"),
        ("212", "MA"),
        ("213", "DZ"),
        ("233", "GH"),
        ("234", "NG"),
        ("254", "KE"),
        ("255", "TZ"),
        ("256", "UG"),
        ("260", "ZM"),
        ("263", "ZW"),
        ("351", "PT"),
        ("353", "IE"),
        ("358", "FI"),
        ("380", "UA"),
        ("420", "CZ"),
        ("502", "GT"),
        ("503", "SV"),
        ("504", "HN"),
        ("506", "CR"),
        ("507", "PA"),
        ("591", "BO"),
        ("593", "EC"),
        ("595", "PY"),
        ("598", "UY"),
        ("852", "HK"),
        ("880", "BD"),
        ("966", "SA"),
        ("971", "AE"),
        ("972", "IL"),
        ("974", "QA"),
    ];
    (1..=3)
        .filter_map(|len| wa_id.get(..len))
        .find_map(|prefix| {
            CODES
                .iter()
                .find(|(code, _)| *code == prefix)
                .map(|(_, iso)| *iso)
        })
        .unwrap_or("ZZ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bsuid_is_the_numbers_country_a_period_and_twenty_digits() {
        let id = business_scoped_user_id("AC1", "16505551234");
        let (country, digits) = id.split_once('.').expect("a period");
        assert_eq!(country, "US");
        assert_eq!(digits.len(), 20);
        assert!(digits.chars().all(|c| c.is_ascii_digit()), "{id}");
        assert!(is_business_scoped_user_id(&id));
        assert!(business_scoped_user_id("AC1", "447700900123").starts_with("GB."));
        assert!(business_scoped_user_id("AC1", "263778177125").starts_with("ZW."));
        assert!(business_scoped_user_id("AC1", "5516992318222").starts_with("BR."));
        assert!(business_scoped_user_id("AC1", "999123").starts_with("ZZ."));
    }

    #[test]
    fn a_bsuid_is_stable_per_tenant_and_user_and_differs_across_them() {
        let id = business_scoped_user_id("AC1", "16505551234");
        assert_eq!(id, business_scoped_user_id("AC1", "16505551234"));
        assert_ne!(id, business_scoped_user_id("AC2", "16505551234"));
        assert_ne!(id, business_scoped_user_id("AC1", "16505551235"));
    }

    #[test]
    fn the_bsuid_shape_is_recognised() {
        for id in [
            "US.13491208655302741918",
            "IN.1648738043044942",
            "BR.ENT.abc123",
        ] {
            assert!(is_business_scoped_user_id(id), "{id}");
        }
        for not in [
            "16505551234",
            "+16505551234",
            "us.123",
            "USA.123",
            "US.",
            "US.12-3",
            "US..1",
            ".123",
        ] {
            assert!(!is_business_scoped_user_id(not), "{not}");
        }
        assert!(!is_business_scoped_user_id(&format!(
            "US.{}",
            "1".repeat(129)
        )));
    }
}
