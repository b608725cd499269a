-- Tenants: one row per account (the config's default account, subaccounts, test tenants).
CREATE TABLE tenants (
    sid               TEXT PRIMARY KEY,
    auth_token        TEXT NOT NULL,
    friendly_name     TEXT NOT NULL,
    owner_account_sid TEXT,
    status            TEXT NOT NULL,
    rules             TEXT NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE api_keys (
    sid           TEXT PRIMARY KEY,
    account_sid   TEXT NOT NULL REFERENCES tenants (sid) ON DELETE CASCADE,
    secret        TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE phone_numbers (
    sid           TEXT PRIMARY KEY,
    account_sid   TEXT NOT NULL REFERENCES tenants (sid) ON DELETE CASCADE,
    phone_number  TEXT NOT NULL,
    friendly_name TEXT NOT NULL,
    sms_url       TEXT,
    sms_method    TEXT NOT NULL DEFAULT 'POST',
    created_at    INTEGER NOT NULL,
    UNIQUE (account_sid, phone_number)
);

-- Messages. `seq` orders lists (newest first) and is the keyset for paging.
CREATE TABLE messages (
    seq                    INTEGER PRIMARY KEY,
    sid                    TEXT NOT NULL UNIQUE,
    account_sid            TEXT NOT NULL,
    direction              TEXT NOT NULL,
    from_addr              TEXT,
    to_addr                TEXT NOT NULL,
    body                   TEXT NOT NULL,
    media_urls             TEXT NOT NULL DEFAULT '[]',
    status                 TEXT NOT NULL,
    num_segments           INTEGER NOT NULL,
    messaging_service_sid  TEXT,
    error_code             INTEGER,
    error_message          TEXT,
    price                  TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    sent_at                INTEGER,
    status_callback        TEXT,
    status_callback_method TEXT
);
CREATE INDEX messages_by_account ON messages (account_sid, seq);
CREATE INDEX messages_by_to ON messages (account_sid, to_addr, seq);
CREATE INDEX messages_by_from ON messages (account_sid, from_addr, seq);

-- Every webhook attempt, with the app's answer.
CREATE TABLE callback_attempts (
    id              INTEGER PRIMARY KEY,
    account_sid     TEXT NOT NULL,
    resource_sid    TEXT NOT NULL,
    status          TEXT NOT NULL,
    url             TEXT NOT NULL,
    method          TEXT NOT NULL,
    request_body    TEXT NOT NULL,
    attempt         INTEGER NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    error           TEXT,
    latency_ms      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX callback_attempts_by_account ON callback_attempts (account_sid, id);
CREATE INDEX callback_attempts_by_resource ON callback_attempts (resource_sid, id);

-- Pending work (status transitions, webhook deliveries): the durable outbox. A row is deleted
-- in the same transaction that applies its effect, so a restart resumes exactly what is left.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    account_sid  TEXT NOT NULL,
    resource_sid TEXT NOT NULL,
    due_at       INTEGER NOT NULL,
    payload      TEXT NOT NULL
);
CREATE INDEX jobs_by_resource ON jobs (resource_sid);

-- The event log. AUTOINCREMENT so that a sequence number is never reused after a clear.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_sid TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sid         TEXT,
    at          INTEGER NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX events_by_account ON events (account_sid, seq);
