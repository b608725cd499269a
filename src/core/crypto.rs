//! The house's few cryptographic helpers, written once: HMACs (webhook signatures, signed media
//! URLs) and a comparison of secrets that takes the same time wherever they differ.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

/// HMAC-SHA256 of the concatenated `parts`, keyed with `key`.
pub fn hmac_sha256<'a>(key: &[u8], parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA1 of the concatenated `parts`, keyed with `key`.
pub fn hmac_sha1<'a>(key: &[u8], parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Whether two secrets are equal, in time that depends only on their length: a caller learns
/// nothing from how long a wrong guess took.
pub fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::encode_hex;

    #[test]
    fn hmacs_match_rfc_vectors() {
        // RFC 4231 test case 2; RFC 2202 test case 2.
        assert_eq!(
            encode_hex(&hmac_sha256(
                b"Jefe",
                [&b"what do ya want "[..], b"for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            encode_hex(&hmac_sha1(b"Jefe", [&b"what do ya want for nothing?"[..]])),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secre"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
