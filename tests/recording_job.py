"""A stand-in task for the pipeline runner's tests: it records the context each run was given."""

from __future__ import annotations

import argparse

from shop_platform.cli import JobContext, command, job_parser

CALLS: list[JobContext] = []


def parser() -> argparse.ArgumentParser:
    built = job_parser("Record the context.", date_range=True)
    built.add_argument("--flag", action="store_true", help="an option of the job's own")
    return built


def run(ctx: JobContext) -> int:
    CALLS.append(ctx)
    return 0


main = command(parser, run)
