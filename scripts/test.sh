#!/usr/bin/env bash
# Set up (./.venv) the same way as the demo, lint, and run the test suite. Arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
ruff check .
exec python -m pytest -q --durations=25 "$@"
