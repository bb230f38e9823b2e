#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests and print the URL to use (source this file's output:
# `eval "$(bash .ci/postgres.sh start DIR)"` sets SFERUM_TEST_PG_URL). `stop DIR` stops it.
# The server binaries come from Debian's `postgresql` package (installed when none are found). initdb
# refuses to run as root, so as root the cluster belongs to the `postgres` user; the socket and the data
# live in DIR, the server listens on 127.0.0.1 only, on a free port.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a folder for the cluster}

bindir() {
    local found
    if command -v pg_config >/dev/null 2>&1; then
        found=$(pg_config --bindir)
        if [ -x "$found/initdb" ]; then echo "$found"; return; fi
    fi
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
    return 1
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
    bin=$(bindir) || {
        echo "PostgreSQL not found: installing Debian's postgresql package" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(bindir)
    }
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE sferum LOGIN CREATEDB" -c "CREATE DATABASE sferum OWNER sferum" >&2
    echo "export SFERUM_TEST_PG_URL=postgresql://sferum@127.0.0.1:$port/sferum"
    echo "export SFERUM_TEST_PG_BIN=$bin"
    ;;
stop)
    bin=$(bindir)
    if [ -d "$dir/data" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >&2 || true; fi
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
