#!/usr/bin/env bash
# Run the send, dispatch and Compliance Guard tests through a PgBouncer in transaction
# mode (its default, and what a pooled deployment runs), with Django's connection pool on
# and DATABASE_PREPARE_THRESHOLD=none, as README.md's configuration table advises.
#
#   bin/pgbouncer_test.sh [pytest arguments]     (default: the three suites)
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust authentication for the postgres user (as
# .ci/run and `make test` have it) and Redis (REDIS_URL, default redis://127.0.0.1:6379/15).
# Installs Debian's pgbouncer if missing, starts one on a free loopback port from 6432
# with a throw-away configuration, and stops it at the end. The test database
# (test_peachcomms_pgbouncer_<checkout>) is created through PgBouncer; it is dropped
# directly on PostgreSQL afterwards, since PgBouncer keeps server connections to it.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=127.0.0.1 PG_PORT=5432
DB_NAME=peachcomms_pgbouncer
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"

if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  echo "pgbouncer_test: installing pgbouncer"
  if ! apt-get install -y -q pgbouncer >/dev/null; then
    apt-get update -q >/dev/null && apt-get install -y -q pgbouncer >/dev/null
  fi
fi
PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)

port=6432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

dir=$(mktemp -d /tmp/pgbouncer_test.XXXXXX)
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
echo '"postgres" ""' >"$dir/userlist.txt"

# PgBouncer refuses to run as root; it runs as the postgres user where there is one.
run_as=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$dir"
  run_as=(runuser -u postgres --)
fi

stop() {
  if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
  sleep 0.5
  PGOPTIONS="-c client_min_messages=warning" psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q -c \
    "DROP DATABASE IF EXISTS \"$test_db\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
checkout=$(.venv/bin/python -c "import hashlib, pathlib; print(hashlib.sha256(str(pathlib.Path('.').resolve()).encode()).hexdigest()[:8])")
test_db="test_${DB_NAME}_${checkout}"
trap stop EXIT

"${run_as[@]}" "$PGBOUNCER" -d "$dir/pgbouncer.ini"
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo "pgbouncer_test: PgBouncer (transaction mode) on 127.0.0.1:$port"

# The application database must exist for Django to connect before it creates the test one.
psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1 ||
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -q -c \
  "DROP DATABASE IF EXISTS \"$test_db\" WITH (FORCE)" >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/$DB_NAME"
export DATABASE_POOL=true DATABASE_PREPARE_THRESHOLD=none
if [ "$#" = 0 ]; then
  set -- tests/interactions_send tests/interactions_dispatch tests/compliance
fi
# --reuse-db: pytest-django leaves the test database for stop() to drop (a DROP through
# PgBouncer would wait for its server connections to the database).
.venv/bin/pytest --reuse-db -q "$@"
