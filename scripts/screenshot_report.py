"""Photograph a report in headless Chromium (every chart drawn), to look at it without a desktop.

    .venv/bin/python scripts/screenshot_report.py lake/reports/2026-10-30/report.html [report.png]

Prints the PNG's path (default: beside the report), the charts drawn and any script error or network
request the page made. Needs Debian's chromium (apt-get install chromium) and the dev extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from report_browser import check_page, screenshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a full-page PNG of an HTML report.")
    parser.add_argument("report", type=Path, help="the report.html to open")
    parser.add_argument(
        "png", type=Path, nargs="?", help="where to write the PNG (default: report.png beside it)"
    )
    parser.add_argument("--width", type=int, default=1400, help="page width in CSS pixels (default 1400)")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        parser.exit(2, f"no report at {args.report}\n")
    png = screenshot(args.report, args.png or args.report.with_suffix(".png"), width=args.width)
    check = check_page(args.report)
    print(f"{len(check.drawn)} of {len(check.charts)} charts drawn; PNG at {png}")
    for problem in [*check.errors, *(f"network request: {url}" for url in check.external_requests)]:
        print(f"  {problem}")
    if check.undrawn:
        print(f"  not drawn: {', '.join(check.undrawn)}")
    return 0 if not check.undrawn and not check.errors and not check.external_requests else 1


if __name__ == "__main__":
    sys.exit(main())
