"""Compiles a dbt project bqflat generated with the real dbt (dbt-core + dbt-bigquery, pinned in
requirements.txt), offline, and writes the BigQuery scripts dbt would run for each model into the
layout the ZetaSQL harness reads:

  <gen>/bigquery/<model>.sql               first run: the model's SQL header, then
                                           CREATE OR REPLACE TABLE … AS (compiled model)
  <gen>/bigquery/incremental/<model>.sql   later runs, as dbt-bigquery's `insert_overwrite` with
                                           static `partitions` and `on_schema_change: ignore` runs
                                           them: the SQL header and one MERGE (dbt-core's
                                           `get_insert_overwrite_merge_sql`: `on FALSE`, rows of the
                                           listed partitions deleted, the model's rows inserted);
                                           then the model's post-hooks; then the compiled data tests

  python dbt_sql.py <build> <gen>

<gen>/manifest.json lists each first-run script with bqflat's description of the table (plus the
row key column when the model merges on one), so the harness checks the columns the compiled model
creates and evaluates its param-key literals as it does for the BigQuery target.

dbt needs a connection profile to compile: a service-account profile with a key made here (never
used: `--no-populate-cache` and nothing in the models queries the warehouse at compile time).
`is_incremental()` asks the warehouse, so a project macro answers it from a var instead.
Exits 1 when dbt parse or compile fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

IS_INCREMENTAL = "{% macro is_incremental() %}{{ return(var('bqflat_incremental', false)) }}{% endmacro %}\n"
# dbt keeps the rendered SQL header in the run's config only; this override of dbt's own macro
# also writes it into the compiled model between markers, where the harness takes it from.
HEADER_BEGIN, HEADER_END = "-- bqflat-check: sql_header begin\n", "\n-- bqflat-check: sql_header end\n"
SET_SQL_HEADER = ("{% macro set_sql_header(config) -%}{%- set header = caller() -%}{{ config.set('sql_header', header) }}"
                  + HEADER_BEGIN.replace("\n", "\n") + "{{ header }}" + HEADER_END.replace("\n", "\n") + "{%- endmacro %}\n")


ROW_KEY = "bqflat_row_key"
BASE_DIR = "models/bqflat/"


def split_header(sql: str) -> tuple[str, str]:
    """The SQL header and the model's query, from a model compiled with SET_SQL_HEADER."""
    if HEADER_BEGIN not in sql:
        return "", sql
    before, rest = sql.split(HEADER_BEGIN, 1)
    header, after = rest.split(HEADER_END, 1)
    return header.strip() + "\n", before + after


def environments(prod: dict, work: Path, run) -> bool:
    """README "dbt environments": under the `prod` target bqflat's models write the datasets and
    projects they name; under `dev`, `<dataset>_dev` in the target's project; other models keep
    dbt's defaults. Data tests on a table that requires a partition filter carry one."""
    if not run("parse", "--target", "dev"):
        return False
    dev = json.loads((work / "target" / "manifest.json").read_text())
    problems = []
    for uid, node in prod["nodes"].items():
        if node["resource_type"] != "model" or "bqflat" not in node["tags"]:
            continue
        want = node["config"]["schema"]
        d = dev["nodes"][uid]
        if node["schema"] != want or d["schema"] != f"{want}_dev" or d["database"] != "bqflat-check":
            problems.append(f"{uid}: prod {node['database']}.{node['schema']}, dev {d['database']}.{d['schema']} (configured {want})")
        if node["config"].get("require_partition_filter"):
            for t in prod["nodes"].values():
                if t["resource_type"] == "test" and uid in t["depends_on"]["nodes"] and not t["config"].get("where"):
                    problems.append(f"{t['unique_id']}: no partition filter on a table that requires one")
    if problems:
        print("dbt environments:\n" + "\n".join(problems), file=sys.stderr)
    else:
        print(f"dbt: dev and prod targets write their own datasets ({sum(1 for n in prod['nodes'].values() if 'bqflat' in n.get('tags', []))} bqflat nodes)", file=sys.stderr)
    return not problems


def main() -> int:
    build, gen = Path(sys.argv[1]), Path(sys.argv[2])
    project = build / "dbt"
    described = {e["table"]["table"]: e["table"]
                 for e in json.loads((build / "manifest.json").read_text())["artifacts"] if e.get("table")}
    dbt = Path(sys.executable).parent / "dbt"
    with tempfile.TemporaryDirectory(prefix="bqflat-dbt.") as tmp:
        work = Path(tmp) / "project"
        shutil.copytree(project, work)
        (work / "profiles.yml").unlink(missing_ok=True)
        (work / "macros" / "bqflat_check_is_incremental.sql").write_text(IS_INCREMENTAL)
        (work / "macros" / "bqflat_check_sql_header.sql").write_text(SET_SQL_HEADER)
        profiles = Path(tmp) / "profiles"
        profiles.mkdir()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        (profiles / "key.json").write_text(json.dumps({
            "type": "service_account", "project_id": "bqflat-check", "private_key_id": "0",
            "private_key": pem, "client_email": "check@bqflat-check.iam.gserviceaccount.com",
            "client_id": "0", "token_uri": "https://oauth2.googleapis.com/token"}))
        output = lambda dataset: ("      type: bigquery\n      method: service-account\n"  # noqa: E731
                                  f"      keyfile: {profiles / 'key.json'}\n"
                                  f"      project: bqflat-check\n      dataset: {dataset}\n      threads: 1\n")
        (profiles / "profiles.yml").write_text(
            "bqflat:\n  target: prod\n  outputs:\n"
            f"    prod:\n{output('bqflat_check')}    dev:\n{output('bqflat_check_dev')}")
        env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_PROFILES_DIR=str(profiles),
                   DBT_USE_COLORS="false")
        env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)

        def run(*args: str) -> bool:
            out = subprocess.run([str(dbt), *args], cwd=work, env=env, capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                print(f"dbt {' '.join(args)} failed:\n{out.stdout}{out.stderr}", file=sys.stderr)
            return out.returncode == 0

        if not run("parse"):
            return 1
        compiled = work / "target" / "compiled" / "bqflat" / "models"
        variants = {}
        for name, var in (("first", "false"), ("later", "true")):
            shutil.rmtree(work / "target" / "compiled", ignore_errors=True)
            if not run("compile", "--no-populate-cache", "--vars", f"{{bqflat_incremental: {var}}}"):
                return 1
            variants[name] = {p.relative_to(compiled).as_posix(): p.read_text() for p in compiled.rglob("*.sql")}
        manifest = json.loads((work / "target" / "manifest.json").read_text())
        if not environments(manifest, work, run):
            return 1

    out = gen / "bigquery"
    (out / "incremental").mkdir(parents=True, exist_ok=True)
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    # The base models (models/bqflat/): one per export source, the only models that read it; every
    # other model reads its base, unless its table has a template of the project's own.
    bases = {n["unique_id"] for n in models if n["original_file_path"].startswith(BASE_DIR)}
    sources = {k: v["relation_name"] for k, v in manifest.get("sources", {}).items()}
    readers, problems = [], []
    for node in models:
        compiled_sql = variants["first"][f"{node['original_file_path'][len('models/'):]}"]
        deps = node["depends_on"]["nodes"]
        reads_source = [sources[d] for d in deps if d in sources]
        names_source = [r for r in sources.values() if r in compiled_sql]
        if names_source:
            readers.append(node["name"])
        reads_base = [d for d in deps if d in bases]
        if node["unique_id"] in bases and (len(reads_source) != 1 or reads_base):
            problems.append(f"base model {node['name']} reads {reads_source} and {reads_base}")
        elif node["unique_id"] not in bases and reads_base and (reads_source or names_source or len(reads_base) != 1):
            problems.append(f"model {node['name']} reads its base {reads_base} and the export {reads_source or names_source}")
    if problems:
        print("dbt: " + "; ".join(problems), file=sys.stderr)
        return 1
    base_runs = []
    artifacts = []
    views = 0
    for node in models:
        c = node["config"]
        relation = f"{node['database']}.{node['schema']}.{node['alias']}"
        target = f"`{relation}`"
        file = f"{node['name']}.sql"
        compiled_file = node["original_file_path"][len("models/"):]
        if c["materialized"] == "view":
            # The view over an event's tables of every source: analyzed after the tables it reads.
            (out / file).write_text(f"CREATE OR REPLACE VIEW {target} AS (\n{variants['first'][compiled_file]}\n);\n")
            artifacts.append({"path": f"bigquery/{file}", "view": relation})
            views += 1
            continue
        part = c["partition_by"]
        field = part["field"]
        partition = field if part["data_type"] == "date" else f"DATE({field})"
        cluster = f"\nCLUSTER BY {', '.join(c['cluster_by'])}" if c.get("cluster_by") else ""
        if node["unique_id"] in bases:
            # Its columns are the ones schema.yml documents, in order.
            columns = [{"name": name} for name in node["columns"]]
            base_runs.append({"name": node["name"], "relation": [node["database"], node["schema"], node["alias"]], "first": f"bigquery/{file}", "later": f"bigquery/incremental/{file}",
                              "models": sorted(n["name"] for n in models if node["unique_id"] in n["depends_on"]["nodes"])})
        else:
            table = described.get(relation)
            if table is None:
                print(f"dbt: model {node['name']} builds a table bqflat's manifest does not describe", file=sys.stderr)
                return 1
            # The model adds the row key column when the dedupe key needs one.
            extra = [{"name": ROW_KEY, "type": "STRING", "source": ""}] if f"AS {ROW_KEY}" in variants["first"][compiled_file] else []
            columns = table["columns"] + extra
            artifacts.append({"path": f"bigquery/{file}", "table": dict(table, columns=columns)})
        header, first = split_header(variants["first"][compiled_file])
        (out / file).write_text(
            f"{header}CREATE OR REPLACE TABLE {target}\nPARTITION BY {partition}{cluster}\nAS (\n{first}\n);\n")
        if c["materialized"] != "incremental":
            continue
        if c.get("incremental_strategy") != "insert_overwrite" or c.get("on_schema_change") != "ignore" or not c.get("partitions"):
            print(f"dbt: model {node['name']}: the harness renders insert_overwrite with static partitions and"
                  " on_schema_change: ignore only", file=sys.stderr)
            return 1
        header, later = split_header(variants["later"][compiled_file])
        names = [f"`{col['name']}`" for col in columns]
        # dbt-bigquery's PartitionConfig.render_wrapped(alias='DBT_INTERNAL_DEST').
        dest = f"DBT_INTERNAL_DEST.{field}"
        dest_partition = f"date({dest})" if part["data_type"] == "date" else f"timestamp(timestamp_trunc({dest}, day))"
        hooks = "".join(h["sql"].replace("{{ this }}", target).rstrip().rstrip(";") + ";\n" for h in c.get("post-hook", []))
        (out / "incremental" / file).write_text(
            f"{header}merge into {target} as DBT_INTERNAL_DEST\n    using (\n{later}\n    ) as DBT_INTERNAL_SOURCE\n"
            f"    on FALSE\n\nwhen not matched by source\n     and {dest_partition} in (\n"
            f"              {', '.join(c['partitions'])}\n          )\n    then delete\n\n"
            f"when not matched then insert\n    ({', '.join(names)})\nvalues\n    ({', '.join(names)});\n{hooks}")
    # The data tests (unique, not_null) query the built tables.
    tests = sorted(k for k in variants["first"] if k.startswith("schema.yml/"))
    for i, test in enumerate(tests):
        (out / "incremental" / f"zz_test_{i:03d}.sql").write_text(variants["first"][test].strip() + ";\n")
    (gen / "manifest.json").write_text(json.dumps({"artifacts": artifacts}, indent=1) + "\n")
    # What runs first (dbt builds a base before the models that ref it), and which models name the
    # export's relation: one dbt build reads the export in the base models only.
    (gen / "bases.json").write_text(json.dumps({"bases": base_runs, "export_readers": sorted(readers)}, indent=1) + "\n")
    print(f"dbt: {len(models)} models compiled in two variants ({len(bases)} base, {views} views), {len(tests)} data tests;"
          f" models reading the export: {', '.join(sorted(readers)) or 'none'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
