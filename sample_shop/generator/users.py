"""Users: a registration profile (with PII downstream pseudonymizes), a hidden persona and planted churn."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator import ids
from sample_shop.generator.catalog import CATEGORIES
from sample_shop.generator.cities import CITIES
from sample_shop.generator.codegen import split_codegen
from sample_shop.generator.literals import nth
from sample_shop.generator.personas import (
    PERSONA_NAMES,
    PERSONAS,
    by_persona,
    category_weights,
    persona_choice,
)
from sample_shop.generator.random import choice, geometric, lognormal, normal, uniform
from transforms import columns as C
from transforms.vocabulary import DEVICES

# Share of users who register during the generated period (they have no events before that day).
NEW_USER_SHARE = 0.12
# Older users registered up to this many days before the period.
REGISTERED_WITHIN_DAYS = 3 * 365
# A continued lake's churn is drawn up to this many days after the period: later dates never come.
LATER_CHURN_MAX_DAYS = 100 * 365
PHONE_PREFIXES = ("135", "136", "138", "139", "150", "151", "158", "186", "187", "188")
SURNAMES = ("li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu")
GIVEN_NAMES = ("wei", "fang", "na", "min", "jing", "lei", "yang", "jun", "hua", "ting")
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com")
REGISTRATION_CHANNELS = ("app_store", "android_market", "mini_program", "web", "referral")

USER_COLUMNS = (
    C.USER_IDX,
    C.USER_ID,
    TC.PERSONA,
    C.GENDER,
    C.BIRTH_YEAR,
    C.CITY,
    C.CITY_TIER,
    C.PROVINCE,
    C.REGISTRATION_DATE,
    C.REGISTRATION_CHANNEL,
    C.DEVICE_PREFERENCE,
    C.PHONE,
    C.EMAIL,
    TC.ACTIVITY,
    TC.PROPENSITY,
    TC.FAVOURITE_CATEGORY,
    TC.CHURN_DATE,
)


def _pick(values: tuple[object, ...], u: Column) -> Column:
    """One of `values`, equally likely, for a uniform `u`."""
    return nth(values, F.floor(u * len(values)))


def generate_users(
    base: DataFrame, seed: int, start_date: dt.date, days: int, churn_share: float
) -> DataFrame:
    """Regular users, one per row of `base`.

    Args:
        base: `spark.range(n)`; column `id` is the user index.
        seed: Generator seed.
        start_date: First day of the generated period.
        days: Length of the period.
        churn_share: Share of users outside the churning persona who also churn.

    Returns:
        USER_COLUMNS: the raw profile plus hidden persona, activity and order propensity multipliers,
        favourite category index and churn date (null when the user does not churn in the period).
    """
    shares = [p.share for p in PERSONAS]
    return (
        base.withColumn(C.USER_IDX, F.col(TC.RANGE_ID))
        .withColumn(TC.PERSONA, choice(uniform(seed, "persona", C.USER_IDX), PERSONA_NAMES, shares))
        .transform(with_profile, seed=seed, start_date=start_date, days=days, new_user_share=NEW_USER_SHARE)
        # Keeps the generated code of each half small enough for the JIT (see `codegen`).
        .transform(split_codegen)
        .transform(with_habits, seed=seed)
        .transform(with_churn, seed=seed, start_date=start_date, days=days, churn_share=churn_share)
        .select(*USER_COLUMNS)
    )


def with_profile(
    users: DataFrame, seed: int, start_date: dt.date, days: int, new_user_share: float
) -> DataFrame:
    """Add the registration profile (USER_ID ... EMAIL) to rows with USER_IDX; bots get one too."""
    idx = C.USER_IDX
    age = F.least(
        F.greatest(F.round(F.lit(33.0) + F.lit(10.0) * normal(seed, "age", idx)), F.lit(16)), F.lit(70)
    )
    is_new = uniform(seed, "new_user", idx) < F.lit(new_user_share)
    registration_day = uniform(seed, "registration_day", idx)
    registered = F.when(
        is_new, F.date_add(F.lit(start_date), F.floor(registration_day * days).cast("int"))
    ).otherwise(
        F.date_sub(
            F.lit(start_date), (F.lit(1) + F.floor(registration_day * REGISTERED_WITHIN_DAYS)).cast("int")
        )
    )
    email = F.concat(
        _pick(SURNAMES, uniform(seed, "surname", idx)),
        _pick(GIVEN_NAMES, uniform(seed, "given_name", idx)),
        F.lit("_"),
        ids.permuted_digits(F.col(idx), 7, salt=seed % 9_999_991),
        F.lit("@"),
        _pick(EMAIL_DOMAINS, uniform(seed, "email_domain", idx)),
    )
    city = choice(uniform(seed, "city", idx), list(range(len(CITIES))), [c[3] for c in CITIES])
    phone = F.concat(
        _pick(PHONE_PREFIXES, uniform(seed, "phone_prefix", idx)),
        ids.permuted_digits(F.col(idx), 8, salt=seed % 99_999_989),
    )
    return users.select(
        "*",
        ids.user_id(F.col(idx)).alias(C.USER_ID),
        choice(uniform(seed, "gender", idx), ["female", "male", "unknown"], [0.52, 0.46, 0.02]).alias(
            C.GENDER
        ),
        (F.lit(start_date.year) - age).cast("int").alias(C.BIRTH_YEAR),
        nth([c[0] for c in CITIES], city).alias(C.CITY),
        nth([c[2] for c in CITIES], city).alias(C.CITY_TIER),
        nth([c[1] for c in CITIES], city).alias(C.PROVINCE),
        registered.alias(C.REGISTRATION_DATE),
        choice(
            uniform(seed, "registration_channel", idx), REGISTRATION_CHANNELS, [0.3, 0.3, 0.2, 0.1, 0.1]
        ).alias(C.REGISTRATION_CHANNEL),
        choice(uniform(seed, "device_preference", idx), DEVICES, [35, 40, 10, 15]).alias(C.DEVICE_PREFERENCE),
        phone.alias(C.PHONE),
        email.alias(C.EMAIL),
    )


def with_habits(users: DataFrame, seed: int) -> DataFrame:
    """Add per-user multipliers (mean 1) on activity and order propensity, and a favourite category."""
    sigma = 0.5
    favourite = persona_choice(
        uniform(seed, "favourite_category", C.USER_IDX), list(range(len(CATEGORIES))), category_weights
    )
    # mu = -sigma**2/2 makes the lognormal's mean 1, so personas keep their average rates.
    return users.select(
        "*",
        lognormal(seed, "activity", -sigma * sigma / 2, sigma, C.USER_IDX).alias(TC.ACTIVITY),
        lognormal(seed, "propensity", -sigma * sigma / 2, sigma, C.USER_IDX).alias(TC.PROPENSITY),
        favourite.cast("int").alias(TC.FAVOURITE_CATEGORY),
    )


def with_churn(users: DataFrame, seed: int, start_date: dt.date, days: int, churn_share: float) -> DataFrame:
    """Add CHURN_DATE: the first day with no more events, for the churning persona and `churn_share` of others.

    The date falls between a quarter and 85% into the period and at least two days after registration;
    a user whose date would fall after the period does not churn in it.
    """
    always = by_persona(lambda p: p.always_churns)
    churns = always | (uniform(seed, "churns", C.USER_IDX) < F.lit(churn_share))
    registered_day = F.datediff(F.col(C.REGISTRATION_DATE), F.lit(start_date))
    churn_day = F.greatest(
        F.floor(F.lit(days) * (F.lit(0.25) + F.lit(0.6) * uniform(seed, "churn_day", C.USER_IDX))).cast(
            "int"
        ),
        registered_day + F.lit(2),
    )
    churn_date = F.when(churns & (churn_day < F.lit(days)), F.date_add(F.lit(start_date), churn_day))
    return users.select("*", churn_date.alias(TC.CHURN_DATE))


def later_users_per_day(users: int, days: int) -> int:
    """Users registering on each day after the period: the period's pace, NEW_USER_SHARE of `users` in `days`."""
    return round(NEW_USER_SHARE * users / days)


def later_users(
    base: DataFrame, seed: int, first_idx: int, start_date: dt.date, days: int, per_day: int
) -> DataFrame:
    """Users who register after the period, `per_day` a day, for a lake continued past it.

    Row k of `base` (`spark.range(n)`) is user index first_idx + k and registers on day index
    days + k // per_day; persona, profile and habits are drawn per index as for the period's users.

    Returns:
        USER_COLUMNS, CHURN_DATE null (`with_later_churn` draws it).
    """
    registered = F.date_add(
        F.lit(start_date), (F.lit(days) + F.floor(F.col(TC.RANGE_ID) / F.lit(per_day))).cast("int")
    )
    return (
        base.withColumn(C.USER_IDX, F.col(TC.RANGE_ID) + F.lit(first_idx))
        .withColumn(
            TC.PERSONA,
            choice(uniform(seed, "persona", C.USER_IDX), PERSONA_NAMES, [p.share for p in PERSONAS]),
        )
        .transform(with_profile, seed=seed, start_date=start_date, days=days, new_user_share=0.0)
        .withColumn(C.REGISTRATION_DATE, registered)
        .transform(split_codegen)
        .transform(with_habits, seed=seed)
        .withColumn(TC.CHURN_DATE, F.lit(None).cast("date"))
        .select(*USER_COLUMNS)
    )


def with_later_churn(
    users: DataFrame, seed: int, start_date: dt.date, days: int, mean_days: float
) -> DataFrame:
    """Churn after the period, for a lake continued past it: a user who has not churned by the period's
    end churns a geometric number of days (mean `mean_days`) after it, or after two days from
    registering when that is later. Churn inside the period is kept as it was.

    Expects USER_COLUMNS; returns them with CHURN_DATE filled for every user.
    """
    first_day = F.greatest(F.lit(days), F.datediff(F.col(C.REGISTRATION_DATE), F.lit(start_date)) + F.lit(2))
    after = F.least(
        geometric(uniform(seed, "later_churn", C.USER_IDX), mean_days), F.lit(LATER_CHURN_MAX_DAYS)
    )
    later = F.date_add(F.lit(start_date), (first_day + after).cast("int"))
    return users.withColumn(TC.CHURN_DATE, F.coalesce(F.col(TC.CHURN_DATE), later))


def raw_users(users: DataFrame) -> DataFrame:
    """The registration export `raw/users/`: RAW_USERS_SCHEMA columns only (no persona, no churn)."""
    return users.select(
        C.USER_ID,
        C.GENDER,
        C.BIRTH_YEAR,
        C.CITY,
        C.CITY_TIER,
        C.PROVINCE,
        C.REGISTRATION_DATE,
        C.REGISTRATION_CHANNEL,
        C.DEVICE_PREFERENCE,
        C.PHONE,
        C.EMAIL,
    )
