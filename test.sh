#!/usr/bin/env bash
# Set up (first time) and run the lint and the whole test suite: ./test.sh [pytest args ...]
source "$(dirname "$0")/scripts/venv.sh"
cd "$root"
"$venv/bin/ruff" check .
export QT_QPA_PLATFORM=offscreen
exec "$PY" -m pytest "$@"
