-- Events that reach the edges of the sessionization rules, for the boundary check of
-- scripts/bench_behaviour.py. The generated sessions are minutes long and hours apart, each through one
-- channel, so they never test the rules' edges; this reshapes a sample of users' events:
--   * times stretched 20-fold from the first event and cut to the minute: gaps of exactly
--     gap_minutes, and ties in time that only event_id orders;
--   * every 7th event's channel removed and every 11th's switched to 'ads'.
-- Expects relations `events` (silver.events columns) and `sample` (user_id).
SELECT * REPLACE (
    to_timestamp(floor((epoch(event_time) - (SELECT min(epoch(event_time)) FROM events)) * 20 / 60) * 60)
        AS event_time,
    CASE WHEN hash(event_id) % 7 = 0 THEN NULL WHEN hash(event_id) % 11 = 0 THEN 'ads' ELSE channel END
        AS channel
)
FROM events SEMI JOIN sample USING (user_id)
