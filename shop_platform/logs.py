"""Logging set-up for jobs: one format, level from config, and a timer for job steps."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """Send the suite's log records to stderr; py4j's chatter is kept at WARNING."""
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
    logging.getLogger("py4j").setLevel(logging.WARNING)


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
