-- A pending webhook delivery now stores what happened (its notice: a status change, a user's
-- message) instead of the provider's request already encoded; the webhook sender encodes it
-- when it sends. Deliveries stored in the old shape cannot be read any more, so they go. The
-- lifecycle steps that scheduled them stay, and report their own changes as before.
DELETE FROM jobs
 WHERE json_extract(payload, '$.type') = 'deliver'
   AND json_extract(payload, '$.notice') IS NULL;
