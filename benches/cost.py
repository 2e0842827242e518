#!/usr/bin/env python3
"""What a run of 1, 5, 20 and 100 tables is billed, by `bqflat cost`: `_run.sql` against the
per-table scripts, each as a multiple of one pass over the columns the tables need on the days a
run reads.

Each project has N incremental tables of one export, each its own event with three params
(string, int64, float64) and the default columns. The profile is the built-in one's leaf sizes
(1,000,000 events a day, 400 days) with 100 benchmark events of 5,000 rows a day each. Prints a
markdown table, then the statements that make up `_run.sql` beyond the one pass.

    python3 benches/cost.py [--sizes 1,5,20,100] [--bqflat target/debug/bqflat]
"""
import argparse
import collections
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVENTS = 100
EVENT_ROWS = 5000


def profile():
    with open(os.path.join(ROOT, "src", "cost", "default_profile.json")) as f:
        p = json.load(f)
    p["description"] = f"benchmark: the built-in leaf sizes, {EVENTS} events of {EVENT_ROWS:,} rows a day"
    p["events_per_day"] = {f"bench_{i:03d}": EVENT_ROWS for i in range(EVENTS)}
    p["events_per_day"]["other"] = p["rows_per_day"] - EVENTS * EVENT_ROWS
    p["unlisted_event_rows_per_day"] = 0
    return p


def project(n, out):
    os.makedirs(os.path.join(out, "events"))
    with open(os.path.join(out, "bqflat.yaml"), "w") as f:
        f.write("project: bench-project\nsource_dataset: analytics_123\ntarget_dataset: flat\n"
                "mode: incremental\nlookback: 3d\n")
    for i in range(n):
        with open(os.path.join(out, "events", f"bench_{i:03d}.yaml"), "w") as f:
            f.write(f"event: bench_{i:03d}\nparams:\n"
                    f"  - {{key: label_{i}, type: string}}\n"
                    f"  - {{key: count_{i}, type: int64}}\n"
                    f"  - {{key: value_{i}, type: float64}}\n")


def gib(n):
    return f"{n / 2**30:,.2f} GiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,5,20,100")
    ap.add_argument("--bqflat", default=os.path.join(ROOT, "target", "debug", "bqflat"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    extra = {}
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "profile.json")
        with open(path, "w") as f:
            json.dump(profile(), f)
        for n in sizes:
            out = os.path.join(work, f"p{n}")
            project(n, out)
            run = subprocess.run([args.bqflat, "cost", out, "--profile", path, "--format", "json"],
                                 capture_output=True, text=True, check=True)
            doc = json.loads(run.stdout)
            for scenario in ["typical", "first"]:
                s = doc["scenarios"][scenario]
                one, whole, tables = s["one_pass_bytes"], s["run"]["bytes"], s["table_scripts"]["bytes"]
                rows.append((n, scenario, one, whole, tables))
                if scenario == "typical":
                    least = doc["min_bytes_per_table"]
                    at_min = [st for st in s["run"]["statements"]
                              if st["billed"] == least * st["times"] * len(st["reads"])]
                    beyond = [st for st in s["run"]["statements"]
                              if not st["what"].startswith("scan") and st not in at_min]
                    by = collections.Counter()
                    for st in beyond:
                        by[st["what"]] += st["billed"]
                    extra[n] = (sum(st["times"] * len(st["reads"]) for st in at_min),
                                sum(st["billed"] for st in at_min), by)
    print("| tables | run | one pass | `_run.sql` | ratio | per-table scripts | ratio |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, scenario, one, whole, tables in rows:
        print(f"| {n} | {scenario} | {gib(one)} | {gib(whole)} | {whole / one:.3f}× | {gib(tables)} | {tables / one:.2f}× |")
    print()
    print("`_run.sql` beyond its scan, typical run:")
    for n, (count, billed, by) in extra.items():
        top = ", ".join(f"{what} {gib(b)}" for what, b in by.most_common(3))
        print(f"- {n} tables: {count} table reads billed BigQuery's 10 MiB minimum ({gib(billed)}); "
              f"the rest {gib(sum(by.values()))}: {top or 'none'}")


if __name__ == "__main__":
    main()
