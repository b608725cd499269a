//! The Cloud API users a tenant's business has met: BSUID, username, whether the phone is hidden.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::{StoreError, WriteOp};
use crate::core::events::Event;
use crate::core::time::Millis;
use crate::core::whatsapp::WhatsAppUser;

const USER_COLUMNS: &str = "wa_id, user_id, username, phone_hidden";

fn user_from_row(row: &Row<'_>) -> rusqlite::Result<WhatsAppUser> {
    Ok(WhatsAppUser {
        wa_id: row.get(0)?,
        user_id: row.get(1)?,
        username: row.get(2)?,
        phone_hidden: row.get(3)?,
    })
}

/// How a user is looked up: by BSUID or by phone number (digits).
#[derive(Debug, Clone, Copy)]
pub enum WhatsAppUserKey<'a> {
    UserId(&'a str),
    WaId(&'a str),
}

/// The user the key names, if the tenant has met them.
pub fn whatsapp_user(
    conn: &Connection,
    account_sid: &str,
    key: WhatsAppUserKey<'_>,
) -> Result<Option<WhatsAppUser>, StoreError> {
    let (column, value) = match key {
        WhatsAppUserKey::UserId(id) => ("user_id", id),
        WhatsAppUserKey::WaId(wa_id) => ("wa_id", wa_id),
    };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS} FROM whatsapp_users WHERE account_sid = ?1 AND {column} = ?2"
        ))?
        .query_row(params![account_sid, value], user_from_row)
        .optional()?)
}

// ---------------------------------------------------------------------------------------------
// Writes.

/// Remember a user. `replace` says the user is as given now (their own message states their
/// username and privacy); otherwise a user already known is kept as they are (a business
/// writing to a phone number learns nothing about the user's settings).
#[derive(Debug, Clone)]
pub struct RememberWhatsAppUser {
    pub account_sid: String,
    pub user: WhatsAppUser,
    pub replace: bool,
    pub at: Millis,
}

impl WriteOp for RememberWhatsAppUser {
    type Output = ();

    fn apply(
        &self,
        tx: &Transaction<'_>,
        _published: &mut Vec<Arc<Event>>,
    ) -> Result<(), StoreError> {
        let sql = if self.replace {
            "INSERT INTO whatsapp_users (account_sid, wa_id, user_id, username, phone_hidden, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_sid, wa_id) DO UPDATE SET
               user_id = excluded.user_id, username = excluded.username,
               phone_hidden = excluded.phone_hidden, updated_at = excluded.updated_at"
        } else {
            "INSERT INTO whatsapp_users (account_sid, wa_id, user_id, username, phone_hidden, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_sid, wa_id) DO NOTHING"
        };
        let user = &self.user;
        tx.prepare_cached(sql)?.execute(params![
            self.account_sid,
            user.wa_id,
            user.user_id,
            user.username,
            user.phone_hidden,
            self.at
        ])?;
        Ok(())
    }
}
