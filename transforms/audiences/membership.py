"""Audience membership over a tag snapshot: the wide profile of a date, members, sizes and overlaps."""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from shop_platform.catalogs import Tag, TagCatalog
from transforms import columns as C

_TYPED_VALUE = {"boolean": C.VALUE_BOOL, "number": C.VALUE_NUM, "list": C.VALUE_LIST, "enum": C.VALUE}


def profile_from_snapshot(snapshot: DataFrame, catalog: TagCatalog) -> DataFrame:
    """The wide profile (USER_ID, a typed column per tag, SNAPSHOT_DATE) of long tag snapshot rows (tags_as_of),
    so an audience of any past date sees exactly that date's tags."""

    def typed(tag: Tag) -> Column:
        value = F.when(F.col(C.TAG_ID) == tag.id, F.col(_TYPED_VALUE[tag.value_type]))
        return F.first(value, ignorenulls=True).alias(tag.id)

    return snapshot.groupBy(C.USER_ID, C.SNAPSHOT_DATE).agg(*[typed(tag) for tag in catalog.tags])


def audience_members(profile: DataFrame, rules: Mapping[str, Column]) -> DataFrame:
    """AUDIENCE_ID, USER_ID, SNAPSHOT_DATE: one row per audience a user of the profile belongs to.

    Args:
        profile: A wide profile (USER_ID, tag columns, SNAPSHOT_DATE).
        rules: Audience id -> its compiled membership column (`compile_audience`).
    """
    memberships = F.array(*[F.when(rule, F.lit(audience_id)) for audience_id, rule in rules.items()])
    return profile.select(
        F.explode(F.filter(memberships, lambda a: a.isNotNull())).alias(C.AUDIENCE_ID),
        C.USER_ID,
        C.SNAPSHOT_DATE,
    )


def audience_sizes(members: DataFrame, audience_ids: list[str]) -> DataFrame:
    """AUDIENCE_ID, USERS, SNAPSHOT_DATE for every audience, 0 for an empty one."""
    snapshot = members.select(C.SNAPSHOT_DATE).distinct()
    every = members.sparkSession.createDataFrame([(a,) for a in audience_ids], f"{C.AUDIENCE_ID} string")
    counts = members.groupBy(C.AUDIENCE_ID, C.SNAPSHOT_DATE).agg(F.count(F.lit(1)).alias(C.USERS))
    return (
        every.crossJoin(snapshot)
        .join(counts, on=[C.AUDIENCE_ID, C.SNAPSHOT_DATE], how="left")
        .select(C.AUDIENCE_ID, F.coalesce(F.col(C.USERS), F.lit(0)).alias(C.USERS), C.SNAPSHOT_DATE)
    )


def audience_overlap(members: DataFrame) -> DataFrame:
    """AUDIENCE_ID, OTHER_AUDIENCE_ID, USERS (in both), SNAPSHOT_DATE for every pair of audiences sharing
    users, both orders and the diagonal (an audience with itself: its size)."""
    a = members.alias("a")
    b = members.alias("b")
    return (
        a.join(b, on=[C.USER_ID, C.SNAPSHOT_DATE])
        .groupBy(
            F.col(f"a.{C.AUDIENCE_ID}").alias(C.AUDIENCE_ID),
            F.col(f"b.{C.AUDIENCE_ID}").alias(C.OTHER_AUDIENCE_ID),
            C.SNAPSHOT_DATE,
        )
        .agg(F.count(F.lit(1)).alias(C.USERS))
        .select(C.AUDIENCE_ID, C.OTHER_AUDIENCE_ID, C.USERS, C.SNAPSHOT_DATE)
    )
