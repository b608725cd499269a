-- WhatsApp: the Cloud API's view of a message (its type and content, as JSON), which kind of
-- webhook an attempt was (Twilio's signed form, or Meta's signed JSON), and uploaded media.

ALTER TABLE messages ADD COLUMN whatsapp TEXT;
-- The 24-hour customer-service window: a user's latest message to a business number.
CREATE INDEX messages_inbound_by_user ON messages (account_sid, from_addr, to_addr, created_at)
    WHERE direction = 'inbound';

ALTER TABLE callback_attempts ADD COLUMN provider TEXT NOT NULL DEFAULT 'twilio';
