#!/usr/bin/env bash
# The browser tests drive Debian's chromium (no test tool can download a browser here).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/usr/lib/chromium/chromium}" ]; then exit 0; fi
echo "chromium is missing: installing Debian's package (needs root)"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
