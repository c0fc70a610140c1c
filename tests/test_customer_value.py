"""BG/NBD and Gamma-Gamma: the likelihoods by hand, the papers' CDNOW estimates, `lifetimes` on random data,
the as-of summaries and the value tiers."""

from __future__ import annotations

import datetime as dt
import math
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from chispa import assert_approx_df_equality
from lifetimes import BetaGeoFitter, GammaGammaFitter

from shop_platform.settings import ValueTier
from transforms import columns as C
from transforms.schemas import SILVER_ORDERS_SCHEMA
from transforms.value import bg_nbd, gamma_gamma
from transforms.value.summary import customer_summaries, gamma_gamma_rows, order_values, purchase_days
from transforms.value.tiers import with_value_tiers

BG = (0.5, 2.0, 0.8, 2.5)  # r, alpha, a, b
GG = (6.0, 4.0, 15.0)  # p, q, v


def _beta(x: float, y: float) -> float:
    return math.gamma(x) * math.gamma(y) / math.gamma(x + y)


def bg_nbd_likelihood_by_hand(r, alpha, a, b, x, t_x, age) -> float:
    """The paper's equation (6) as printed, without logs."""
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    survived = _beta(a, b + x) / _beta(a, b) * common / (alpha + age) ** (r + x)
    dropped = _beta(a + 1, b + x - 1) / _beta(a, b) * common / (alpha + t_x) ** (r + x) if x > 0 else 0.0
    return survived + dropped


def test_bg_nbd_log_likelihood_is_the_papers_equation_6():
    customers = [(0, 0.0, 10.0), (1, 3.0, 10.0), (4, 8.5, 12.0), (2, 0.5, 0.5)]
    x, t_x, age = (np.array(c, dtype=float) for c in zip(*customers, strict=True))
    expected = [math.log(bg_nbd_likelihood_by_hand(*BG, *c)) for c in customers]
    assert bg_nbd.log_likelihoods(BG, x, t_x, age) == pytest.approx(expected, rel=1e-12)
    # The sample's likelihood counts a row as often as its weight.
    assert bg_nbd.log_likelihood(BG, x, t_x, age, np.array([3, 1, 2, 1])) == pytest.approx(
        3 * expected[0] + expected[1] + 2 * expected[2] + expected[3], rel=1e-12
    )


def test_p_alive_is_the_papers_equation_13():
    r, alpha, a, b = BG
    x, t_x, age = 3, 4.0, 10.0
    by_hand = 1 / (1 + a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x))
    assert bg_nbd.p_alive(BG, np.array([x, 0]), np.array([t_x, 0.0]), np.array([age, 5.0])) == pytest.approx(
        [by_hand, 1.0], rel=1e-12
    )


def test_gamma_gamma_log_likelihood_is_the_notes_equation():
    p, q, v = GG
    for x, m in [(1, 20.0), (3, 35.5), (7, 12.25)]:
        density = (
            math.gamma(p * x + q) / (math.gamma(p * x) * math.gamma(q))
            * v**q * m ** (p * x - 1) * x ** (p * x) / (v + m * x) ** (p * x + q)
        )  # fmt: skip
        assert gamma_gamma.log_likelihoods(GG, np.array([x]), np.array([m]))[0] == pytest.approx(
            math.log(density), rel=1e-12
        )
    # The expected value shrinks a customer's mean towards the population's: p (v + x m) / (p x + q - 1).
    assert gamma_gamma.expected_value(GG, np.array([2, 0]), np.array([30.0, np.nan])) == pytest.approx(
        [p * (v + 2 * 30.0) / (p * 2 + q - 1), p * v / (q - 1)], rel=1e-12
    )
    # Given the first purchase, a customer without repeats is valued as one transaction of that value.
    assert gamma_gamma.expected_value(
        GG, np.array([2, 0, 0]), np.array([30.0, np.nan, np.nan]), np.array([99.0, 12.0, np.nan])
    ) == pytest.approx(
        [p * (v + 60.0) / (p * 2 + q - 1), p * (v + 12.0) / (p + q - 1), p * v / (q - 1)], rel=1e-12
    )


def cdnow_transactions(spark):
    """The CDNOW 1/10 sample (2,357 customers, 1997-01..1998-06) as order-value rows: one per line."""
    path = files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    raw = pd.read_csv(
        str(path), sep=r"\s+", header=None, names=["customer", "master_id", "date", "cds", "dollars"],
        dtype={"customer": str, "date": str},
    )  # fmt: skip
    day = pd.to_datetime(raw["date"], format="%Y%m%d").dt.date
    frame = pd.DataFrame(
        {
            C.USER_ID: raw["customer"],
            C.ORDER_DATE: day,
            C.PAID_DATE: day,
            C.PAID_AMOUNT: raw["dollars"].astype(float),
            C.REFUND_DATE: None,
            C.REFUND_AMOUNT: 0.0,
        }
    )
    schema = (
        f"{C.USER_ID} string, {C.ORDER_DATE} date, {C.PAID_DATE} date, {C.PAID_AMOUNT} double, "
        f"{C.REFUND_DATE} date, {C.PAID_AMOUNT}_ double"
    ).replace(f"{C.PAID_AMOUNT}_", C.REFUND_AMOUNT)
    return spark.createDataFrame(frame, schema)


def test_cdnow_reproduces_the_published_estimates(spark):
    """The papers' set-up: the 1/10 sample, weeks, a 39-week calibration period (to 1997-09-30)."""
    end = dt.date(1997, 9, 30)
    summaries = customer_summaries(purchase_days(cdnow_transactions(spark), [end]), unit_days=7).toPandas()
    assert len(summaries) == 2357
    x, t_x, age = (summaries[c].to_numpy(float) for c in (C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE))
    fit = bg_nbd.fit(x, t_x, age)
    # Fader, Hardie and Lee (2005), "Counting your customers the easy way", section 4: within 1% each.
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(fit, name) == pytest.approx(value, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, rel=0.01)
    # The same fit on the weighted distinct (x, t_x, T) rows, as the job does it.
    distinct = summaries.groupby([C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE]).size().reset_index(name="w")
    weighted = bg_nbd.fit(
        *(distinct[c].to_numpy(float) for c in (C.FREQUENCY, C.RECENCY, C.CUSTOMER_AGE, "w"))
    )
    assert len(distinct) < len(summaries) and weighted.params == pytest.approx(fit.params, rel=1e-5)
    # Fader, Hardie and Lee (2005), "RFM and CLV": Gamma-Gamma on the repeat buyers, within 2% each.
    repeat = summaries[summaries[C.FREQUENCY] > 0]
    value = gamma_gamma.fit(repeat[C.FREQUENCY].to_numpy(float), repeat[C.MEAN_REPEAT_VALUE].to_numpy(float))
    for name, published_value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert getattr(value, name) == pytest.approx(published_value, rel=0.02), name
    # The job's rows: mean values to 4 significant digits (each moved by at most 0.05%), fewer rows, and
    # estimates that move by about 1e-4 (v by 1.1e-4 here).
    rows = gamma_gamma_rows(spark.createDataFrame(summaries)).toPandas()
    assert len(rows) < len(repeat) and rows[C.CUSTOMERS].sum() == len(repeat)
    grouped = gamma_gamma.fit(
        *(rows[c].to_numpy(float) for c in (C.FREQUENCY, C.MEAN_REPEAT_VALUE, C.CUSTOMERS))
    )
    assert grouped.params == pytest.approx(value.params, rel=5e-4)


def simulated_customers(rng, n: int, r=0.5, alpha=5.0, a=0.8, b=3.0) -> tuple[np.ndarray, ...]:
    """(x, t_x, T) of n customers drawn from the BG/NBD process itself, observed for 10 to 52 weeks."""
    rate, drop, age = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), rng.uniform(10, 52, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):  # a small simulation: a few purchases per customer
        now = 0.0
        while rng.random() >= drop[i]:
            now += rng.exponential(1 / rate[i])
            if now > age[i]:
                break
            x[i], t_x[i] = x[i] + 1, now
    return x, t_x.round(3), age.round(3)


def test_fits_agree_with_lifetimes_on_random_customers():
    rng = np.random.default_rng(7)
    n = 3000
    x, t_x, age = simulated_customers(rng, n)
    ours = bg_nbd.fit(x, t_x, age)
    theirs = BetaGeoFitter().fit(x, t_x, age).params_
    assert ours.params == pytest.approx([theirs[k] for k in bg_nbd.PARAMETERS], rel=1e-4)
    repeat = x > 0
    m = rng.gamma(6.0, 1 / (rng.gamma(4.0, 1 / 15.0, n)))[repeat]
    ours_gg = gamma_gamma.fit(x[repeat], m)
    theirs_gg = GammaGammaFitter().fit(x[repeat], m).params_
    assert ours_gg.params == pytest.approx([theirs_gg[k] for k in gamma_gamma.PARAMETERS], rel=1e-4)
    fitter = BetaGeoFitter().fit(x, t_x, age)
    assert bg_nbd.expected_purchases(ours.params, 10.0, x[:50], t_x[:50], age[:50]) == pytest.approx(
        fitter.conditional_expected_number_of_purchases_up_to_time(10.0, x[:50], t_x[:50], age[:50]), rel=1e-4
    )


def order(user, placed, paid, amount, refunded=None, refund=0.0):
    """A silver.orders row: placed on a shop-local day, paid (and refunded) at noon UTC on a day."""

    def at_noon(day):
        return None if day is None else dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)

    values = {
        C.ORDER_ID: f"{user}-{placed}-{amount}", C.USER_ID: user, C.ORDER_DATE: placed, C.STATUS: "paid",
        C.PAID_TIME: at_noon(paid), C.PAID_AMOUNT: amount if paid else None, C.REFUND_TIME: at_noon(refunded),
        C.REFUND_AMOUNT: refund if refunded else None,
    }  # fmt: skip
    return tuple(values.get(name) for name in SILVER_ORDERS_SCHEMA.fieldNames())


def test_summary_as_of_reads_nothing_after_the_date(spark):
    d = dt.date(2026, 10, 15)
    day = lambda n: d + dt.timedelta(days=n)  # noqa: E731
    orders = spark.createDataFrame(
        [
            order("u1", day(-14), day(-14), 10.0),
            order("u1", day(-7), day(-7), 30.0),
            order("u1", day(-7), day(-7), 20.0),  # the same day: one purchase worth 50
            order("u1", day(-3), day(-3), 40.0, refunded=day(1), refund=40.0),  # refunded after D: still 40
            order("u1", day(1), day(1), 99.0),  # placed after D
            order("u2", day(-10), day(-10), 25.0),
            order("u2", day(-2), day(-2), 15.0, refunded=day(-1), refund=15.0),  # refunded by D: worth 0
            order("u3", day(0), day(2), 60.0),  # placed on D, paid after it
            order("u4", day(-5), None, 80.0),  # never paid
        ],
        SILVER_ORDERS_SCHEMA,
    )
    summaries = customer_summaries(purchase_days(order_values(orders, "UTC"), [d]), unit_days=7)
    expected = spark.createDataFrame(
        [
            (d, "u1", day(-14), 2, 11 / 7, 14 / 7, (50.0 + 40.0) / 2, 10.0),
            (d, "u2", day(-10), 1, 8 / 7, 10 / 7, 0.0, 25.0),
        ],
        f"{C.SNAPSHOT_DATE} date, {C.USER_ID} string, {C.FIRST_PURCHASE_DATE} date, {C.FREQUENCY} int, "
        f"{C.RECENCY} double, {C.CUSTOMER_AGE} double, {C.MEAN_REPEAT_VALUE} double, {C.FIRST_PURCHASE_VALUE} double",
    )
    assert_approx_df_equality(
        summaries, expected, precision=1e-12, ignore_row_order=True, ignore_nullable=True
    )
    # Two days later u3's order is paid and u1's fourth purchase refunded: the later date sees both.
    later = customer_summaries(purchase_days(order_values(orders, "UTC"), [day(2)]), unit_days=1)
    rows = {r[C.USER_ID]: r for r in later.collect()}
    assert rows["u3"][C.FREQUENCY] == 0 and rows["u3"][C.CUSTOMER_AGE] == 2.0
    assert rows["u1"][C.FREQUENCY] == 3 and rows["u1"][C.MEAN_REPEAT_VALUE] == pytest.approx(
        (50 + 0 + 99) / 3
    )


def test_value_tiers_cut_at_the_configured_shares(spark):
    tiers = [
        ValueTier("vip", "至尊客户", "VIP", 0.1),
        ValueTier("high", "高价值客户", "High", 0.4),
        ValueTier("low", "低价值客户", "Low", 1.0),
    ]
    d1, d2 = dt.date(2026, 10, 1), dt.date(2026, 10, 2)
    rows = [(f"u{n}", float(n), d1) for n in range(1, 21)] + [("w1", 5.0, d2), ("w2", 1.0, d2)]
    values = spark.createDataFrame(rows, f"{C.USER_ID} string, {C.CLV} double, {C.SNAPSHOT_DATE} date")
    tiered = {(r[C.USER_ID], r[C.SNAPSHOT_DATE]): r for r in with_value_tiers(values, tiers).collect()}
    # 20 customers on d1: the top 10% (2) are vip, the next 30% (6) high, the rest low; per date.
    by_tier = {t: sorted(int(u[1:]) for (u, d), r in tiered.items() if d == d1 and r[C.VALUE_TIER] == t)
               for t in ("vip", "high", "low")}  # fmt: skip
    assert by_tier == {"vip": [19, 20], "high": list(range(13, 19)), "low": list(range(1, 13))}
    assert tiered[("u20", d1)][C.VALUE_TIER_RANK] == 1 and tiered[("u1", d1)][C.VALUE_TIER_RANK] == 3
    # Two customers: 10% or 40% of them is less than one customer, so both are low.
    assert {tiered[(u, d2)][C.VALUE_TIER] for u in ("w1", "w2")} == {"low"}
