"""Logging set-up for jobs: one format, level from config, and a timer for job steps."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


# PySpark logs every analysis error it raises, with the whole plan, before the caller sees the exception;
# jobs that expect such errors (checking a tag expression) report them themselves, in one line.
QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


def configure_logging(level: str = "INFO") -> None:
    """Send the suite's log records to stderr; py4j's chatter is kept at WARNING and PySpark's query-context
    dumps of raised errors are off (the exceptions themselves still propagate)."""
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
    logging.getLogger("py4j").setLevel(logging.WARNING)
    for name in QUERY_CONTEXT_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


@contextmanager
def timed(logger: logging.Logger, step: str) -> Iterator[None]:
    """Log how long a job step took, also when it fails."""
    started = time.perf_counter()
    try:
        yield
    finally:
        logger.info("%s took %.2fs", step, time.perf_counter() - started)
