#!/usr/bin/env bash
# Builds the two environments: .venv (gateway, Python >= 3.11) and .venv-rasa (engine, Python 3.10).
# Idempotent and quick when nothing changed: each environment remembers the hash of what it was built from.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

python_ok() {  # python_ok EXE MAJOR.MINOR-test-expression
  "$1" -c "import sys; sys.exit(0 if $2 else 1)" >/dev/null 2>&1
}

find_gateway_python() {
  local candidate
  for candidate in "${PYTHON311:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate" "sys.version_info >= (3, 11)"; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

find_engine_python() {
  local candidate version prefix
  if [ -n "${PYTHON310:-}" ]; then
    python_ok "$PYTHON310" "sys.version_info[:2] == (3, 10)" && { echo "$PYTHON310"; return 0; }
    die "PYTHON310=$PYTHON310 is not a Python 3.10 interpreter."
  fi
  # pyenv's python3.10 shim only works with PYENV_VERSION set: ask pyenv where 3.10 lives.
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.[0-9]+)?$' | sort -rV); do
      prefix=$(pyenv prefix "$version" 2>/dev/null) || continue
      [ -x "$prefix/bin/python3.10" ] && { echo "$prefix/bin/python3.10"; return 0; }
    done
  fi
  for candidate in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate" "sys.version_info[:2] == (3, 10)"; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

gateway_stamp=$(stamp_of requirements/gateway.txt pyproject.toml)
engine_stamp=$(stamp_of requirements/engine.txt)
gateway_todo=$([ "$(cat .venv/.crisisbot-stamp 2>/dev/null)" != "$gateway_stamp" ] && echo yes || true)
engine_todo=$([ "$(cat .venv-rasa/.crisisbot-stamp 2>/dev/null)" != "$engine_stamp" ] && echo yes || true)

# Both interpreters first, so a missing one is said before anything is built.
if [ -n "$gateway_todo" ]; then
  gateway_python=$(find_gateway_python) || die "Python 3.11 or newer is needed for the gateway and none was found.
  Install it with pyenv ('pyenv install 3.11'), or your system's package (e.g. 'apt install python3.11 python3.11-venv'),
  or point PYTHON311 at one: make setup PYTHON311=/path/to/python3.11"
fi
if [ -n "$engine_todo" ]; then
  engine_python=$(find_engine_python) || die "Python 3.10 is needed for Rasa 3.6 and none was found.
  Install it with pyenv ('pyenv install 3.10.13'), or your system's package (e.g. 'apt install python3.10 python3.10-venv'),
  or point PYTHON310 at one: make setup PYTHON310=/path/to/python3.10"
fi

# --- gateway: .venv ---------------------------------------------------------------------------------
if [ -n "$gateway_todo" ]; then
  py=$gateway_python
  say "setup: building .venv (gateway) with $py"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/gateway.txt
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$gateway_stamp" > .venv/.crisisbot-stamp
fi

# --- engine: .venv-rasa -----------------------------------------------------------------------------
if [ -n "$engine_todo" ]; then
  py=$engine_python
  say "setup: building .venv-rasa (Rasa 3.6.21, a few minutes the first time) with $py"
  [ -x .venv-rasa/bin/python ] || "$py" -m venv .venv-rasa
  .venv-rasa/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/engine.txt
  echo "$engine_stamp" > .venv-rasa/.crisisbot-stamp
fi
mkdir -p var models

# --- browser for the real-browser tests (make test): Debian's Chromium, driven by Playwright ------------
# Playwright's own browser download does not work everywhere; the tests use the system's Chromium.
if [ "${1:-}" = "--with-browser" ] && [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "setup: installing Chromium (Debian package) for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    die "The browser tests need Chromium: install it (e.g. 'sudo apt-get install chromium'), or set CHROMIUM=/path/to/chromium."
  fi
fi

# --- the reports' PDF: WeasyPrint lays it out with Pango, in the DejaVu fonts (Debian packages) -------------
DEJAVU=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
if ! { .venv/bin/python -c "import weasyprint" >/dev/null 2>&1 && [ -f "$DEJAVU" ]; }; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "setup: installing Pango and the DejaVu fonts (Debian packages) for the reports' PDF"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null
  else
    say "setup: the reports' PDF needs Pango and the DejaVu fonts: install them, e.g.
  'sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core'.
  Everything else works without them; the report page says so when its PDF is asked for." >&2
  fi
fi
