#!/usr/bin/env bash
# System packages the test suite needs on a fresh Debian machine:
#   chromium + chromium-driver: real-browser map tests and PNG snapshots
#   fonts-noto-cjk: Chinese glyphs in browser screenshots and static renders
#   poppler-utils: pdftotext / pdftoppm for report tests
#   postgresql + postgresql-15-postgis-3: the PostgreSQL/PostGIS backend (issue #11); the tests start
#     their own throwaway cluster with initdb/pg_ctl from /usr/lib/postgresql/15/bin (nothing needs to run)
# Runs apt-get as root, or through sudo when available. Idempotent.
set -euo pipefail
PKGS=(chromium chromium-driver fonts-noto-cjk poppler-utils postgresql postgresql-15-postgis-3)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${PKGS[*]}"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
