#!/usr/bin/env python3
"""The recovery workload of shared/bench/workflows on our engine: N workflows x 20 steps with a 0.1 s durable
sleep between steps; when half the step executions are done, kill -9 wippy, restart it, and time from the
restart until every workflow is complete. Prints wf_recovery_s, wf_recovery_ok, wf_recovery_step_reruns.

    python3 bench/workflows.py WIPPY [N]
"""
import os, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time

wippy = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
steps = 20
here = os.path.dirname(os.path.abspath(__file__))
root = tempfile.mkdtemp(prefix="wfbench-recovery-")
shutil.copytree(os.path.join(here, "workflows", "src"), os.path.join(root, "src"))
shutil.copy(os.path.join(here, "workflows", "wippy.lock"), root)
index_path = os.path.join(root, "src", "_index.yaml")
with open(index_path) as index:
    base_index = index.read()
with open(index_path, "a") as index:
    index.write(f"""
  - name: recovery_starter.service
    kind: process.service
    process: recovery_starter
    host: wfbench:processes
    input: [{n}]
    lifecycle: {{auto_start: true, depends_on: [wfbench:workflows]}}
""")

step_line = re.compile(r"wfstep (rec-\d+) (\d+)")
done_line = re.compile(r"wfdone (rec-\d+) (\d+)")
started_line = re.compile(r"wfstarted \d+")


class Run:
    """wippy run in the project, its merged output read line by line on a thread. The lines are matched once,
    as they arrive (the waits look at counts: rescanning every line per new line is quadratic, and with
    10 000 workflows the harness, not the runtime, was what took minutes)."""

    def __init__(self):
        self.lines = []
        self.steps = 0
        self.started = 0
        self.done = set()
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([wippy, "run", "--history", "memory"], cwd=root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.proc.stdout:
            step, done, started = step_line.search(line), done_line.search(line), started_line.search(line)
            with self.cond:
                self.lines.append(line)
                self.steps += 1 if step else 0
                self.started += 1 if started else 0
                if done:
                    self.done.add(done.group(1))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait(self, predicate, limit):
        deadline = time.monotonic() + limit
        with self.cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not predicate(self):
                    return False
                self.cond.wait(min(left, 1.0))
        return True


first = Run()
half = n * steps // 2
if not first.wait(lambda run: run.started >= 1 and run.steps >= half, 300):
    sys.stderr.write("# recovery: the first run never reached half its steps\n" + "".join(first.lines[-20:]))
    first.proc.kill()
    sys.exit(1)
first.proc.send_signal(signal.SIGKILL)
first.proc.wait()
# The restarted runtime only recovers: the starter ran once (as the anchors' drivers start workflows once).
with open(index_path, "w") as index:
    index.write(base_index)
done_before = set(first.done)

start = time.monotonic()
second = Run()
finished = second.wait(lambda run: len(done_before | run.done) >= n, 120)
elapsed = time.monotonic() - start
second.proc.send_signal(signal.SIGTERM)
try:
    second.proc.wait(timeout=30)
except subprocess.TimeoutExpired:
    second.proc.kill()

executions = [(m.group(1), int(m.group(2))) for run in (first, second) for line in run.lines for m in [step_line.search(line)] if m]
executed = set(executions)
ok = finished
db = sqlite3.connect(os.path.join(root, ".wippy", "workflows.db"))
rows = db.execute("SELECT workflow_id, status, COUNT(*) FROM workflow_runs GROUP BY workflow_id, status").fetchall()
completed = {wf for wf, status, runs in rows if status == "completed" and runs == 1}
ok = ok and len(completed) == n and len(rows) == n
for wf in (f"rec-{i}" for i in range(1, n + 1)):
    run_id = db.execute("SELECT id FROM workflow_runs WHERE workflow_id = ?", (wf,)).fetchone()
    results = db.execute("SELECT COUNT(*) FROM workflow_journal WHERE run = ? AND kind = 'result'", (run_id[0],)).fetchone()[0] if run_id else 0
    # 20 logged steps and the final report, each answered once
    ok = ok and results == steps + 1 and all((wf, i) in executed for i in range(1, steps + 1))
db.close()
print(f"wf_recovery_s {elapsed:.3f} s")
print(f"wf_recovery_ok {1 if ok else 0} bool")
print(f"wf_recovery_step_reruns {len(executions) - n * steps} steps")
if not ok:
    sys.stderr.write(f"# recovery: {len(completed)} of {n} completed once; rows {rows[:5]}\n")
shutil.rmtree(root, ignore_errors=True)
