#!/usr/bin/env bash
# Build the one-file Linux binary from build_exe.spec and run its --selftest
# under Xvfb. The same spec builds the Windows exe (see build_exe.bat and
# .github/workflows/windows-exe.yml); on Linux this is a smoke test of it.
#
# Usage: scripts/build_linux_exe.sh        (from anywhere; works in the repo root)
# Env:   PYTHON=python3.11                 interpreter used to create build/venv
#        SKIP_INSTALL=1                    reuse build/venv without pip install
# Exit code: the selftest's exit code (0 = the frozen program is healthy),
#            or non-zero if a step before it failed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/build/venv"
REPORT="$ROOT/build/selftest.txt"

log() { printf '[build_linux_exe] %s\n' "$*"; }

"$PYTHON" - <<'PY' || { echo "Python 3.10 or newer is required (got: $("$PYTHON" -V 2>&1))" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
PY

mkdir -p "$ROOT/build"
if [ -x "$VENV/bin/python" ]; then
    log "reusing $VENV"
else
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
VPY="$VENV/bin/python"

if [ "${SKIP_INSTALL:-0}" != "1" ]; then
    log "installing requirements-build.lock (exact versions, hashes checked)"
    "$VPY" -m pip install --disable-pip-version-check -q --require-hashes -r requirements-build.lock
fi

log "pyinstaller --noconfirm build_exe.spec"
start=$(date +%s)
"$VPY" -m PyInstaller --noconfirm --log-level WARN build_exe.spec
log "build took $(( $(date +%s) - start )) s; binary: $(du -h dist/ratings_gui | cut -f1)"

if ! command -v xvfb-run >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        log "installing xvfb"
        apt-get update -qq && apt-get install -y -qq xvfb xauth >/dev/null
    else
        echo "xvfb-run is missing: install the 'xvfb' package (apt-get install xvfb)" >&2
        exit 3
    fi
fi

# stdout and stderr are closed, as in a windowed Windows exe (Python then
# sets sys.stdout and sys.stderr to None): the report file and the exit code
# are the only output.
log "dist/ratings_gui --selftest under Xvfb, stdout and stderr closed"
rm -f "$REPORT"
set +e
xvfb-run -a dist/ratings_gui --selftest --selftest-report "$REPORT" >&- 2>&-
code=$?
set -e
if [ -f "$REPORT" ]; then
    cat "$REPORT"
else
    log "no report was written to $REPORT"
fi
log "selftest exit code: $code"
exit "$code"
