#!/usr/bin/env python3
"""Benchmarks bqflat on generated projects: median wall time and peak RSS over repeated runs.

    benches/run.py [--sizes 100,1000,10000] [--runs 3] [--bqflat target/release/bqflat]

For each size N it generates a project (benches/generate.py) and measures, for `build` and `plan`:
cold (empty output folder), no-change (output current) and one-change (one spec edited). Peak RSS
comes from wait4's rusage of each child, so runs never share a number.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def measure(cmd, cwd):
    """(seconds, peak RSS in MiB) of one run; fails loudly when the command fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):  # plan --detailed-exitcode says 2 for "changes"
        sys.exit(f"{' '.join(cmd)} exited {code}: {proc.stderr.read().decode()}")
    proc.stderr.close()
    return elapsed, usage.ru_maxrss / 1024


def edit_one(project):
    """Appends a param to the first spec (a one-spec change)."""
    spec = sorted(os.listdir(os.path.join(project, "events")))[0]
    with open(os.path.join(project, "events", spec), "a") as f:
        f.write("  - {key: bench_change_%d, type: string}\n" % time.perf_counter_ns())


def bench(bqflat, n, runs, work):
    project = os.path.join(work, f"p{n}")
    subprocess.run([sys.executable, os.path.join(HERE, "generate.py"), str(n), project], check=True)
    out = os.path.join(project, "build")
    results = {}

    def series(name, prepare, cmd):
        samples = []
        for _ in range(runs):
            prepare()
            samples.append(measure(cmd, project))
        results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))

    build = [bqflat, "build", "."]
    plan = [bqflat, "plan", ".", "--detailed-exitcode"]
    series("build cold", lambda: shutil.rmtree(out, ignore_errors=True), build)
    series("build no-change", lambda: None, build)
    series("plan no-change", lambda: None, plan)

    def one_change_plan():
        edit_one(project)

    series("plan one-change", one_change_plan, plan)

    def one_change_build():
        edit_one(project)

    series("build one-change", one_change_build, build)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--bqflat", default=os.path.join(ROOT, "target", "release", "bqflat"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"bqflat benchmark: median of {args.runs} runs, peak RSS the largest; {os.cpu_count()} cores")
    print(f"{'events':>7}  {'work':<17} {'median s':>9} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory(prefix="bqflat-bench.") as work:
        for n in sizes:
            for name, (seconds, rss) in bench(args.bqflat, n, args.runs, work).items():
                print(f"{n:>7}  {name:<17} {seconds:>9.3f} {rss:>9.1f}", flush=True)


if __name__ == "__main__":
    main()
