//! Uploaded WhatsApp media: metadata and bytes in one row, fetched without the bytes unless asked.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{StoreError, WriteOp, removed};
use crate::core::events::Event;
use crate::core::whatsapp::media::Media;

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

/// How many media files a tenant has stored, expired or not.
pub fn media_count(conn: &Connection, account_sid: &str) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM whatsapp_media WHERE account_sid = ?1")?
        .query_row(params![account_sid], |row| row.get(0))?)
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Store an uploaded WhatsApp media file with its metadata.
#[derive(Debug, Clone)]
pub struct PutMedia {
    pub media: Media,
    pub content: Vec<u8>,
}

impl WriteOp for PutMedia {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let PutMedia { media, content } = self;
        tx.prepare_cached(
            "INSERT INTO whatsapp_media (id, account_sid, mime_type, sha256, file_size, filename,
               content, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            media.id,
            media.account_sid,
            media.mime_type,
            media.sha256,
            // Sizes are at most 100 MB; SQLite integers are i64.
            i64::try_from(media.file_size).unwrap_or(i64::MAX),
            media.filename,
            content,
            media.created_at,
            media.expires_at,
        ])?;
        Ok(())
    }
}

/// Forget an uploaded media file; answers whether it existed.
#[derive(Debug, Clone)]
pub struct DeleteMedia {
    pub account_sid: String,
    pub id: String,
}

impl WriteOp for DeleteMedia {
    type Output = bool;

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<bool, StoreError> {
        let DeleteMedia { account_sid, id } = self;
        removed(
            tx,
            "DELETE FROM whatsapp_media WHERE id = ?1 AND account_sid = ?2",
            params![id, account_sid],
        )
    }
}
