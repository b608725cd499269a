//! Countries' numbering plans: whether an E.164 number has a length its country code allows.
//!
//! The plans are libphonenumber's metadata, as the `phonenumber` crate ships it (0.3.10, whose
//! version suffix `+9.0.33` is the libphonenumber metadata release it embeds, of 17 June 2026;
//! the crate is the maintained Rust port, newest on crates.io in December 2026). Only the
//! *possible* length is checked, never the assigned ranges: the fictional `+1 555 …` numbers
//! tests are written with stay valid, as they do on Twilio, which refuses a number too short or
//! too long for its country (21211 / 21212) but sends to unassigned ranges and lets the carrier
//! fail them later.
//!
//! Numbers the server itself names — the config's lists, a tenant's phone numbers and WhatsApp
//! number, Twilio's magic test numbers — are accepted whatever their length (see
//! [`Core::accepts_number`]): a test that configured a number must be able to use it.

use phonenumber::Type;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};

use super::{Core, magic, tenants::Tenant, text};

/// What a country's numbering plan says of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanCheck {
    /// Its national part has a length the country's numbers have.
    Possible,
    /// Not `+` and digits, at most 15 (E.164's shape).
    NotE164,
    /// No country has this calling code.
    UnknownCountryCode,
    /// Shorter than every number of its country.
    TooShort,
    /// Longer than every number of its country.
    TooLong,
    /// Between its country's shortest and longest, at a length none of its numbers has.
    InvalidLength,
}

/// The ISO country of an E.164 number's calling code (the main country where one is shared:
/// `US` for +1), as Twilio's `FromCountry`/`ToCountry` name it.
pub fn region_of(number: &str) -> Option<String> {
    if !text::is_e164(number) {
        return None;
    }
    let digits = &number[1..];
    (1..=3.min(digits.len() - 1)).find_map(|len| {
        let code: u16 = digits[..len].parse().ok()?;
        let regions = DATABASE.by_code(&code)?;
        let main = regions
            .iter()
            .find(|r| r.is_main_country_for_code())
            .or(regions.first())?;
        Some(main.id().to_owned())
    })
}

/// Check an E.164 number (`+` and digits) against its country's possible lengths.
///
/// Lengths only dialled locally (libphonenumber's "possible local only", e.g. 7-digit US
/// numbers without their area code) are not possible here: an E.164 number is always dialled
/// in full. Where a calling code is shared (+1: the US, Canada and the Caribbean; +44; +7), the
/// main country's lengths decide, as in libphonenumber's `isPossibleNumber`.
pub fn check(number: &str) -> PlanCheck {
    if !text::is_e164(number) {
        return PlanCheck::NotE164;
    }
    let digits = &number[1..];
    // Calling codes are prefix-free (ITU-T E.164), so at most one of 1–3 leading digits is one.
    let Some((region, national)) = (1..=3.min(digits.len() - 1)).find_map(|len| {
        let code: u16 = digits[..len].parse().ok()?;
        let regions = DATABASE.by_code(&code)?;
        let main = regions
            .iter()
            .find(|r| r.is_main_country_for_code())
            .or(regions.first())?;
        Some((*main, &digits[len..]))
    }) else {
        return PlanCheck::UnknownCountryCode;
    };
    let mut lengths = possible_lengths(region);
    lengths.sort_unstable();
    lengths.dedup();
    let length = national.len() as u16;
    match (lengths.first(), lengths.last()) {
        _ if lengths.contains(&length) => PlanCheck::Possible,
        (Some(&shortest), _) if length < shortest => PlanCheck::TooShort,
        (_, Some(&longest)) if length > longest => PlanCheck::TooLong,
        (None, _) => PlanCheck::UnknownCountryCode,
        _ => PlanCheck::InvalidLength,
    }
}

/// A region's possible national lengths: its general description's, or, where the metadata
/// leaves that empty, every number type's together (how libphonenumber's own build fills the
/// general description in).
fn possible_lengths(region: &Metadata) -> Vec<u16> {
    let descriptors = region.descriptors();
    let general = descriptors.general().possible_length();
    if !general.is_empty() {
        return general.to_vec();
    }
    let types: [Option<&Descriptor>; 10] = [
        descriptors.fixed_line(),
        descriptors.mobile(),
        descriptors.toll_free(),
        descriptors.premium_rate(),
        descriptors.shared_cost(),
        descriptors.personal_number(),
        descriptors.voip(),
        descriptors.pager(),
        descriptors.uan(),
        descriptors.voicemail(),
    ];
    types
        .into_iter()
        .flatten()
        .flat_map(|d| d.possible_length().iter().copied())
        .collect()
}

/// What kind of number Twilio would sell this as: its `IncomingPhoneNumbers/Local`, `Mobile`
/// and `TollFree` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Local,
    Mobile,
    TollFree,
}

/// North American toll-free area codes.
const NANP_TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// The kind of a number, from its country's plan: toll-free by a North American toll-free area
/// code or the plan's toll-free ranges, mobile where the plan's mobile ranges hold it (+44 7…,
/// +33 6…; North American numbers are never told apart, so they are local), else local.
pub fn kind(number: &str) -> NumberKind {
    let nanp_toll_free = number
        .strip_prefix("+1")
        .filter(|digits| digits.len() == 10)
        .is_some_and(|digits| NANP_TOLL_FREE.contains(&&digits[..3]));
    if nanp_toll_free {
        return NumberKind::TollFree;
    }
    match phonenumber::parse(None, number).map(|n| n.number_type(&DATABASE)) {
        Ok(Type::TollFree) => NumberKind::TollFree,
        Ok(Type::Mobile) => NumberKind::Mobile,
        _ => NumberKind::Local,
    }
}

impl Core {
    /// Whether `number` (E.164, without any `whatsapp:` channel prefix) may be used with this
    /// tenant: a length its country allows, or a number the server itself names.
    pub fn accepts_number(&self, tenant: &Tenant, number: &str) -> bool {
        check(number) == PlanCheck::Possible || self.names_number(tenant, number)
    }

    /// The numbers a test may have configured, whatever their length: the config's lists, the
    /// tenant's phone numbers and WhatsApp number, Twilio's magic test numbers.
    fn names_number(&self, tenant: &Tenant, number: &str) -> bool {
        let config = &self.config_account;
        let in_config = [
            &config.registered_numbers,
            &config.failure_numbers,
            &config.allowed_from_numbers,
        ]
        .into_iter()
        .flatten()
        .any(|n| n == number);
        let whatsapp = tenant.account().whatsapp.business_number();
        in_config
            || tenant.owns_number(number)
            || number.strip_prefix('+') == Some(whatsapp.as_str())
            || magic::is_magic_number(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fictional_and_real_numbers_have_possible_lengths() {
        for number in [
            "+15551234567",  // the seed's fictional US number
            "+15005550006",  // Twilio's magic valid sender
            "+447700900123", // Ofcom's drama range, GB mobile
            "+4930123456",   // Berlin, a short German fixed line
            "+33612345678",  // France, mobile
            "+918123456789", // India
            "+5511912345678",
            "+80012345678", // international freephone (a non-geographic code)
        ] {
            assert_eq!(check(number), PlanCheck::Possible, "{number}");
        }
    }

    #[test]
    fn kinds_come_from_the_plan() {
        assert_eq!(kind("+18005550100"), NumberKind::TollFree);
        assert_eq!(kind("+14155550100"), NumberKind::Local);
        assert_eq!(kind("+447400123456"), NumberKind::Mobile);
        // Ofcom's drama range is possible but in no mobile range.
        assert_eq!(kind("+447700900123"), NumberKind::Local);
        assert_eq!(kind("+33612345678"), NumberKind::Mobile);
        assert_eq!(kind("+442071838750"), NumberKind::Local);
        assert_eq!(kind("+448001234567"), NumberKind::TollFree);
    }

    #[test]
    fn lengths_outside_the_plan_are_named() {
        assert_eq!(check("+1555123456"), PlanCheck::TooShort);
        assert_eq!(check("+155512345678"), PlanCheck::TooLong);
        // A US number without its area code is only dialled locally.
        assert_eq!(check("+15551234"), PlanCheck::TooShort);
        assert_eq!(check("+3361234567"), PlanCheck::TooShort);
        assert_eq!(check("+336123456789"), PlanCheck::TooLong);
        assert_eq!(check("+999123456789"), PlanCheck::UnknownCountryCode);
        assert_eq!(check("15551234567"), PlanCheck::NotE164);
        assert_eq!(check("+1555abc4567"), PlanCheck::NotE164);
    }
}
