#!/usr/bin/env bash
# Creates (or reuses) the peer benchmark's Python venv and installs benches/peer/requirements.txt
# into it from PyPI, wheels only. Idempotent: a stamp file in the venv holds the requirements'
# SHA-256 and the interpreter version; when both match, nothing is installed.
#
#   ARREARS_PEER_VENV   venv directory (default: <repo>/target/peer-venv)
#   PYTHON              interpreter that creates the venv (default: python3)
#
# The last line on stdout is the venv's python path; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${ARREARS_PEER_VENV:-$repo/target/peer-venv}"
python="${PYTHON:-python3}"
req="$here/requirements.txt"
stamp="$venv/.arrears-peer-stamp"
py="$venv/bin/python"

command -v "$python" >/dev/null 2>&1 || { echo "setup.sh: $python not found" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || { echo "setup.sh: $python is older than 3.11" >&2; exit 1; }

want="$(sha256sum "$req" | cut -d' ' -f1) $("$python" -c 'import platform; print(platform.python_version())')"

if [[ -x "$py" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
  && "$py" -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("confluent_kafka", "sklearn", "numpy")))' >/dev/null 2>&1; then
  echo "setup.sh: $venv is up to date" >&2
else
  if [[ ! -x "$py" ]] || ! "$py" -c 'import sys' >/dev/null 2>&1; then
    echo "setup.sh: creating $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2
  fi
  rm -f "$stamp"
  echo "setup.sh: installing $req" >&2
  "$py" -m pip install --disable-pip-version-check --no-input --quiet \
    --only-binary :all: -r "$req" >&2
  "$py" -c 'import confluent_kafka, sklearn, numpy' >&2
  echo "$want" >"$stamp"
fi

echo "$py"
