# Sourced by ./run.sh and ./test.sh: make .venv and install the pinned requirements once
# (again only when a requirements file changes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
stamp="$venv/.requirements-stamp"
want="$(cat "$root/requirements.txt" "$root/requirements-dev.txt" "$root/requirements-nodeps.txt" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
    python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    # pip's own lines and download bars are the progress (a first set-up downloads ~1 GB).
    echo "Installing the pinned requirements into $venv (first run takes a few minutes):" >&2
    echo "[1/3] pip" >&2
    "$venv/bin/python" -m pip install -q --upgrade pip >&2
    echo "[2/3] requirements.txt and requirements-dev.txt" >&2
    "$venv/bin/python" -m pip install --progress-bar on -r "$root/requirements-dev.txt" >&2
    echo "[3/3] requirements-nodeps.txt (without their dependencies)" >&2
    "$venv/bin/python" -m pip install --progress-bar on --no-deps -r "$root/requirements-nodeps.txt" >&2
    echo "Installed." >&2
    echo "$want" > "$stamp"
fi
PY="$venv/bin/python"
