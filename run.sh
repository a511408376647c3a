#!/usr/bin/env bash
# Set up (first time) and run the DMS: ./run.sh [command ...], e.g. ./run.sh replay drive.mp4 --out report
source "$(dirname "$0")/scripts/venv.sh"
exec "$PY" "$root/main.py" "$@"
