#!/usr/bin/env bash
# Build the 一张图 front end (web/) into onemap/api/webapp_dist, served by `onemap serve` at /app/.
# Idempotent: skipped when the build is newer than every source (web/, the standards tables it reads).
set -euo pipefail
cd "$(dirname "$0")/.."

out=onemap/api/webapp_dist/index.html
sources=(web/package.json web/package-lock.json web/vite.config.js web/index.html web/src web/scripts
         onemap/standards/data/sandiao_dltb_fields.csv onemap/standards/data/plan_db_fields.csv
         onemap/standards/data/sandiao_landuse_codes.csv onemap/services/tiles/data/sandiao_colors.csv
         onemap/standards/data/region_fields.csv)
if [ -f "$out" ] && [ -z "$(find "${sources[@]}" -newer "$out" -not -path 'web/src/generated/*' -print -quit)" ]; then
  echo "build_web: up to date"; exit 0
fi
command -v npm >/dev/null || { echo "build_web: npm (Node ≥ 20) is required" >&2; exit 1; }
python=.venv/bin/python; [ -x "$python" ] || python=python3
"$python" web/scripts/gen_standards.py web/src/generated/standards.json
cd web
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx --no-install vite build --logLevel warn
echo "build_web: built onemap/api/webapp_dist"
