#!/usr/bin/env bash
# Set up everything onemap needs on a fresh Debian 12 machine: system packages, a running PostgreSQL
# with PostGIS, and the Python virtual environment. Idempotent: re-running only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(postgresql-15-postgis-3 fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils gdal-bin python3-qgis qgis-providers chromium wrk mosquitto)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2; exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash scripts/setup_postgis.sh
bash scripts/setup_mosquitto.sh

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.onemap-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi
bash scripts/build_web.sh
echo "setup: ready"
