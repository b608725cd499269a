//! Resource identifiers in the providers' formats: a two-letter prefix and 32 lower-case hex
//! digits (`SM…`, `AC…`, `SK…`). Twilio's SDKs check the prefix (Node rejects an account SID
//! that does not start with `AC`) and Twilio's paths check the hex pattern.

use rand::Rng;

/// A fresh SID: `prefix` followed by 32 random lower-case hex digits.
pub fn sid(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 32);
    out.push_str(prefix);
    out.push_str(&hex(16));
    out
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
    }
}
