-- The dashboard's timeline of one message or call reads its events by resource.
CREATE INDEX events_by_resource ON events (account_sid, sid, seq);
