"""Customer value on a real purchase log: CDNOW through build_customer_value and evaluate_customer_value.

    .venv/bin/python -m scripts.clv_cdnow [--master] [--lake-dir DIR]

CDNOW's transactions (Fader, Hardie and Lee's data, shipped in the `lifetimes` wheel of the dev extra: the 1/10
sample of 2,357 customers by default, `--master` for all 23,570) become silver.orders rows of a fresh lake:
one paid order per line, on its day, worth its dollar value (the log has no payment or refund times). Then
the two jobs run as the pipeline runs them, in weeks, as of 1998-06-30 with a 39-week holdout: the papers'
set-up (calibration to 1997-09-30, holdout to 1998-06-30). Prints the calibration fit, the holdout by
frequency and by week, and the ranking AUCs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from importlib.resources import files

import pandas as pd

from jobs import build_customer_value, evaluate_customer_value
from shop_platform.config import load_config
from shop_platform.session import get_spark
from shop_platform.storage import open_lake
from transforms import columns as C
from transforms import tables
from transforms.schemas import SILVER_ORDERS_SCHEMA

END, HOLDOUT_DAYS = dt.date(1998, 6, 30), 273
SETTINGS = [
    "app.timezone=UTC",
    "clv.time_unit_days=7",
    f"clv.holdout_days={HOLDOUT_DAYS}",
    "clv.min_customers=50",
]


def transactions(master: bool) -> pd.DataFrame:
    """CDNOW lines as silver.orders columns."""
    name = "CDNOW_master.txt" if master else "CDNOW_sample.txt"
    path = str(files("lifetimes") / "datasets" / name)
    columns = (
        ["customer", "date", "cds", "dollars"]
        if master
        else ["customer", "master_id", "date", "cds", "dollars"]
    )
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=columns, skiprows=1 if master else 0,
                      dtype={"customer": str, "date": str})  # fmt: skip
    day = pd.to_datetime(raw["date"], format="%Y%m%d")
    frame = pd.DataFrame({name: None for name in SILVER_ORDERS_SCHEMA.fieldNames()}, index=raw.index)
    frame[C.ORDER_ID] = [f"o{n}" for n in range(len(raw))]
    frame[C.USER_ID] = raw["customer"]
    frame[C.ORDER_DATE] = day.dt.date
    frame[C.ORDER_TIME] = day
    frame[C.PAID_TIME] = day
    frame[C.AMOUNT] = frame[C.PAID_AMOUNT] = raw["dollars"].astype(float)
    frame[C.STATUS] = "paid"
    return frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", action="store_true", help="all 23,570 customers, not the 1/10 sample")
    parser.add_argument("--lake-dir", default=None, help="where the lake goes (default: a temporary folder)")
    args = parser.parse_args(argv)
    root = args.lake_dir or tempfile.mkdtemp(prefix="clv-cdnow-")
    os.makedirs(root, exist_ok=True)
    settings = [f"lake.root={root}", *SETTINGS]
    cfg = load_config("local", settings)
    spark = get_spark(cfg.spark, app_name="clv_cdnow")
    lake = open_lake(spark, cfg.lake)
    orders = lake.table(tables.ORDERS)
    orders.overwrite(spark.createDataFrame(transactions(args.master), SILVER_ORDERS_SCHEMA))
    common = ["--env", "local", *[a for s in settings for a in ("--set", s)], "--date", END.isoformat()]
    assert build_customer_value.main(common) == 0
    assert evaluate_customer_value.main(common) == 0
    fits = lake.table(tables.CUSTOMER_VALUE_FITS).read_on(END).toPandas()
    print(fits[[C.MODEL, C.ESTIMATES, C.LOG_LIKELIHOOD, C.CUSTOMERS, C.DISTINCT_ROWS]].to_string(index=False))
    holdout = lake.table(tables.CUSTOMER_VALUE_HOLDOUT).read_on(END).toPandas()
    frequency = holdout[holdout[C.VIEW] == "frequency"].sort_values(C.BUCKET)
    print(frequency[[C.BUCKET, C.CUSTOMERS, C.PREDICTED, C.ACTUAL]].round(3).to_string(index=False))
    by_day = holdout[holdout[C.VIEW] == "day"].sort_values(C.BUCKET)
    weekly = by_day[by_day[C.BUCKET] % 7 == 0]
    shown = pd.concat([weekly.iloc[::4], by_day.tail(1)]).drop_duplicates(C.BUCKET)
    print(shown[[C.BUCKET, C.PREDICTED, C.ACTUAL]].round(1).to_string(index=False))
    ranking = lake.table(tables.CUSTOMER_VALUE_RANKING).read_on(END).toPandas()
    print(
        ranking[[C.SCORE_NAME, C.POPULATION, C.CUSTOMERS, C.POSITIVES, C.AUC]].round(4).to_string(index=False)
    )
    print(f"lake: {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
