-- WhatsApp Cloud API media: files an app uploaded with `POST /{version}/{phone-number-id}/media`,
-- kept whole in the row (the largest, a document, is 100 MB) until the tenant is reset or
-- deleted. Meta forgets an upload after 30 days; `expires_at` (tenant time, ms) says when, and
-- reads past it answer as if the row were gone.
CREATE TABLE whatsapp_media (
    id          TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES tenants (sid) ON DELETE CASCADE,
    mime_type   TEXT NOT NULL,
    -- Lower-case hex SHA-256 of `content`, as the media GET reports it.
    sha256      TEXT NOT NULL,
    file_size   INTEGER NOT NULL,
    filename    TEXT,
    content     BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX whatsapp_media_by_account ON whatsapp_media (account_sid);
