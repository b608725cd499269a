-- Calls. `seq` orders lists (newest first) and is the keyset for paging; the columns beside
-- the JSON are the ones lists filter on. `session` is where the call's TwiML stands (see
-- core::voice::Session).
CREATE TABLE calls (
    seq             INTEGER PRIMARY KEY,
    sid             TEXT NOT NULL UNIQUE,
    account_sid     TEXT NOT NULL,
    parent_call_sid TEXT,
    status          TEXT NOT NULL,
    from_addr       TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    start_time      INTEGER,
    end_time        INTEGER,
    call            TEXT NOT NULL,
    session         TEXT NOT NULL
);
CREATE INDEX calls_by_account ON calls (account_sid, seq);
CREATE INDEX calls_by_parent ON calls (account_sid, parent_call_sid, seq);

-- Recordings of calls (`<Record>`, `Record=true`, `<Dial record>`).
CREATE TABLE recordings (
    seq         INTEGER PRIMARY KEY,
    sid         TEXT NOT NULL UNIQUE,
    account_sid TEXT NOT NULL,
    call_sid    TEXT NOT NULL,
    recording   TEXT NOT NULL
);
CREATE INDEX recordings_by_account ON recordings (account_sid, seq);
CREATE INDEX recordings_by_call ON recordings (account_sid, call_sid, seq);
