#!/usr/bin/env python3
"""Boot time with a long registry history: `wippy run -x` on a project whose .wippy/registry.db holds N versions.

Makes a small project in a temporary directory, records one version with the real binary (a registry
changeset from Lua), then copies that version's changeset into a chain of N versions with Python's sqlite3
(as N applies would have saved them, without N transactions). Times whole `wippy run -x app:noop` runs
(start, boot, exit). Prints `name value unit` lines:
    history_boot_empty_ms <median>        no history: the cost of starting at all
    history_boot_<N>_first_ms <ms>       N versions, no checkpoint yet (what every boot cost before checkpoints)
    history_boot_<N>_ms <median>         N versions, later boots
Usage: python3 bench/history.py path/to/wippy [N] [runs]
"""
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

INDEX = """version: "1.0"
namespace: app
entries:
  - name: terminal
    kind: terminal.host
  - name: settings
    kind: registry.entry
    level: 1
  - name: noop
    kind: process.lua
    source: 'return { main = function() return 0 end }'
  - name: bump
    kind: process.lua
    modules: [registry]
    source: |
      return { main = function()
        local c = registry.snapshot():changes()
        c:update({id = "app:settings", kind = "registry.entry", data = {level = 2}})
        assert(c:apply())
        return 0
      end }
"""


def run(wippy, root, entry):
    started = time.monotonic()
    subprocess.run([wippy, "run", "-x", entry], cwd=root, check=True, stdout=subprocess.DEVNULL)
    return (time.monotonic() - started) * 1000


def main():
    wippy = os.path.abspath(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    work = tempfile.mkdtemp(prefix="wippy-history-bench-")
    try:
        root = os.path.join(work, "app")
        os.makedirs(os.path.join(root, "src"))
        with open(os.path.join(root, "wippy.lock"), "w") as lock:
            lock.write("directories:\n    modules: .wippy\n    src: ./src\n")
        with open(os.path.join(root, "src", "_index.yaml"), "w") as index:
            index.write(INDEX)
        empty = statistics.median(run(wippy, root, "app:noop") for _ in range(runs))
        run(wippy, root, "app:bump")
        db = sqlite3.connect(os.path.join(root, ".wippy", "registry.db"))
        (data,) = db.execute("SELECT data FROM changesets WHERE version_id = 1").fetchone()
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "checkpoints" in tables:
            db.execute("DELETE FROM checkpoints")
        db.executemany("INSERT INTO versions (id, parent_id, created_at) VALUES (?, ?, 0)",
                       ((i, i - 1) for i in range(2, count + 1)))
        db.executemany("INSERT INTO changesets (version_id, data) VALUES (?, ?)", ((i, data) for i in range(2, count + 1)))
        db.execute("UPDATE metadata SET value = ? WHERE key = 'head'", (str(count),))
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        first = run(wippy, root, "app:noop")
        later = statistics.median(run(wippy, root, "app:noop") for _ in range(runs))
        print(f"history_boot_empty_ms {empty:.1f} ms")
        print(f"history_boot_{count}_first_ms {first:.1f} ms")
        print(f"history_boot_{count}_ms {later:.1f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
