-- The Cloud API users a tenant's business has met: each one's business-scoped user id (BSUID,
-- derived from the tenant and the phone number, so the same on every run), and what the user
-- chose to show: a username, and whether the phone number is hidden from the business. A send
-- addressed to a BSUID finds its user here; a user is remembered when they write or are
-- written to by phone number.
CREATE TABLE whatsapp_users (
    account_sid  TEXT NOT NULL REFERENCES tenants (sid) ON DELETE CASCADE,
    -- Digits, as `wa_id` carries them.
    wa_id        TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    username     TEXT,
    phone_hidden INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account_sid, wa_id)
);
CREATE UNIQUE INDEX whatsapp_users_by_user_id ON whatsapp_users (account_sid, user_id);
