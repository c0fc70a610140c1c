"""Bot flags against the true personas: a person flagged as a bot vanishes from every silver table, and
from the sessions being scored, so a wrong flag must show up somewhere."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from transforms import columns as C

# The persona `truth/personas` gives the generator's scraping accounts.
BOT_PERSONA = "bot"

BOT_FLAG_METRICS = (TC.TRUE_BOTS, TC.FLAGGED_USERS, TC.FLAGGED_BOTS, TC.FLAGGED_NON_BOTS, TC.MISSED_BOTS)


def score_bot_flags(personas: DataFrame, bot_users: DataFrame) -> DataFrame:
    """One row: true bots, users flagged, and how the two agree.

    Args:
        personas: `truth/personas`: USER_ID, PERSONA (one row per user).
        bot_users: silver.bot_users rows with USER_ID (a user may have several rows).

    Returns:
        BOT_FLAG_METRICS: FLAGGED_NON_BOTS counts flagged users whose persona is not a bot (or who are
        unknown to the truth); MISSED_BOTS counts true bots never flagged.
    """
    truth = personas.select(C.USER_ID, (F.col(TC.PERSONA) == F.lit(BOT_PERSONA)).alias(TC.IS_BOT))
    flagged = bot_users.select(C.USER_ID).distinct().select(C.USER_ID, F.lit(True).alias(TC.FLAGGED))
    # Both sides have one row per user, so the full join has one row per user of either.
    users = truth.join(flagged, on=[C.USER_ID], how="full").select(
        C.USER_ID,
        F.coalesce(F.col(TC.IS_BOT), F.lit(False)).alias(TC.IS_BOT),
        F.coalesce(F.col(TC.FLAGGED), F.lit(False)).alias(TC.FLAGGED),
    )
    is_bot, is_flagged = F.col(TC.IS_BOT), F.col(TC.FLAGGED)
    return users.agg(
        F.count_if(is_bot).alias(TC.TRUE_BOTS),
        F.count_if(is_flagged).alias(TC.FLAGGED_USERS),
        F.count_if(is_bot & is_flagged).alias(TC.FLAGGED_BOTS),
        F.count_if(~is_bot & is_flagged).alias(TC.FLAGGED_NON_BOTS),
        F.count_if(is_bot & ~is_flagged).alias(TC.MISSED_BOTS),
    ).select(*BOT_FLAG_METRICS)
