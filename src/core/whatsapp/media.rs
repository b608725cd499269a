//! WhatsApp Cloud API media: files an app uploads so it can send them by id, and the short-lived
//! URLs it downloads them from.
//!
//! Meta's rules (media page of the Cloud API docs; reference §3): an upload is kept for 30 days,
//! a download URL works for 5 minutes, and each type has a size limit. Both lifetimes run on the
//! tenant's clock, so a test can freeze it and step past them.

use sha2::{Digest, Sha256};

use crate::core::rules::Rejection;
use crate::core::store;
use crate::core::tenants::Tenant;
use crate::core::time::Millis;
use crate::core::{Core, CoreError, crypto, ids};

/// How long Meta keeps an uploaded file: 30 days.
pub const MEDIA_LIFETIME: Millis = 30 * 24 * 60 * 60 * 1000;

/// How long a download URL works: 5 minutes.
pub const URL_LIFETIME: Millis = 5 * 60 * 1000;

/// Meta's tables say "MB" and "KB" without saying which; the binary units are the lenient
/// reading, so a file the real API takes is never refused here.
const KB: u64 = 1024;
const MB: u64 = 1024 * KB;

/// The largest file of any type: a document.
pub const MAX_FILE_SIZE: u64 = 100 * MB;

/// An uploaded file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Numeric, like Meta's media ids.
    pub id: String,
    pub account_sid: String,
    /// As the upload declared it (parameters such as `; codecs=opus` included).
    pub mime_type: String,
    /// Lower-case hex SHA-256 of the bytes, as the media GET reports it.
    pub sha256: String,
    /// Bytes.
    pub file_size: u64,
    /// The name the upload's file part carried, if any.
    pub filename: Option<String>,
    /// Tenant time.
    pub created_at: Millis,
    /// Tenant time; from then on the id is unknown.
    pub expires_at: Millis,
}

/// Every type the upload endpoint takes, in the order Meta's own rejection lists them (the
/// `(#100) Param file must be …` body in fbsamples/whatsapp-api-examples#10), with its limit
/// from Meta's supported-media table (reference §3). Stickers are 100 KB static and 500 KB
/// animated; an upload does not say which it will be, so the larger limit applies.
const ACCEPTED: &[(&str, u64)] = &[
    ("audio/aac", 16 * MB),
    ("audio/mp4", 16 * MB),
    ("audio/mpeg", 16 * MB),
    ("audio/amr", 16 * MB),
    ("audio/ogg", 16 * MB),
    ("audio/opus", 16 * MB),
    ("application/vnd.ms-powerpoint", MAX_FILE_SIZE),
    ("application/msword", MAX_FILE_SIZE),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        MAX_FILE_SIZE,
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        MAX_FILE_SIZE,
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        MAX_FILE_SIZE,
    ),
    ("application/pdf", MAX_FILE_SIZE),
    ("text/plain", MAX_FILE_SIZE),
    ("application/vnd.ms-excel", MAX_FILE_SIZE),
    ("image/jpeg", 5 * MB),
    ("image/png", 5 * MB),
    ("image/webp", 500 * KB),
    ("video/mp4", 16 * MB),
    ("video/3gpp", 16 * MB),
];

/// Meta's code for a failed upload ("Media upload error").
const UPLOAD_ERROR: u32 = 131053;

/// `image/JPEG; x=y` → `image/jpeg`: the part of a MIME type that names it.
fn essence(mime_type: &str) -> String {
    mime_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The size limit of a MIME type, if WhatsApp takes it. Parameters are ignored:
/// Meta's list names `audio/ogg` for Opus voice notes, which apps label `audio/ogg; codecs=opus`.
fn limit_of(mime_type: &str) -> Option<u64> {
    let essence = essence(mime_type);
    ACCEPTED
        .iter()
        .find(|(name, _)| *name == essence)
        .map(|&(_, limit)| limit)
}

/// Whether a file of `mime_type` and `size` bytes may be uploaded, or Meta's refusal.
///
/// An unsupported type is a parameter error (100) whose sentence is Meta's, as captured in
/// fbsamples/whatsapp-api-examples#10 and repeated by apps that log it ("… Received file of type
/// 'application/xml'."). An empty or oversized file is 131053, Meta's "Media upload error";
/// Meta's exact wording for those is not on record, so the details say what is wrong.
fn check_upload(mime_type: &str, size: u64) -> Result<(), Rejection> {
    let Some(limit) = limit_of(mime_type) else {
        let accepted: Vec<&str> = ACCEPTED.iter().map(|(name, _)| *name).collect();
        return Err(Rejection::new(
            400,
            100,
            format!(
                "Param file must be a file with one of the following types: {}. Received file \
                 of type '{}'.",
                accepted.join(", "),
                essence(mime_type)
            ),
        ));
    };
    if size == 0 {
        return Err(Rejection::new(
            400,
            UPLOAD_ERROR,
            "The uploaded file is empty.",
        ));
    }
    if size > limit {
        return Err(Rejection::new(
            400,
            UPLOAD_ERROR,
            format!(
                "The file is too large: {size} bytes. Files of type {} may be at most {} \
                 ({limit} bytes).",
                essence(mime_type),
                human_size(limit)
            ),
        ));
    }
    Ok(())
}

fn human_size(bytes: u64) -> String {
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes / KB)
    }
}

/// What a download URL carries besides the media id: when it stops working (Unix seconds, as
/// Meta's `ext` parameter) and the signature that binds the two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadTicket {
    pub expires: i64,
    pub hash: String,
}

/// The `hash` of a download URL: lower-case hex HMAC-SHA256, keyed with the tenant's app secret,
/// over `{id}:{expires}`. Meta's hash is opaque; this one only has to be unforgeable and
/// checkable without storing anything.
fn url_hash(app_secret: &str, id: &str, expires: i64) -> String {
    let signed = format!("{id}:{expires}");
    ids::encode_hex(&crypto::hmac_sha256(
        app_secret.as_bytes(),
        [signed.as_bytes()],
    ))
}

/// Whether `hash` is [`url_hash`] of the id and expiry, in either case of hex (compared in
/// constant time).
fn url_hash_matches(app_secret: &str, id: &str, expires: i64, hash: &str) -> bool {
    crypto::constant_time_eq(
        url_hash(app_secret, id, expires).as_bytes(),
        hash.to_ascii_lowercase().as_bytes(),
    )
}

impl Core {
    /// Store an uploaded file for `tenant`, if WhatsApp would take its type and size.
    pub async fn upload_media(
        &self,
        tenant: &Tenant,
        mime_type: &str,
        content: Vec<u8>,
        filename: Option<String>,
    ) -> Result<Media, CoreError> {
        check_upload(mime_type, content.len() as u64).map_err(CoreError::Rejected)?;
        let now = tenant.now();
        let media = Media {
            // Meta's media ids are 15 or 16 digits.
            id: ids::digits(16),
            account_sid: tenant.sid(),
            mime_type: mime_type.trim().to_owned(),
            sha256: ids::encode_hex(&Sha256::digest(&content)),
            file_size: content.len() as u64,
            filename: filename.filter(|name| !name.is_empty()),
            created_at: now,
            expires_at: now + MEDIA_LIFETIME,
        };
        self.store
            .write(store::PutMedia {
                media: media.clone(),
                content,
            })
            .await?;
        Ok(media)
    }

    /// A file's metadata; NotFound if the tenant has no such file or it has expired.
    pub async fn media(&self, tenant: &Tenant, id: &str) -> Result<Media, CoreError> {
        let (account_sid, id) = (tenant.sid(), id.to_owned());
        let media = self
            .store
            .read(move |conn| store::fetch_media(conn, &account_sid, &id))
            .await?;
        media
            .filter(|m| is_live(tenant, m))
            .ok_or(CoreError::NotFound)
    }

    /// A file's metadata and bytes; NotFound if the tenant has no such file or it has expired.
    pub async fn media_content(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<(Media, Vec<u8>), CoreError> {
        let (account_sid, id) = (tenant.sid(), id.to_owned());
        let found = self
            .store
            .read(move |conn| store::fetch_media_content(conn, &account_sid, &id))
            .await?;
        found
            .filter(|(media, _)| is_live(tenant, media))
            .ok_or(CoreError::NotFound)
    }

    /// Forget a file; NotFound if the tenant has no such file or it has already expired.
    pub async fn delete_media(&self, tenant: &Tenant, id: &str) -> Result<(), CoreError> {
        let media = self.media(tenant, id).await?;
        self.store
            .write(store::DeleteMedia {
                account_sid: media.account_sid,
                id: media.id,
            })
            .await?;
        Ok(())
    }

    /// A fresh download URL's expiry and signature for `media`, valid for [`URL_LIFETIME`] on
    /// the tenant's clock.
    pub fn download_ticket(&self, tenant: &Tenant, media: &Media) -> DownloadTicket {
        // Rounded down to whole seconds, as `ext` is: the URL works at most 5 minutes.
        let expires = (tenant.now() + URL_LIFETIME).div_euclid(1000);
        DownloadTicket {
            expires,
            hash: url_hash(&tenant.account().whatsapp.app_secret, &media.id, expires),
        }
    }

    /// The file behind a download URL. NotFound when the URL is expired or its hash is not the
    /// tenant's, as well as when the file is gone.
    pub async fn download_media(
        &self,
        tenant: &Tenant,
        id: &str,
        ticket: &DownloadTicket,
    ) -> Result<(Media, Vec<u8>), CoreError> {
        let secret = tenant.account().whatsapp.app_secret;
        if !url_hash_matches(&secret, id, ticket.expires, &ticket.hash)
            || tenant.now() >= ticket.expires.saturating_mul(1000)
        {
            return Err(CoreError::NotFound);
        }
        self.media_content(tenant, id).await
    }
}

/// Whether a stored file has not expired on the tenant's clock. Expired rows stay in the store
/// until the tenant is reset or deleted: reads treat them as gone, which is all Meta shows.
fn is_live(tenant: &Tenant, media: &Media) -> bool {
    tenant.now() < media.expires_at
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::core::whatsapp::tests::test_core;

    #[test]
    fn each_kind_has_metas_limit() {
        let cases = [
            ("image/jpeg", 5 * MB),
            ("image/png", 5 * MB),
            ("audio/ogg; codecs=opus", 16 * MB),
            ("AUDIO/AMR", 16 * MB),
            ("video/3gpp", 16 * MB),
            ("application/pdf", 100 * MB),
            ("text/plain; charset=utf-8", 100 * MB),
            ("image/webp", 500 * KB),
        ];
        for (mime, limit) in cases {
            assert_eq!(limit_of(mime), Some(limit), "{mime}");
            assert_eq!(check_upload(mime, limit), Ok(()), "{mime} at its limit");
            let over = check_upload(mime, limit + 1).expect_err("one byte over");
            assert_eq!((over.http_status, over.code), (400, 131053), "{mime}");
        }
        assert_eq!(
            check_upload("image/jpeg", 5 * MB + 1).unwrap_err().message,
            "The file is too large: 5242881 bytes. Files of type image/jpeg may be at most 5 MB \
             (5242880 bytes)."
        );
        assert!(
            check_upload("image/webp", 600 * KB)
                .unwrap_err()
                .message
                .contains("at most 500 KB")
        );
    }

    #[test]
    fn unsupported_types_get_metas_sentence_and_empty_files_131053() {
        for mime in [
            "application/xml",
            "image/gif",
            "audio/wav",
            "",
            "application/octet-stream",
        ] {
            let refused = check_upload(mime, 10).expect_err(mime);
            assert_eq!((refused.http_status, refused.code), (400, 100), "{mime}");
            assert!(
                refused.message.starts_with(
                    "Param file must be a file with one of the following types: audio/aac, \
                     audio/mp4,"
                ),
                "{}",
                refused.message
            );
        }
        assert!(
            check_upload("Application/XML; x=1", 1)
                .unwrap_err()
                .message
                .ends_with("video/mp4, video/3gpp. Received file of type 'application/xml'.")
        );
        let empty = check_upload("image/png", 0).expect_err("empty");
        assert_eq!(empty.code, 131053);
        assert_eq!(empty.message, "The uploaded file is empty.");
    }

    #[test]
    fn url_hashes_bind_id_expiry_and_secret() {
        let hash = url_hash("secret", "1234567890123456", 1_700_000_000);
        assert_eq!(hash.len(), 64);
        assert!(url_hash_matches(
            "secret",
            "1234567890123456",
            1_700_000_000,
            &hash
        ));
        assert!(url_hash_matches(
            "secret",
            "1234567890123456",
            1_700_000_000,
            &hash.to_ascii_uppercase()
        ));
        assert!(!url_hash_matches(
            "other",
            "1234567890123456",
            1_700_000_000,
            &hash
        ));
        assert!(!url_hash_matches(
            "secret",
            "1234567890123457",
            1_700_000_000,
            &hash
        ));
        assert!(!url_hash_matches(
            "secret",
            "1234567890123456",
            1_700_000_001,
            &hash
        ));
        for bad in ["", "zz", "abc", &hash[..62]] {
            assert!(!url_hash_matches(
                "secret",
                "1234567890123456",
                1_700_000_000,
                bad
            ));
        }
    }

    #[tokio::test]
    async fn uploads_are_kept_30_days_on_the_tenants_clock() {
        let (core, tenant, shutdown) = test_core().await;
        core.freeze_clock(&tenant);
        let bytes = b"\xff\xd8\xff a tiny jpeg".to_vec();
        let media = core
            .upload_media(&tenant, "image/jpeg", bytes.clone(), Some("a.jpg".into()))
            .await
            .expect("uploaded");
        assert_eq!(media.id.len(), 16);
        assert!(media.id.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(media.file_size, bytes.len() as u64);
        assert_eq!(media.sha256, ids::encode_hex(&Sha256::digest(&bytes)));
        assert_eq!(media.expires_at - media.created_at, MEDIA_LIFETIME);
        assert_eq!(core.media(&tenant, &media.id).await.expect("found"), media);
        let (_, content) = core.media_content(&tenant, &media.id).await.expect("found");
        assert_eq!(content, bytes);

        let almost = Duration::from_millis(MEDIA_LIFETIME as u64 - 1);
        core.advance_clock(&tenant, almost).await.expect("frozen");
        assert!(core.media(&tenant, &media.id).await.is_ok());
        core.advance_clock(&tenant, Duration::from_millis(1))
            .await
            .expect("frozen");
        assert!(matches!(
            core.media(&tenant, &media.id).await,
            Err(CoreError::NotFound)
        ));
        assert!(matches!(
            core.delete_media(&tenant, &media.id).await,
            Err(CoreError::NotFound)
        ));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn refused_uploads_store_nothing_and_deletes_are_final() {
        let (core, tenant, shutdown) = test_core().await;
        let refused = core
            .upload_media(&tenant, "image/png", vec![0; 5 * MB as usize + 1], None)
            .await;
        assert!(
            matches!(refused, Err(CoreError::Rejected(ref r)) if r.code == 131053),
            "{refused:?}"
        );
        let account_sid = tenant.sid();
        let stored = core
            .store
            .read(move |conn| store::media_count(conn, &account_sid))
            .await
            .expect("count");
        assert_eq!(stored, 0, "a refused upload leaves no row");
        let media = core
            .upload_media(&tenant, "application/pdf", b"%PDF-1.4".to_vec(), None)
            .await
            .expect("uploaded");
        core.delete_media(&tenant, &media.id)
            .await
            .expect("deleted");
        assert!(matches!(
            core.media(&tenant, &media.id).await,
            Err(CoreError::NotFound)
        ));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn download_tickets_last_five_minutes_and_need_the_right_hash() {
        let (core, tenant, shutdown) = test_core().await;
        core.freeze_clock(&tenant);
        let media = core
            .upload_media(&tenant, "text/plain", b"hello".to_vec(), None)
            .await
            .expect("uploaded");
        let ticket = core.download_ticket(&tenant, &media);
        let (_, bytes) = core
            .download_media(&tenant, &media.id, &ticket)
            .await
            .expect("downloads");
        assert_eq!(bytes, b"hello");

        let forged = DownloadTicket {
            expires: ticket.expires + 3600,
            hash: ticket.hash.clone(),
        };
        assert!(matches!(
            core.download_media(&tenant, &media.id, &forged).await,
            Err(CoreError::NotFound)
        ));

        core.advance_clock(&tenant, Duration::from_millis(URL_LIFETIME as u64))
            .await
            .expect("frozen");
        assert!(matches!(
            core.download_media(&tenant, &media.id, &ticket).await,
            Err(CoreError::NotFound)
        ));
        let fresh = core.download_ticket(&tenant, &media);
        assert!(
            core.download_media(&tenant, &media.id, &fresh)
                .await
                .is_ok()
        );
        shutdown.cancel();
    }
}
