//! Resource identifiers in the providers' formats: a two-letter prefix and 32 lower-case hex
//! digits (`SM…`, `AC…`, `SK…`). Twilio's SDKs check the prefix (Node rejects an account SID
//! that does not start with `AC`) and Twilio's paths check the hex pattern.
//!
//! The first 16 digits count microseconds and only ever grow; the last 16 are random. Like a
//! ULID, a new SID sorts after the previous one, so every index keyed by SID grows at its end
//! instead of touching a random page per insert — which, measured, was a large part of what each
//! commit wrote to disk.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

/// The last time-ordered value handed out.
static LAST: AtomicU64 = AtomicU64::new(0);

/// A fresh SID: `prefix`, 16 hex digits that grow with time, 16 random hex digits.
pub fn sid(prefix: &str) -> String {
    let now = crate::core::time::wall_now().max(0) as u64 * 1000;
    let ordered = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .map_or(now, |last| now.max(last + 1));
    format!("{prefix}{ordered:016x}{}", hex(8))
}

/// `bytes` random bytes as lower-case hex.
pub fn hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    let mut out = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let byte: u8 = rng.random();
        out.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(byte & 0xf), 16).unwrap_or('0'));
    }
    out
}

/// `bytes` as lower-case hex (digests, signatures).
pub fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `count` random decimal digits, the first not zero (Meta's numeric ids).
pub fn digits(count: usize) -> String {
    let mut rng = rand::rng();
    (0..count)
        .map(|i| {
            let low = u32::from(i == 0);
            char::from_digit(rng.random_range(low..10), 10).unwrap_or('1')
        })
        .collect()
}

/// A WhatsApp message id as Meta writes them: `wamid.` and Base64 of a small record holding the
/// user's number, a direction byte and a random upper-case hex key (observed in real ids, not
/// documented: apps must treat ids as opaque, and these decode the same way).
pub fn wamid(user_digits: &str, sent_by_business: bool) -> String {
    use base64::Engine;
    let digits: Vec<u8> = user_digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .take(20)
        .collect();
    let key = hex(if sent_by_business { 9 } else { 10 }).to_ascii_uppercase();
    let mut record = vec![0x1c, 0x18, digits.len() as u8];
    record.extend_from_slice(&digits);
    record.extend_from_slice(&[0x15, 0x02, 0x00]);
    record.push(if sent_by_business { 0x11 } else { 0x12 });
    record.extend_from_slice(&[0x18, key.len() as u8]);
    record.extend_from_slice(key.as_bytes());
    record.push(0x00);
    format!(
        "wamid.{}",
        base64::engine::general_purpose::STANDARD.encode(record)
    )
}

/// An alphanumeric secret. The Go SDK rejects credentials outside `[a-zA-Z0-9]`.
pub fn token() -> String {
    hex(16)
}

/// Whether `value` is `prefix` followed by exactly 32 hex digits (either case).
pub fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == prefix.len() + 32
        && value.starts_with(prefix)
        && value[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_have_prefix_and_32_hex_digits() {
        let value = sid("SM");
        assert!(is_sid(&value, "SM"), "{value}");
        assert!(!is_sid(&value, "MM"));
        assert!(!is_sid("SM123", "SM"));
        assert!(!is_sid(&format!("SM{}", "g".repeat(32)), "SM"));
        assert_ne!(sid("SM"), sid("SM"));
        let (first, second) = (sid("SM"), sid("SM"));
        assert!(first < second, "{first} then {second}");
    }

    #[test]
    fn wamids_look_like_metas() {
        use base64::Engine;
        let id = wamid("16503879439", true);
        let record = base64::engine::general_purpose::STANDARD
            .decode(id.strip_prefix("wamid.").unwrap())
            .unwrap();
        assert_eq!(&record[..3], &[0x1c, 0x18, 11]);
        assert_eq!(&record[3..14], b"16503879439");
        assert_eq!(record[17], 0x11);
        assert_ne!(wamid("1", false), wamid("1", false));
    }
}
