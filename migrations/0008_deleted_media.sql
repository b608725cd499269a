-- A message's deleted media items (Twilio's DELETE …/Messages/{Sid}/Media/{MediaSid}): their
-- positions in media_urls, as a JSON array. The URLs stay, so that the other items keep the
-- SIDs derived from their positions.
ALTER TABLE messages ADD COLUMN deleted_media TEXT NOT NULL DEFAULT '[]';
