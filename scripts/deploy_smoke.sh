#!/usr/bin/env bash
# The steps of docs/deploy.md, run end to end against a PostgreSQL/PostGIS server.
#
#   bash scripts/deploy_smoke.sh SUPERUSER_URL WORKDIR
#
# SUPERUSER_URL  postgresql://postgres@HOST:PORT/postgres (the DBA's connection; trust or a password in the URL)
# WORKDIR        an empty folder for the sample files, the backup and the instance's PARKMAP_HOME
#
# It creates the roles parkmap_owner / parkmap_web and the databases parkmap / parkmap_restore on that server,
# so point it at a throwaway cluster (tests/geo/db/test_deploy.py does, in CI).  `parkmap` must be on PATH.
set -euo pipefail
SU="$1"
WORK="$2"
BASE="${SU%/*}"            # postgresql://postgres@HOST:PORT
HOSTPART="${BASE#*@}"      # HOST:PORT
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
mkdir -p "$WORK"
export PARKMAP_HOME="$WORK/home"

echo "== 1. DBA: owner, database, PostGIS, the app role (once, as a superuser)"
psql -v ON_ERROR_STOP=1 -q "$SU" <<'SQL'
CREATE ROLE parkmap_owner LOGIN;
CREATE DATABASE parkmap OWNER parkmap_owner;
CREATE ROLE parkmap_app NOLOGIN;
CREATE ROLE parkmap_web LOGIN IN ROLE parkmap_app;
SQL
psql -v ON_ERROR_STOP=1 -q "$BASE/parkmap" -c "CREATE EXTENSION postgis"

echo "== 2. owner: create the schema (run again after every upgrade of parkmap)"
parkmap db init --url "postgresql://parkmap_owner@$HOSTPART/parkmap"
parkmap db status --url "postgresql://parkmap_owner@$HOSTPART/parkmap"

echo "== 3. every app instance and CLI job: the app's login role"
export PARKMAP_DATABASE_URL="postgresql://parkmap_web@$HOSTPART/parkmap"
echo "admin-pass-2026" | parkmap users add admin --role admin --password-stdin
echo "plan-pass-2026" | parkmap users add li --role planner --password-stdin --user admin

echo "== 4. admin: import the official farmland layer (sample: a few embedded polygons)"
python - "$WORK" <<'PY'
import sys
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from geo.dataset import load_layer

work = Path(sys.argv[1])
farm = load_layer("farmland")
farm.iloc[:200][["geometry"]].assign(dlbm="0101").to_file(work / "永久基本农田.gpkg", engine="pyogrio")
c = farm.geometry.iloc[0].centroid
gpd.GeoDataFrame({"name": ["东扩"]}, geometry=[box(c.x - 0.01, c.y - 0.01, c.x + 0.01, c.y + 0.01)],
                 crs=4490).to_file(work / "proposal.geojson", engine="pyogrio")
PY
parkmap layers import "$WORK/永久基本农田.gpkg" --layer farmland --user admin
parkmap layers list

echo "== 5. planner: check and save a proposal against it"
set +e
parkmap check "$WORK/proposal.geojson" --zone S517041 --save --user li
rc=$?
set -e
[ "$rc" -le 1 ] || { echo "check failed with exit $rc"; exit 1; }
parkmap audit verify | tee "$WORK/verify.txt"
HEAD="$(grep -oE '#[0-9]+:[0-9a-f]{16}' "$WORK/verify.txt" | head -1 | tr -d '#')"

echo "== 6. backup (pg_dump) and a restore drill"
"$PGBIN/pg_dump" -Fc -f "$WORK/parkmap.dump" "$BASE/parkmap"
psql -v ON_ERROR_STOP=1 -q "$SU" -c "CREATE DATABASE parkmap_restore OWNER parkmap_owner"
"$PGBIN/pg_restore" --exit-on-error -d "$BASE/parkmap_restore" "$WORK/parkmap.dump"
PARKMAP_DATABASE_URL="postgresql://parkmap_web@$HOSTPART/parkmap_restore" parkmap audit verify --head "$HEAD"
parkmap db status --url "postgresql://parkmap_owner@$HOSTPART/parkmap_restore"
echo "deploy smoke: ok"
