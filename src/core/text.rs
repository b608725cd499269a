//! Text facts: how many SMS segments a body costs, phone-number shapes, callback URLs.

/// GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table (an escape septet plus one: two septets each).
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{000C}";

/// Number of SMS segments Twilio bills for `body`: GSM-7 when every character is in the GSM
/// alphabet (160 septets in one part, 153 per part when concatenated), otherwise UCS-2 counted in
/// UTF-16 code units (70, or 67 per part), so an emoji costs two units.
pub fn segments(body: &str) -> u32 {
    if let Some(septets) = gsm7_septets(body) {
        parts(septets, 160, 153)
    } else {
        parts(body.encode_utf16().count(), 70, 67)
    }
}

fn gsm7_septets(body: &str) -> Option<usize> {
    body.chars().try_fold(0usize, |count, c| {
        if GSM7_BASIC.contains(c) {
            Some(count + 1)
        } else if GSM7_EXTENDED.contains(c) {
            Some(count + 2)
        } else {
            None
        }
    })
}

fn parts(units: usize, single: usize, per_part: usize) -> u32 {
    if units <= single {
        1
    } else {
        units.div_ceil(per_part) as u32
    }
}

/// The media type of a file by its URL's extension. Twilio reads the type from the fetched file
/// (or the carrier's report); mockingbird fetches nothing, so it goes by the name.
pub fn media_type_of_url(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        Some("ogg") => "audio/ogg",
        Some("pdf") => "application/pdf",
        Some("vcf") => "text/vcard",
        _ => "application/octet-stream",
    }
}

/// An absolute http(s) URL with a host: what a webhook or callback can be sent to.
pub fn is_http_url(url: &str) -> bool {
    url::Url::parse(url)
        .map(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
        .unwrap_or(false)
}

/// E.164: `+`, a non-zero digit, at most 15 digits in all. Deliberately lenient beyond that:
/// the seed used libphonenumber, which rejected its own fictional 555 numbers.
pub fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A valid Twilio sender: E.164, a short code (3–8 digits) or an alphanumeric sender ID
/// (1–11 characters, letters, digits and spaces, at least one letter).
pub fn is_valid_sender(value: &str) -> bool {
    if is_e164(value) {
        return true;
    }
    let short_code = (3..=8).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    let alphanumeric = (1..=11).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && value.bytes().any(|b| b.is_ascii_alphabetic());
    short_code || alphanumeric
}

/// A channel address as Twilio accepts it: a bare number or `whatsapp:`/`messenger:`… prefixed.
pub fn split_channel(address: &str) -> (Option<&str>, &str) {
    match address.split_once(':') {
        Some((channel, rest)) if !channel.starts_with('+') => (Some(channel), rest),
        _ => (None, address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_go_by_the_urls_extension() {
        assert_eq!(
            media_type_of_url("https://x.test/voice.OGG?sig=1"),
            "audio/ogg"
        );
        assert_eq!(
            media_type_of_url("https://x.test/sticker.webp"),
            "image/webp"
        );
        assert_eq!(
            media_type_of_url("https://x.test/file"),
            "application/octet-stream"
        );
    }

    #[test]
    fn gsm7_bodies_use_160_and_153() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
        // é and £ are in the GSM alphabet; the seed wrongly counted them as UCS-2.
        assert_eq!(segments(&"é".repeat(160)), 1);
        // Extension characters cost two septets.
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn ucs2_bodies_count_utf16_units() {
        assert_eq!(segments(&"ж".repeat(70)), 1);
        assert_eq!(segments(&"ж".repeat(71)), 2);
        // 35 emoji are 70 UTF-16 units; 36 are 72.
        assert_eq!(segments(&"😀".repeat(35)), 1);
        assert_eq!(segments(&"😀".repeat(36)), 2);
    }

    #[test]
    fn phone_shapes() {
        assert!(is_e164("+15551234567"));
        assert!(!is_e164("15551234567"));
        assert!(!is_e164("+1555abc"));
        assert!(!is_e164("+0123"));
        assert!(is_valid_sender("MyBrand"));
        assert!(is_valid_sender("12345"));
        assert!(!is_valid_sender("abc\\"));
        assert_eq!(split_channel("whatsapp:+1555"), (Some("whatsapp"), "+1555"));
        assert_eq!(split_channel("+1555"), (None, "+1555"));
    }
}
