"""What a job logged, for tests: jobs reset the root logger's handlers, so pytest's caplog cannot see them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class JobLog(logging.Handler):
    """Every message of one logger, as text (`messages`) and as "LEVEL text" (`leveled`)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.leveled: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.leveled.append(f"{record.levelname} {record.getMessage()}")


@contextmanager
def job_log_of(logger_name: str) -> Iterator[JobLog]:
    """Record what the logger `logger_name` (e.g. "jobs.build_report") logs inside the block."""
    records = JobLog()
    logger = logging.getLogger(logger_name)
    logger.addHandler(records)
    try:
        yield records
    finally:
        logger.removeHandler(records)
