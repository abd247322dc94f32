#!/usr/bin/env bash
# Livegate set-up: system libraries, virtual environment, pinned packages, models.
# Idempotent: a second run checks stamps and hashes only and takes a few seconds.
#   scripts/setup.sh            everything the app needs
#   scripts/setup.sh --tests    also what the tests need (the PostgreSQL server for the fleet tests)
# Environment: LIVEGATE_MODEL_MIRROR=DIR  fetch models from a local mirror first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY=${PYTHON:-python3}

say() { printf 'livegate-setup: %s\n' "$*" >&2; }
# pip on some machines warns about configured package folders that do not exist; keep real messages only.
pipq() { "$VENV/bin/python" -m pip "$@" 2> >(grep -v "^WARNING: Location '" >&2); }

# 1. Python version ------------------------------------------------------------------
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  say "Python 3.11 or newer is needed (found: $("$PY" --version 2>&1)). Install it and run again."
  exit 2
fi

# 2. System libraries Qt, OpenCV and the virtual display need (Debian names) -----------
if [ "$(uname -s)" = Linux ]; then
  need=()
  libs=$(ldconfig -p 2>/dev/null || true)  # read once: `ldconfig | grep -q` would die of SIGPIPE under pipefail
  have_lib() { grep -qF "$1" <<<"$libs"; }
  have_lib 'libEGL.so.1'            || need+=(libegl1)
  have_lib 'libGL.so.1'             || need+=(libgl1)
  have_lib 'libxkbcommon.so.0'      || need+=(libxkbcommon0)
  have_lib 'libxkbcommon-x11.so.0'  || need+=(libxkbcommon-x11-0)
  have_lib 'libxcb-cursor.so.0'     || need+=(libxcb-cursor0)
  have_lib 'libfontconfig.so.1'     || need+=(libfontconfig1)
  have_lib 'libdbus-1.so.3'         || need+=(libdbus-1-3)
  have_lib 'libpulse.so.0'          || need+=(libpulse0)
  have_lib 'libxcb-icccm.so.4'      || need+=(libxcb-icccm4)
  have_lib 'libxcb-keysyms.so.1'    || need+=(libxcb-keysyms1)
  have_lib 'libxcb-image.so.0'      || need+=(libxcb-image0)
  have_lib 'libxcb-render-util.so.0' || need+=(libxcb-render-util0)
  have_lib 'libxcb-shape.so.0'      || need+=(libxcb-shape0)
  have_lib 'libxcb-xkb.so.1'        || need+=(libxcb-xkb1)
  command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing system libraries: ${need[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
      say "missing system libraries; install them with:"
      say "  sudo apt-get install ${need[*]}"
      exit 2
    fi
  fi
fi

# 2b. PostgreSQL server binaries: the fleet tests start a throw-away cluster with initdb/pg_ctl -------
# (Debian's package also creates a "main" cluster; Livegate never uses it.)
if [ "${1:-}" = --tests ] && [ "$(uname -s)" = Linux ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "installing the PostgreSQL server (for the fleet tests)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq postgresql >/dev/null
    else
      say "the fleet tests need the PostgreSQL server; install it with:"
      say "  sudo apt-get install postgresql"
    fi
  fi
fi

# 3. Virtual environment and pinned packages -----------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment in .venv"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.livegate-stamp"
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing pinned packages (requirements.lock)"
  pipq install -q --disable-pip-version-check --upgrade "pip>=24"
  pipq install -q --disable-pip-version-check -r requirements.lock
  PYTHONWARNINGS=ignore pipq install -q --disable-pip-version-check --no-deps --no-build-isolation -e . >/dev/null
  echo "$want" > "$stamp"
fi

# 4. Models (fetched, converted where needed, hash-checked) ---------------------------
"$VENV/bin/livegate" models fetch --quiet
