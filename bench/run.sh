#!/bin/sh
# Runs the benchmark workloads with the given wippy binary; prints `name value unit` lines, the same metric
# names as shared/bench/erlang, so that `sh ../shared/bench/compare.sh 'make -s bench'` can compare them.
#   sh bench/run.sh .build/release/wippy [workload...]
# Not in the default list: ring_far and pingpong_far, the ring and ping-pong with every message crossing
# between the host's two workers (ring_far_msgs, pingpong_far_roundtrips; see bench/app/src/run.lua).
set -eu
WIPPY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
cd "$(dirname "$0")/app"
WORKLOADS=${*:-"spawn_wait ring pingpong timers churn compute registry_find registry_event reload history store_queue"}
for workload in $WORKLOADS; do
    case $workload in
        # Hot reload: save a Lua file, time until the first call served by the new code (bench/reload.py).
        reload) python3 ../reload.py "$WIPPY" 20 ;;
        # Boot with 100 000 recorded registry versions, before and after the first checkpoint (bench/history.py).
        history) python3 ../history.py "$WIPPY" 100000 5 ;;
        # Durable workflows (shared/bench/workflows): latency, sequential and concurrent steps, parked
        # memory on the embedded engine (bench/workflows), then kill -9 recovery (bench/workflows.py).
        workflows)
            (cd ../workflows && rm -rf .wippy && for w in latency seq concurrent park evicted; do
                "$WIPPY" run --history memory -x wfbench:run $w || exit 1; rm -rf .wippy; done)
            python3 ../workflows.py "$WIPPY" "${WFBENCH_RECOVERY_N:-100}" ;;
        # HTTP (shared/bench/http): GET /hello served by a Lua endpoint, loaded with wrk (bench/http.sh).
        http) sh ../http.sh "$WIPPY" "${HTTP_BENCH_SECS:-10}" ;;
        # store.memory get/set and queue publish -> consume throughput (bench/storequeue).
        store_queue) (cd ../storequeue && "$WIPPY" run --history memory -x sqbench:run) ;;
        # SQL (shared/bench/sql): SQLite point selects and inserts, then PostgreSQL when PGHOST is set (that
        # script's throwaway server). SKIP_SQLITE_PROJECT / SKIP_PG_PROJECT leave one group out.
        sql)
            (cd ../sql && rm -rf .wippy
             dir=${SQLBENCH_SQLITE_DIR:-$(mktemp -d)}
             if [ "${SKIP_SQLITE_PROJECT:-0}" != 1 ]; then
                 SQLBENCH_SQLITE_DIR="$dir" "$WIPPY" run --history memory -x sqlbench:run sqlite "${SQLITE_SECS:-3}" || exit 1
             fi
             if [ "${SKIP_PG_PROJECT:-0}" != 1 ]; then
                 if [ -n "${PGHOST:-}" ]; then
                     SQLBENCH_SQLITE_DIR="$dir" "$WIPPY" run --history memory -x sqlbench:run pg "${SQLBENCH_PG_SECS:-5}" || exit 1
                 else
                     echo "# lua_pg_*: skipped (no PGHOST; run through shared/bench/sql/run.sh)"
                 fi
             fi
             [ -n "${SQLBENCH_SQLITE_DIR:-}" ] || rm -rf "$dir"; rm -rf .wippy) ;;
        # fib(30) in a process, then the same Lua file in the stock interpreter (target: ratio at most 1.1).
        compute)
            "$WIPPY" run --history memory -x bench:run compute 30 5
            if command -v lua5.4 >/dev/null 2>&1; then python3 ../compute.py src/fib.lua 30 5
            else echo "# compute_fib30_lua_ms: skipped (no lua5.4)"; fi ;;
        *) "$WIPPY" run --history memory -x bench:run "$workload" ;;
    esac
done
