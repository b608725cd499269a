-- What the dashboard filters and counts at any size: a message's channel, indexes for the
-- filters it offers, counts kept as rows change, and a full-text index of bodies.

-- The network a message went over: the Cloud API's messages and Twilio's `whatsapp:`
-- addresses are WhatsApp, media makes an MMS, the rest is SMS.
ALTER TABLE messages ADD COLUMN channel TEXT GENERATED ALWAYS AS (
    CASE
        WHEN whatsapp IS NOT NULL OR to_addr LIKE 'whatsapp:%' OR from_addr LIKE 'whatsapp:%' THEN 'whatsapp'
        WHEN media_urls <> '[]' THEN 'mms'
        ELSE 'sms'
    END
) VIRTUAL;

CREATE INDEX messages_by_status ON messages (account_sid, status, seq);
CREATE INDEX messages_by_direction ON messages (account_sid, direction, seq);
CREATE INDEX messages_by_channel ON messages (account_sid, channel, seq);

-- How many messages each tenant has, by channel and status; kept by the triggers below in the
-- transaction of each change, so the overview reads a few rows instead of counting a table.
CREATE TABLE message_tallies (
    account_sid TEXT NOT NULL,
    channel     TEXT NOT NULL,
    status      TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (account_sid, channel, status)
) WITHOUT ROWID;

INSERT INTO message_tallies (account_sid, channel, status, count)
SELECT account_sid, channel, status, COUNT(*) FROM messages GROUP BY account_sid, channel, status;

CREATE TRIGGER message_tallies_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_tallies (account_sid, channel, status, count)
    VALUES (new.account_sid, new.channel, new.status, 1)
    ON CONFLICT (account_sid, channel, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER message_tallies_update AFTER UPDATE OF status ON messages
WHEN old.status <> new.status BEGIN
    UPDATE message_tallies SET count = count - 1
    WHERE account_sid = old.account_sid AND channel = old.channel AND status = old.status;
    INSERT INTO message_tallies (account_sid, channel, status, count)
    VALUES (new.account_sid, new.channel, new.status, 1)
    ON CONFLICT (account_sid, channel, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER message_tallies_delete AFTER DELETE ON messages BEGIN
    UPDATE message_tallies SET count = count - 1
    WHERE account_sid = old.account_sid AND channel = old.channel AND status = old.status;
END;

-- Calls by status, kept the same way.
CREATE TABLE call_tallies (
    account_sid TEXT NOT NULL,
    status      TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (account_sid, status)
) WITHOUT ROWID;

INSERT INTO call_tallies (account_sid, status, count)
SELECT account_sid, status, COUNT(*) FROM calls GROUP BY account_sid, status;

CREATE TRIGGER call_tallies_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_tallies (account_sid, status, count) VALUES (new.account_sid, new.status, 1)
    ON CONFLICT (account_sid, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER call_tallies_update AFTER UPDATE OF status ON calls
WHEN old.status <> new.status BEGIN
    UPDATE call_tallies SET count = count - 1
    WHERE account_sid = old.account_sid AND status = old.status;
    INSERT INTO call_tallies (account_sid, status, count) VALUES (new.account_sid, new.status, 1)
    ON CONFLICT (account_sid, status) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER call_tallies_delete AFTER DELETE ON calls BEGIN
    UPDATE call_tallies SET count = count - 1
    WHERE account_sid = old.account_sid AND status = old.status;
END;

-- A webhook attempt's request headers, for the dashboard's callbacks (signature, idempotency
-- token, content type, user agent).
ALTER TABLE callback_attempts ADD COLUMN request_headers TEXT NOT NULL DEFAULT '';

-- The attempts the app did not accept (no answer, or not a 2xx), which the dashboard can list
-- alone: few, so a partial index costs the writes nearly nothing.
CREATE INDEX callback_attempts_failed ON callback_attempts (account_sid, id)
    WHERE response_status IS NULL OR response_status NOT BETWEEN 200 AND 299;

-- Message bodies by word (prefixes too), for the dashboard's text search. External content:
-- the index holds no copy of the text, only what finds it. Bodies are indexed when a search
-- comes, not as each message is stored (indexing every body as it arrived cost a third of the
-- API's throughput): a new message only notes its `seq` in `messages_text_pending`, which a
-- search empties into the index first. Once a body is indexed, the triggers keep its entry
-- right when it is redacted or deleted.
CREATE VIRTUAL TABLE messages_text USING fts5 (body, content = 'messages', content_rowid = 'seq');

CREATE TABLE messages_text_pending (seq INTEGER PRIMARY KEY);
INSERT INTO messages_text_pending (seq) SELECT seq FROM messages;

CREATE TRIGGER messages_text_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_text_pending (seq) VALUES (new.seq);
END;

CREATE TRIGGER messages_text_update AFTER UPDATE OF body ON messages
WHEN NOT EXISTS (SELECT 1 FROM messages_text_pending WHERE seq = old.seq) BEGIN
    INSERT INTO messages_text (messages_text, rowid, body) VALUES ('delete', old.seq, old.body);
    INSERT INTO messages_text (rowid, body) VALUES (new.seq, new.body);
END;

CREATE TRIGGER messages_text_delete AFTER DELETE ON messages BEGIN
    -- Not yet indexed: forget it; indexed: take its entry out.
    INSERT INTO messages_text (messages_text, rowid, body)
    SELECT 'delete', old.seq, old.body
    WHERE NOT EXISTS (SELECT 1 FROM messages_text_pending WHERE seq = old.seq);
    DELETE FROM messages_text_pending WHERE seq = old.seq;
END;
