"""Generate the sample data: raw collector files and ground truth under the lake root.

    python -m sample_shop.jobs.generate_sample_data --env local --set generator.users=10000
    spark-submit sample_shop/jobs/generate_sample_data.py --env cluster
    python -m sample_shop.jobs.generate_sample_data --extend-days 2 --set lake.root=/work/lakes/x
    python -m sample_shop.jobs.generate_sample_data --continue --date 2026-11-29 --set lake.root=/work/lakes/x

The period is `generator.start_date` plus `generator.days`, unless `--date` is given: then the period
ends on that date. (Without `--date` the run date is not used, so the demo data never depends on the clock.)
The lake records what it holds in `truth/generated_days` (the period, the last day generated, the settings).

`--extend-days N` continues a generated lake by the N days after its last one, the way a shop's log grows;
`--continue` does the same through `--date`. Files already written stay byte for byte as they are: the new
days' lines are added to their `raw/events/date=` folders (the days just after the last one may hold late
lines already), users registering on them to `raw/users`, and their rows to `truth/personas`,
`event_sessions`, `churn` and `dirt`, all as new files. The period keeps fixing the population: its users
carry on with their personas (users who churned in it stay away), as many users churn after it as register (at
the period's pace of new users), bots keep scraping; no campaign runs and no item launches, so the catalogue
and campaign files do not change (with `generator.drift` on, the period's launches keep fading and changed
tastes stay changed; `truth/launches` and `truth/taste_changes` do not change). Each day is drawn from keys of
its own (user, day, session, event), so continuing by 2 days and then by 3 gives the same files' lines as
continuing by 5. It does not give those of a longer period generated in one go: registration and churn days
are drawn across the period's length, and ids are numbered by it. (Sessions and orders are planned again from
the period's first day, not their events: a new day's session hosts the refunds and reviews of earlier orders,
so that part of a continuation's cost grows with the history.) The continuation must use the lake's generator
settings (`--set` the same ones): a differing seed, scale or rate stops it, naming the setting. A lake made
before the record existed is taken to hold the configured period, `generator.start_date` plus
`generator.days`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys

from sample_shop.generator.dataset import build_inputs, build_sample_data
from sample_shop.generator.materialise import (
    GENERATED_DAYS,
    GeneratedDays,
    LocalCheckpoints,
    read_generated_days,
    write_generated_days,
    write_sample_data,
)
from shop_platform.cli import JobContext, command, job_parser
from shop_platform.logs import get_logger, timed
from shop_platform.session import get_spark
from shop_platform.storage import Lake, open_lake

log = get_logger("sample_shop.jobs.generate_sample_data")


def parser() -> argparse.ArgumentParser:
    parser = job_parser("Generate seeded sample data: raw event, user, item and campaign files plus truth.")
    more = parser.add_mutually_exclusive_group()
    more.add_argument(
        "--extend-days",
        type=int,
        default=None,
        metavar="N",
        help="continue the lake's generated data by the N days after its last one (files held stay as they are)",
    )
    more.add_argument(
        "--continue",
        dest="continue_to_date",
        action="store_true",
        help="continue the lake's generated data through --date",
    )
    return parser


def period_start(ctx: JobContext) -> dt.date:
    """`generator.start_date`, or the start of the period ending on an explicit `--date`."""
    settings = ctx.config.generator
    if ctx.args.date is None:
        return settings.start_date
    return ctx.args.date - dt.timedelta(days=settings.days - 1)


def held_days(ctx: JobContext, lake: Lake) -> GeneratedDays:
    """What the lake holds: its record, or the configured period for a lake made before records."""
    record = read_generated_days(lake.files)
    if record is not None:
        return record
    settings = ctx.config.generator
    last = settings.start_date + dt.timedelta(days=settings.days - 1)
    log.warning(
        "%s has no %s: taking it to hold the configured period %s..%s (generator.start_date, generator.days)",
        lake.files.root,
        GENERATED_DAYS,
        settings.start_date,
        last,
    )
    return GeneratedDays.of(settings, settings.start_date, last)


def extra_days(ctx: JobContext, held: GeneratedDays) -> int | None:
    """How many days to continue by (`--extend-days`, or through `--date` with `--continue`); None, with
    the reason logged, when the request does not fit the lake."""
    if ctx.args.extend_days is not None:
        if ctx.args.extend_days < 1:
            log.error("--extend-days must be at least 1, got %d", ctx.args.extend_days)
            return None
        return ctx.args.extend_days
    if ctx.args.date is None:
        log.error("--continue needs --date, the last day to generate")
        return None
    if ctx.args.date <= held.last_date:
        log.error(
            "--date %s: the lake already holds generated days through %s", ctx.args.date, held.last_date
        )
        return None
    return (ctx.args.date - held.last_date).days


def run(ctx: JobContext) -> int:
    """Generate the sample data for the configured scale (or continue it) and write it under the lake root."""
    spark = get_spark(ctx.config.spark, app_name="generate_sample_data")
    lake = open_lake(spark, ctx.config.lake)
    settings = ctx.config.generator
    if ctx.args.extend_days is None and not ctx.args.continue_to_date:
        start = period_start(ctx)
        first_day, last_day = 0, settings.days - 1
    else:
        held = held_days(ctx, lake)
        differences = held.differences(settings)
        if differences:
            log.error(
                "cannot continue the data under %s with other generator settings: %s",
                lake.files.root,
                "; ".join(differences),
            )
            return 2
        n_days = extra_days(ctx, held)
        if n_days is None:
            return 2
        # The lake's period, not the configured one, fixes the population the new days continue.
        settings = dataclasses.replace(settings, days=held.days)
        start, first_day = held.start_date, held.last_day + 1
        last_day = first_day + n_days - 1
    first_date, last_date = (start + dt.timedelta(days=day) for day in (first_day, last_day))
    log.info(
        "generating %d users, %d items, days %s..%s of the %d-day period from %s (seed %d)",
        settings.users,
        settings.items,
        first_date,
        last_date,
        settings.days,
        start,
        settings.seed,
    )
    with timed(log, "generate users, sessions, orders and events"):
        data = build_sample_data(
            build_inputs(spark, settings, last_day),
            settings,
            ctx.config.app.timezone,
            start,
            checkpoint=LocalCheckpoints(),
            first_day=first_day,
            last_day=last_day,
        )
    with timed(log, "write sample data"):
        counts = write_sample_data(data, lake.files, settings.partitions)
    write_generated_days(lake.files, GeneratedDays.of(settings, start, last_date))
    log.info(
        "%s sample data under %s: %s; it holds days %s..%s",
        "added" if data.continues else "wrote",
        lake.files.root,
        ", ".join(f"{folder} {rows} rows" for folder, rows in counts.items()),
        start,
        last_date,
    )
    return 0


main = command(parser, run)

if __name__ == "__main__":
    sys.exit(main())
