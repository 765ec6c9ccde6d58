#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (also what CI runs, via .ci/run).
#  1. Debian's redis-server (the Redis tests start a real one on a loopback port), nodejs
#     (pyright, the typing test's second checker, runs on it), nginx-light and valgrind (the
#     benchmarks' smoke run: loopback rows against nginx, instruction counts under
#     callgrind) and chromium with chromium-driver (the sandbox console's browser test); if
#     chromium cannot be installed, WXCORE_NO_CHROMIUM says why and that one test skips;
#  2. a virtualenv in .venv with wxcore installed editable plus its test extras;
#  3. pytest; "no tests collected" (exit 5) counts as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || missing="$missing nginx-light"
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }; then
        export WXCORE_NO_CHROMIUM="apt-get install chromium chromium-driver failed"
        echo "warning: $WXCORE_NO_CHROMIUM; the browser test will skip" >&2
    fi
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
