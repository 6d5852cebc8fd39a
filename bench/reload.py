#!/usr/bin/env python3
"""Hot-reload latency: time from saving a Lua file to the first call served by the new code.

Copies bench/reload (a service calling bench:version in a tight loop and logging `served <value>` when the
value changes) to a temporary directory, runs `wippy run` on it, rewrites version.lua N times with a new
value, and measures each save to the log line showing the new value. Prints `name value unit` lines:
    reload_latency_ms <median> ms
    reload_latency_p90_ms <p90> ms
Usage: python3 bench/reload.py path/to/wippy [N]
"""
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

def main():
    wippy = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    app = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reload")
    work = tempfile.mkdtemp(prefix="wippy-reload-bench-")
    root = os.path.join(work, "app")
    shutil.copytree(app, root)
    daemon = subprocess.Popen([wippy, "run"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    lines = queue.Queue()

    def read():
        for raw in daemon.stdout:
            lines.put((time.monotonic(), raw.decode(errors="replace")))
        lines.put((time.monotonic(), None))

    threading.Thread(target=read, daemon=True).start()

    def wait_for(*texts, timeout=10.0):
        """Waits until a line containing each text was seen; returns when the last one was."""
        missing = set(texts)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"reload bench: no {sorted(missing)} within {timeout} s")
            try:
                at, line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise SystemExit("reload bench: wippy exited")
            missing = {text for text in missing if text not in line}
            if not missing:
                return at

    path = os.path.join(root, "src", "version.lua")
    latencies = []
    try:
        # `runtime ready` comes once the watcher is on.
        wait_for("served v0", "runtime ready")
        for i in range(1, rounds + 1):
            text = f'local function version()\n    return "v{i}"\nend\n\nreturn {{ version = version }}\n'
            saved = time.monotonic()
            with open(path, "w") as f:
                f.write(text)
            served = wait_for(f"served v{i}")
            latencies.append((served - saved) * 1000)
            time.sleep(0.1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(work, ignore_errors=True)
    latencies.sort()
    median = latencies[len(latencies) // 2] if len(latencies) % 2 else sum(latencies[len(latencies) // 2 - 1:][:2]) / 2
    p90 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.9))]
    print(f"reload_latency_ms {median:.1f} ms")
    print(f"reload_latency_p90_ms {p90:.1f} ms")

main()
