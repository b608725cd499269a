-- The control plane (gRPC): WhatsApp identities of tenants, the rest of a phone number's
-- webhooks, opt-outs, and the idempotency token of webhook attempts (for redelivery).

-- The tenant's WhatsApp Business identity, as JSON; NULL until one is assigned at start.
ALTER TABLE tenants ADD COLUMN whatsapp TEXT;

ALTER TABLE phone_numbers ADD COLUMN sms_fallback_url TEXT;
ALTER TABLE phone_numbers ADD COLUMN sms_fallback_method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE phone_numbers ADD COLUMN voice_url TEXT;
ALTER TABLE phone_numbers ADD COLUMN voice_method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE phone_numbers ADD COLUMN voice_fallback_url TEXT;
ALTER TABLE phone_numbers ADD COLUMN voice_fallback_method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE phone_numbers ADD COLUMN status_callback TEXT;
ALTER TABLE phone_numbers ADD COLUMN status_callback_method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE phone_numbers ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE phone_numbers SET updated_at = created_at;

-- Users who texted STOP to one of a tenant's numbers: sending from `sender` to `recipient`
-- fails with 21610 until the user texts START.
CREATE TABLE opt_outs (
    account_sid TEXT NOT NULL REFERENCES tenants (sid) ON DELETE CASCADE,
    sender      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_sid, sender, recipient)
);

ALTER TABLE callback_attempts ADD COLUMN idempotency_token TEXT NOT NULL DEFAULT '';
