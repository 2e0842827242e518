#!/usr/bin/env python3
"""Writes a realistic N-event bqflat project (and, with --dbt, the same tables as a dbt project).

Each event has 15 to 30 typed params, a third are incremental, a fifth explode items, most carry
user properties and clustering. The same seed gives the same project, so runs are comparable.

    benches/generate.py N DIR [--dbt DBT_DIR] [--seed 7]
"""
import argparse
import os
import random

TYPES = ["string", "int64", "float64", "bool", "number", "any"]
WORDS = ["page", "item", "level", "score", "session", "coupon", "campaign", "screen", "video",
         "button", "search", "term", "value", "currency", "method", "content", "step", "plan"]


def event_spec(rng, i):
    name = f"event_{i:05d}"
    params = []
    for j in range(rng.randint(15, 30)):
        params.append((f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{j}", rng.choice(TYPES)))
    spec = {
        "name": name,
        "mode": "incremental" if i % 3 == 0 else "full",
        "explode": i % 5 == 0,
        "params": params,
        "user_properties": [(f"{rng.choice(WORDS)}_tier_{k}", "string") for k in range(rng.randint(0, 3))],
        "cluster": rng.sample(["user_pseudo_id", "event_name", "platform", "geo.country"], rng.randint(0, 3)),
    }
    return spec


def write_bqflat(specs, out):
    os.makedirs(os.path.join(out, "events"), exist_ok=True)
    with open(os.path.join(out, "bqflat.yaml"), "w") as f:
        f.write("project: bench-project\nsource_dataset: analytics_123\ntarget_dataset: flat\nlookback: 3d\n")
    for s in specs:
        lines = [f"event: {s['name']}", f"mode: {s['mode']}", f"description: Bench table {s['name']}."]
        if s["explode"]:
            lines.append("items: explode")
        if s["cluster"]:
            lines.append("cluster_by: [" + ", ".join(s["cluster"]) + "]")
        lines.append("params:")
        lines += [f"  - {{key: {k}, type: {t}}}" for k, t in s["params"]]
        if s["user_properties"]:
            lines.append("user_properties:")
            lines += [f"  - {{key: {k}, type: {t}}}" for k, t in s["user_properties"]]
        with open(os.path.join(out, "events", f"{s['name']}.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")


DBT_VALUE = {
    "string": "p.value.string_value",
    "int64": "p.value.int_value",
    "float64": "coalesce(p.value.double_value, p.value.float_value)",
    "bool": "p.value.int_value <> 0",
    "number": "coalesce(cast(p.value.int_value as double), p.value.double_value, p.value.float_value)",
    "any": "coalesce(p.value.string_value, cast(p.value.int_value as varchar))",
}


def write_dbt(specs, out):
    """The same tables as dbt models (dbt-duckdb), with the usual Jinja: config, source, is_incremental."""
    os.makedirs(os.path.join(out, "models"), exist_ok=True)
    with open(os.path.join(out, "dbt_project.yml"), "w") as f:
        f.write("name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\nmodel-paths: [models]\n")
    with open(os.path.join(out, "profiles.yml"), "w") as f:
        f.write("bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ':memory:'\n")
    with open(os.path.join(out, "models", "sources.yml"), "w") as f:
        f.write("version: 2\nsources:\n  - name: ga4\n    schema: analytics_123\n    tables:\n      - name: events\n")
    for s in specs:
        cols = [
            "cast(e.event_date as date) as event_date",
            "to_timestamp(e.event_timestamp / 1000000) as event_ts",
            "e.user_pseudo_id",
        ]
        for k, t in s["params"] + s["user_properties"]:
            array = "e.user_properties" if (k, t) in s["user_properties"] else "e.event_params"
            cols.append(f"(select {DBT_VALUE[t]} from unnest({array}) as p where p.key = '{k}' limit 1) as {k}")
        materialized = "incremental" if s["mode"] == "incremental" else "table"
        body = [
            "{{ config(materialized='" + materialized + "', unique_key='event_key') }}",
            "select",
            "  " + ",\n  ".join(cols),
            "from {{ source('ga4', 'events') }} as e",
            f"where e.event_name = '{s['name']}'",
            "{% if is_incremental() %}",
            "  and e.event_timestamp >= (select max(event_ts) from {{ this }})",
            "{% endif %}",
        ]
        with open(os.path.join(out, "models", f"{s['name']}.sql"), "w") as f:
            f.write("\n".join(body) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--dbt")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    specs = [event_spec(rng, i) for i in range(args.n)]
    write_bqflat(specs, args.out)
    if args.dbt:
        write_dbt(specs, args.dbt)


if __name__ == "__main__":
    main()
