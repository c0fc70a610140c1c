#!/usr/bin/env bash
# Set up (./.venv) the same way as the demo, lint, and run the test suite. Arguments go to pytest.
# Two pytest workers (one Spark session each); a test module stays on one worker, so its module-scoped
# fixtures are built once. Pass `-n 0` to run in one process.
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
ruff check .
ruff format --check .
exec python -m pytest -q --durations=25 -n 2 --dist loadfile --no-loadscope-reorder "$@"
