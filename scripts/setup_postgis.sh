#!/usr/bin/env bash
# Prepare PostgreSQL 15 + PostGIS 3 for onemap: install, start, create the databases.
# Idempotent; run as root. Assumes trust auth for user postgres on 127.0.0.1 (the Debian default
# for local development); production deployments configure their own roles.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
DATABASES=(onemap onemap_test)
PACKAGE=postgresql-15-postgis-3

say() { echo "[setup_postgis] $*"; }

if dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q "install ok installed"; then
    say "$PACKAGE 已安装"
else
    say "安装 $PACKAGE ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y "$PACKAGE"
fi

if pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    say "PostgreSQL 已在 $PG_HOST:$PG_PORT 运行"
else
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    say "启动 PostgreSQL $version ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
        sleep 1
    done
    pg_isready -h "$PG_HOST" -p "$PG_PORT"
fi

export PGOPTIONS="-c client_min_messages=warning"
psql_as() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -qAt "$@"
}

for db in "${DATABASES[@]}"; do
    if [[ "$(psql_as -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" == "1" ]]; then
        say "数据库 $db 已存在"
    else
        say "创建数据库 $db"
        psql_as -d postgres -c "CREATE DATABASE \"$db\""
    fi
    psql_as -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
    say "数据库 $db: PostGIS $(psql_as -d "$db" -c 'SELECT postgis_lib_version()')"
done

say "完成"
