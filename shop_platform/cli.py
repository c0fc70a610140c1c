"""Arguments every job shares: `--env`, `--date`, `--set key=value`; config is loaded before Spark starts."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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


def job_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the common job arguments; jobs add their own before calling `parse_job_args`."""
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
    return JobContext(config=config, run_date=run_date, env=args.env, args=args)


def default_run_date(timezone: str, now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the shop's time zone: the last complete day of data."""
    now = now or dt.datetime.now(tz=ZoneInfo(timezone))
    return now.astimezone(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--date must be YYYY-MM-DD, got {text!r}") from exc
