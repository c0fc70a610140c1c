"""From orders to the customer summaries the value models read, as of each snapshot date.

A purchase is a paid order's day: the papers and `lifetimes` count a customer's transactions on one day as
one, and so does this. As of date D, an order counts when it was placed on or before D and paid on or before
D; its value is what was paid, less a refund made on or before D. Nothing after D is read, so a summary of D
is the same whenever it is computed.

A customer's summary as of D (time in units of `unit_days`): FREQUENCY x, the purchase days after the first;
RECENCY t_x, from the first purchase day to the last; CUSTOMER_AGE T, from the first purchase day to D; and
MEAN_REPEAT_VALUE, the mean value of the x repeat days (null for x = 0), as Gamma-Gamma is fitted: the first
purchase is left out of the value too; and FIRST_PURCHASE_VALUE, the first day's value, which values a
customer without repeat purchases (transforms.value.gamma_gamma.expected_value).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from transforms import columns as C


def _local_date(instant: str, timezone: str) -> Column:
    # As ORDER_DATE is: the shop's calendar day of the instant, whatever zone the session uses.
    return F.to_date(F.convert_timezone(None, F.lit(timezone), F.col(instant)))


def order_values(orders: DataFrame, timezone: str) -> DataFrame:
    """The paid orders of known users with the shop-local days their payment and refund became known.

    Args:
        orders: silver.orders (USER_ID, ORDER_DATE, PAID_TIME, PAID_AMOUNT, REFUND_TIME, REFUND_AMOUNT).
        timezone: The shop's IANA zone (`app.timezone`), the zone of ORDER_DATE.

    Returns:
        USER_ID, ORDER_DATE, PAID_DATE, PAID_AMOUNT, REFUND_DATE, REFUND_AMOUNT (0 without a refund).
    """
    return orders.where(F.col(C.PAID_TIME).isNotNull() & F.col(C.USER_ID).isNotNull()).select(
        C.USER_ID,
        C.ORDER_DATE,
        _local_date(C.PAID_TIME, timezone).alias(C.PAID_DATE),
        F.coalesce(F.col(C.PAID_AMOUNT), F.lit(0.0)).alias(C.PAID_AMOUNT),
        _local_date(C.REFUND_TIME, timezone).alias(C.REFUND_DATE),
        F.coalesce(F.col(C.REFUND_AMOUNT), F.lit(0.0)).alias(C.REFUND_AMOUNT),
    )


def purchase_days(values: DataFrame, dates: Sequence[dt.date]) -> DataFrame:
    """Each customer's purchase days as known on each of `dates`, with the day's net value.

    Args:
        values: `order_values` rows (or any USER_ID, ORDER_DATE, PAID_DATE, PAID_AMOUNT, REFUND_DATE,
            REFUND_AMOUNT rows, e.g. a public transaction log with PAID_DATE = ORDER_DATE).
        dates: The snapshot dates (a handful: the dates of one run).

    Returns:
        SNAPSHOT_DATE, USER_ID, ORDER_DATE, VALUE: one row per snapshot date, customer and purchase day.
    """
    spark = values.sparkSession
    snapshots = spark.createDataFrame(
        [(d,) for d in sorted(set(dates))], T.StructType([T.StructField(C.SNAPSHOT_DATE, T.DateType())])
    )
    known = (F.col(C.ORDER_DATE) <= F.col(C.SNAPSHOT_DATE)) & (F.col(C.PAID_DATE) <= F.col(C.SNAPSHOT_DATE))
    refunded = F.col(C.REFUND_DATE).isNotNull() & (F.col(C.REFUND_DATE) <= F.col(C.SNAPSHOT_DATE))
    net = F.col(C.PAID_AMOUNT) - F.when(refunded, F.col(C.REFUND_AMOUNT)).otherwise(F.lit(0.0))
    return (
        values.join(F.broadcast(snapshots), on=known, how="inner")
        .groupBy(C.SNAPSHOT_DATE, C.USER_ID, C.ORDER_DATE)
        .agg(F.sum(net).alias(C.VALUE))
        .select(C.SNAPSHOT_DATE, C.USER_ID, C.ORDER_DATE, C.VALUE)
    )


def customer_summaries(days: DataFrame, unit_days: int) -> DataFrame:
    """Each customer's (x, t_x, T, mean repeat value) per snapshot date.

    Args:
        days: `purchase_days` rows.
        unit_days: The time unit in days (7: weeks).

    Returns:
        SNAPSHOT_DATE, USER_ID, FIRST_PURCHASE_DATE, FREQUENCY (int), RECENCY, CUSTOMER_AGE,
        MEAN_REPEAT_VALUE (null for x = 0), FIRST_PURCHASE_VALUE.
    """
    first = F.min(C.ORDER_DATE)
    repeats = F.count(F.lit(1)) - 1
    # The first day's value: the value of the row with the smallest ORDER_DATE (one row per day).
    first_value = F.min_by(C.VALUE, C.ORDER_DATE)
    repeat_value = F.sum(C.VALUE) - first_value
    summaries = days.groupBy(C.SNAPSHOT_DATE, C.USER_ID).agg(
        first.alias(C.FIRST_PURCHASE_DATE),
        F.max(C.ORDER_DATE).alias("_last"),
        repeats.cast("int").alias(C.FREQUENCY),
        repeat_value.alias("_repeat_value"),
        first_value.alias(C.FIRST_PURCHASE_VALUE),
    )
    unit = float(unit_days)
    return summaries.select(
        C.SNAPSHOT_DATE,
        C.USER_ID,
        C.FIRST_PURCHASE_DATE,
        C.FREQUENCY,
        (F.datediff("_last", C.FIRST_PURCHASE_DATE) / unit).alias(C.RECENCY),
        (F.datediff(C.SNAPSHOT_DATE, C.FIRST_PURCHASE_DATE) / unit).alias(C.CUSTOMER_AGE),
        F.when(F.col(C.FREQUENCY) > 0, F.col("_repeat_value") / F.col(C.FREQUENCY)).alias(
            C.MEAN_REPEAT_VALUE
        ),
        C.FIRST_PURCHASE_VALUE,
    )


def bg_nbd_rows(summaries: DataFrame) -> DataFrame:
    """The distinct (x, t_x, T) of each snapshot date with how many customers share them: BG/NBD's input.

    Returns:
        SNAPSHOT_DATE, FREQUENCY, RECENCY, CUSTOMER_AGE, CUSTOMERS.
    """
    return (
        summaries.groupBy(C.SNAPSHOT_DATE, C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE)
        .agg(F.count(F.lit(1)).alias(C.CUSTOMERS))
        .select(C.SNAPSHOT_DATE, C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE, C.CUSTOMERS)
    )


def significant(value: Column, digits: int) -> Column:
    """A positive value rounded to `digits` significant digits (relative error at most 5 / 10^digits)."""
    scale = F.pow(F.lit(10.0), F.floor(F.log10(value)) - (digits - 1))
    return F.round(value / scale) * scale


def gamma_gamma_rows(summaries: DataFrame, significant_digits: int = 4) -> DataFrame:
    """The distinct (x, m) of each date's customers with repeat purchases of positive mean value, with how
    many customers share them: Gamma-Gamma's input (a customer whose repeats were all refunded has no value
    to model and is left out of the fit; the model still predicts their value).

    A mean value is continuous, so nearly every customer would be a row of their own: m is rounded to
    `significant_digits` first, which bounds the rows by the frequencies times 9 * 10^(digits - 1) per decade
    of value, whatever the number of customers, and moves no customer's m by more than 0.05% (at 4).

    Returns:
        SNAPSHOT_DATE, FREQUENCY, MEAN_REPEAT_VALUE, CUSTOMERS.
    """
    return (
        summaries.where((F.col(C.FREQUENCY) > 0) & (F.col(C.MEAN_REPEAT_VALUE) > 0))
        .select(
            C.SNAPSHOT_DATE,
            C.FREQUENCY,
            significant(F.col(C.MEAN_REPEAT_VALUE), significant_digits).alias(C.MEAN_REPEAT_VALUE),
        )
        .groupBy(C.SNAPSHOT_DATE, C.FREQUENCY, C.MEAN_REPEAT_VALUE)
        .agg(F.count(F.lit(1)).alias(C.CUSTOMERS))
        .select(C.SNAPSHOT_DATE, C.FREQUENCY, C.MEAN_REPEAT_VALUE, C.CUSTOMERS)
    )
