-- API keys can be renamed through Twilio's Keys resource, which reports date_updated.
ALTER TABLE api_keys ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE api_keys SET updated_at = created_at;
