#!/usr/bin/env bash
# The project's Python environment: a git-ignored venv in .venv/ holding requirements.txt (and
# requirements-nodeps.txt, installed without their dependencies).
# Idempotent: a stamp keeps the requirements' hash, so a second run with nothing changed returns
# at once and needs no network. Prints the interpreter's path as its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
req="$root/requirements.txt"
nodeps="$root/requirements-nodeps.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

want="$(cat "$req" "$nodeps" | sha256sum | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "python-env: .venv is up to date with requirements.txt" >&2
  echo "$venv/bin/python"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating .venv with $("$python" --version 2>&1)" >&2
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)
# torch first and alone, at its pin: see requirements.txt.
torch_pin="$(grep -E '^torch==' "$req")"
echo "python-env: installing $torch_pin, then requirements.txt, into .venv" >&2
"${pip[@]}" "$torch_pin" >&2
"${pip[@]}" -r "$req" >&2
"${pip[@]}" --no-deps -r "$nodeps" >&2
echo "$want" >"$stamp"
echo "python-env: ready" >&2
echo "$venv/bin/python"
