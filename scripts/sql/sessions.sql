-- Sessionization of transforms/sessions.py (flag_session_starts, assign_session_ids, summarise_sessions) as
-- DuckDB SQL, for scripts/bench_behaviour.py: the same events give the same sessions, ids and metrics.
--
-- Expects a relation `events` with the silver.events columns (session_id not needed) and two variables:
--   SET VARIABLE gap_minutes = 30;                   -- sessions.gap_minutes
--   SET VARIABLE split_on_channel_change = true;     -- sessions.split_on_channel_change
-- Returns the silver.sessions columns, one row per session.
WITH timeline AS (
    SELECT
        user_id, event_id, event_type, event_time, event_time_local, page_type, item_id,
        category_id, category_l1, category_l2, amount, channel, device,
        lag(event_time) OVER user_events AS prev_time,
        -- The last channel seen before this event: events without one neither start a session nor hide
        -- a switch.
        last_value(channel IGNORE NULLS) OVER (
            user_events ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS prev_channel
    FROM events
    -- event_id breaks ties between events logged in the same microsecond, so the order is total.
    WINDOW user_events AS (PARTITION BY user_id ORDER BY event_time, event_id)
),
flagged AS (
    SELECT
        *,
        prev_time IS NULL
        OR epoch_us(event_time) - epoch_us(prev_time) >= getvariable('gap_minutes') * 60 * 1000000
        OR (
            getvariable('split_on_channel_change')
            AND channel IS NOT NULL AND prev_channel IS NOT NULL AND channel <> prev_channel
        ) AS is_session_start
    FROM timeline
),
numbered AS (
    -- The running count of starts numbers each user's sessions in time order.
    SELECT
        *,
        sum(CAST(is_session_start AS INTEGER)) OVER (
            PARTITION BY user_id ORDER BY event_time, event_id ROWS UNBOUNDED PRECEDING
        ) AS session_number
    FROM flagged
),
summarised AS (
    SELECT
        user_id,
        arg_min(event_id, (event_time, event_id)) AS start_event_id,
        min(event_time) AS session_start,
        max(event_time) AS session_end,
        min(event_time_local) AS first_local_time,
        count(*) AS event_count,
        count_if(event_type = 'page_view') AS page_views,
        count(DISTINCT item_id) AS distinct_items,
        -- Collector events carry catalogue categories, Taobao rows a category id; level-2 names repeat
        -- under different level-1 categories, hence the qualified pair.
        count(DISTINCT coalesce(
            category_id,
            CASE WHEN category_l2 IS NOT NULL THEN concat_ws('/', category_l1, category_l2) END
        )) AS distinct_categories,
        count_if(event_type = 'search') AS searches,
        count_if(event_type = 'add_to_cart') AS cart_adds,
        count_if(event_type = 'order') AS orders,
        round(coalesce(sum(amount) FILTER (WHERE event_type = 'order'), 0.0), 2) AS revenue,
        arg_min(page_type, (event_time, event_id))
            FILTER (WHERE event_type = 'page_view' AND page_type IS NOT NULL) AS entry_page_type,
        arg_min(channel, (event_time, event_id)) FILTER (WHERE channel IS NOT NULL) AS channel,
        arg_min(device, (event_time, event_id)) FILTER (WHERE device IS NOT NULL) AS device
    FROM numbered
    GROUP BY user_id, session_number
)
SELECT
    user_id,
    sha256(concat_ws('|', user_id, start_event_id)) AS session_id,
    session_start,
    session_end,
    -- Whole seconds, as in Spark: floor of the microsecond span.
    CAST(floor((epoch_us(session_end) - epoch_us(session_start)) / 1000000) AS BIGINT) AS duration_seconds,
    event_count,
    page_views,
    distinct_items,
    distinct_categories,
    searches,
    cart_adds,
    orders,
    revenue,
    orders > 0 AS converted,
    entry_page_type,
    channel,
    device,
    CAST(first_local_time AS DATE) AS event_date
FROM summarised
