//! Uploaded WhatsApp media: metadata and bytes in one row, fetched without the bytes unless asked.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::StoreError;
use crate::core::media::Media;

const MEDIA_COLUMNS: &str =
    "id, account_sid, mime_type, sha256, file_size, filename, created_at, expires_at";

/// A `whatsapp_media` row selected with [`MEDIA_COLUMNS`].
fn media_from_row(row: &Row<'_>) -> rusqlite::Result<Media> {
    Ok(Media {
        id: row.get(0)?,
        account_sid: row.get(1)?,
        mime_type: row.get(2)?,
        sha256: row.get(3)?,
        file_size: u64::try_from(row.get::<_, i64>(4)?).unwrap_or_default(),
        filename: row.get(5)?,
        created_at: row.get(6)?,
        expires_at: row.get(7)?,
    })
}

/// An uploaded media file's metadata, expired or not (the caller compares with its clock).
pub fn fetch_media(
    conn: &Connection,
    account_sid: &str,
    id: &str,
) -> Result<Option<Media>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEDIA_COLUMNS} FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2"
        ))?
        .query_row(params![id, account_sid], media_from_row)
        .optional()?)
}

/// An uploaded media file's metadata and bytes, expired or not.
pub fn fetch_media_content(
    conn: &Connection,
    account_sid: &str,
    id: &str,
) -> Result<Option<(Media, Vec<u8>)>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MEDIA_COLUMNS}, content FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2"
        ))?
        .query_row(params![id, account_sid], |row| {
            Ok((media_from_row(row)?, row.get(8)?))
        })
        .optional()?)
}
