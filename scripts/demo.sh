#!/usr/bin/env bash
# Set up (./.venv) and run the daily pipeline on generated sample data with the embedded defaults.
# Arguments go to the pipeline runner, e.g. ./scripts/demo.sh --set lake.root=$HOME/lakes/shop
source "$(dirname "${BASH_SOURCE[0]}")/setup_env.sh"
exec python -m jobs.run_pipeline --env local "$@"
