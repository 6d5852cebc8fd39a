#!/bin/sh
# The `http` workload: `wippy run` on bench/http (GET /hello answered by a Lua function), loaded with wrk
# from this machine; prints http_hello_rps, http_hello_p50_ms, http_hello_p99_ms (the metric names of
# ../shared/bench/http, whose compare.sh sets the same project beside bare Hummingbird and Go net/http).
# Then http_idle_conn_kb, the memory each idle keep-alive connection costs (bench/http_idle.py).
#   sh bench/http.sh WIPPY [seconds]        HTTP_BENCH_PORT (18090), HTTP_BENCH_CONNS (50), HTTP_BENCH_THREADS (2)
set -eu
WIPPY=$1
SECS=${2:-10}
PORT=${HTTP_BENCH_PORT:-18090}
CONNS=${HTTP_BENCH_CONNS:-50}
THREADS=${HTTP_BENCH_THREADS:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null 2>&1 || { echo "# http_hello_*: skipped (wrk is not installed: apt-get install wrk)"; exit 0; }
command -v curl >/dev/null 2>&1 || { echo "# http_hello_*: skipped (curl is not installed)"; exit 0; }
cd "$HERE/http"
rm -rf .wippy
HTTP_BENCH_ADDR=127.0.0.1:$PORT "$WIPPY" run --history memory >/tmp/wippy-http-bench.$$.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$HERE/http/.wippy" /tmp/wippy-http-bench.$$.log' EXIT
# Bounded wait for the port (at most 60 s).
tries=0
until body=$(curl -sf "http://127.0.0.1:$PORT/hello" 2>/dev/null); do
    tries=$((tries + 1))
    if [ $tries -gt 600 ] || ! kill -0 $SERVER 2>/dev/null; then
        echo "http bench: the server did not answer on port $PORT" >&2
        cat /tmp/wippy-http-bench.$$.log >&2
        exit 1
    fi
    sleep 0.1
done
[ "$body" = '{"message":"hello world"}' ] || { echo "http bench: unexpected body $body" >&2; exit 1; }
line=$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$HERE/http/report.lua" "http://127.0.0.1:$PORT/hello" | grep '^result ')
value() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
echo "http_hello_rps $(value rps) req/s"
echo "http_hello_p50_ms $(value p50_ms) ms"
echo "http_hello_p99_ms $(value p99_ms) ms"
errors=$(( $(value non2xx) + $(value sockerr) ))
[ "$errors" = 0 ] || echo "http_hello_errors $errors count"
# Memory per idle keep-alive connection: 1000 connections that each got one answer, held open.
python3 "$HERE/http_idle.py" $SERVER "$PORT" "${HTTP_BENCH_IDLE_CONNS:-1000}"
