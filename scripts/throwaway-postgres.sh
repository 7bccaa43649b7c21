#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL server on 127.0.0.1 for tests and CI.
#
#   eval "$(scripts/throwaway-postgres.sh start)"   # prints PG* exports
#   scripts/throwaway-postgres.sh stop "$GREENSTREAM_PG_DIR"
#
# initdb refuses to run as root, so as root the server runs as the `postgres`
# user. The data folder is a fresh temporary folder; `stop` removes it.
set -euo pipefail

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        if [[ -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
    done
    command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)" && return 0
    echo "PostgreSQL server binaries not found: install them (apt-get install postgresql)" >&2
    return 1
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    local bin dir port
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/greenstream-pg.XXXXXX)
    chmod 755 "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    port=$(free_port)
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
        || { cat "$dir/server.log" >&2; return 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres greenstream
    echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGPASSWORD= PGDATABASE=greenstream GREENSTREAM_PG_DIR=$dir"
}

stop() {
    local dir=${1:-${GREENSTREAM_PG_DIR:-}} bin
    [[ -n "$dir" && -d "$dir/data" ]] || return 0
    bin=$(pg_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: $0 start | stop [DIR]" >&2; exit 2 ;;
esac
