"""Arguments every job shares (`--env`, `--date`, `--set key=value`) and the one way a job is started.

A job module has `parser()` (the shared arguments plus its own), `run(context) -> int` and
`main = command(parser, run)`: the console script and spark-submit call `main(argv)`, which parses the
arguments and loads the config before Spark starts; the pipeline runner loads the config once and calls
each task's `run` with `context.for_task(parser(), ...)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from shop_platform.config import ConfigError, load_config
from shop_platform.logs import configure_logging
from shop_platform.settings import Config


@dataclass(frozen=True)
class JobContext:
    """What a job knows before it touches Spark: its validated config and the run date."""

    config: Config
    run_date: dt.date
    env: str
    args: argparse.Namespace

    @property
    def first_date(self) -> dt.date:
        """The first date of a back-fill (`--from-date`), or the run date for a daily run."""
        return getattr(self.args, "from_date", None) or self.run_date

    @property
    def dates(self) -> list[dt.date]:
        """Every date from `first_date` through the run date."""
        days = (self.run_date - self.first_date).days
        return [self.first_date + dt.timedelta(days=n) for n in range(days + 1)]

    def for_task(self, parser: argparse.ArgumentParser, back_fill: bool) -> JobContext:
        """The context a task of a pipeline run gets: this run's config and dates, the task's own options
        at their defaults, and `--from-date` only when the task takes a date range (`back_fill`)."""
        args = parser.parse_args([])
        args.env, args.date, args.overrides = self.env, self.run_date, list(self.args.overrides)
        if hasattr(args, "from_date"):
            args.from_date = getattr(self.args, "from_date", None) if back_fill else None
        return replace(self, args=args)


def job_parser(description: str, date_range: bool = False) -> argparse.ArgumentParser:
    """A parser with the common job arguments; jobs add their own before calling `parse_job_args`.

    With `date_range`, the job also takes `--from-date`: a back-fill of every date from it through `--date`
    in one run, giving the tables the daily runs of those dates would give.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--env", default="local", help="config overlay: conf/<env>.yaml (default: local)")
    parser.add_argument(
        "--date",
        type=_parse_date,
        default=None,
        help="run date YYYY-MM-DD (default: yesterday in app.timezone)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting, e.g. --set lake.root=/tmp/lake (repeatable)",
    )
    if date_range:
        parser.add_argument(
            "--from-date",
            type=_parse_date,
            default=None,
            help="back-fill every date from this one through --date (default: --date alone)",
        )
    return parser


def parse_job_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> JobContext:
    """Parse arguments and load the config; a config problem exits with status 2 and names the key."""
    args = parser.parse_args(argv)
    try:
        config = load_config(args.env, args.overrides)
    except ConfigError as exc:
        parser.exit(2, f"configuration error: {exc}\n")
    configure_logging(config.logging.level)
    run_date = args.date or default_run_date(config.app.timezone)
    from_date = getattr(args, "from_date", None)
    if from_date is not None and from_date > run_date:
        parser.exit(2, f"--from-date {from_date} is after the run date {run_date}\n")
    return JobContext(config=config, run_date=run_date, env=args.env, args=args)


JobRun = Callable[[JobContext], int]


def command(
    parser: Callable[[], argparse.ArgumentParser], run: JobRun
) -> Callable[[Sequence[str] | None], int]:
    """A job's `main(argv)`: parse the arguments, load the config, run the job; returns its exit status."""

    def main(argv: Sequence[str] | None = None) -> int:
        return run(parse_job_args(parser(), argv))

    return main


def default_run_date(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the shop's time zone: the last complete day of data."""
    now = now or dt.datetime.now(tz=ZoneInfo(timezone))
    return now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"dates are YYYY-MM-DD, got {text!r}") from exc
