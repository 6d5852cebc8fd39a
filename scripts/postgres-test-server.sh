#!/bin/sh
# A throwaway PostgreSQL 15 server for the tests: a new cluster in a temporary directory, on a free loopback
# port, with one database; nothing of it outlives `stop`.
#
#   sh scripts/postgres-test-server.sh start [--owner-pid PID]
#       Creates and starts the server; prints shell assignments to eval:
#       WIPPY_TEST_POSTGRES_URL=postgres://... and WIPPY_TEST_POSTGRES_DIR=/tmp/...
#       With --owner-pid, the server is stopped and deleted once process PID has ended.
#   sh scripts/postgres-test-server.sh stop DIR
#       Stops the server started in DIR and deletes DIR.
#   sh scripts/postgres-test-server.sh run COMMAND [ARG...]
#       Starts a server, runs COMMAND with WIPPY_TEST_POSTGRES_URL set, stops the server whatever COMMAND
#       did (also on Ctrl-C), and exits with COMMAND's status.
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (Debian's package
# creates it); otherwise as the current user. Needs Debian's postgresql-15 (`make deps` installs it).
set -eu

PGBIN=${WIPPY_PGBIN:-/usr/lib/postgresql/15/bin}
SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
DATABASE=wippy_test

as_server_user() {
    if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if [ ! -x "$PGBIN/initdb" ]; then
        echo "postgres-test-server: $PGBIN/initdb not found; install PostgreSQL 15 (apt-get install postgresql-15, or make deps)" >&2
        exit 1
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/wippy-postgres.XXXXXX")
    if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; fi
    as_server_user "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1
    }
    # A port can be taken between the probe and the server's bind: try a few.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=128MB" \
            start >/dev/null 2>&1; then
            break
        fi
        port=""
    done
    if [ -z "$port" ]; then
        echo "postgres-test-server: the server did not start:" >&2
        cat "$dir/server.log" >&2 || true
        rm -rf "$dir"
        exit 1
    fi
    echo "$port" >"$dir/port"
    as_server_user "$PGBIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE $DATABASE" >/dev/null
    if [ -n "${owner:-}" ]; then
        # Stops the server once the owner has gone (a test run that started it itself).
        nohup sh -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; sh '$SCRIPT' stop '$dir'" >/dev/null 2>&1 &
    fi
    echo "WIPPY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/$DATABASE"
    echo "WIPPY_TEST_POSTGRES_DIR=$dir"
}

stop() {
    dir=$1
    case $dir in
        */wippy-postgres.*) ;;
        *) echo "postgres-test-server: $dir is not a directory this script made" >&2; exit 1 ;;
    esac
    if [ -d "$dir/data" ]; then
        as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
    start)
        owner=""
        if [ "${1:-}" = "--owner-pid" ]; then owner=$2; fi
        start
        ;;
    stop)
        stop "$1"
        ;;
    run)
        assignments=$(start)
        eval "$assignments"
        export WIPPY_TEST_POSTGRES_URL
        trap 'stop "$WIPPY_TEST_POSTGRES_DIR"' EXIT
        trap 'exit 130' INT TERM
        echo "PostgreSQL test server at $WIPPY_TEST_POSTGRES_URL"
        status=0
        "$@" || status=$?
        exit $status
        ;;
    *)
        echo "usage: $0 start [--owner-pid PID] | stop DIR | run COMMAND [ARG...]" >&2
        exit 2
        ;;
esac
