"""Tier 2 of the SQL conformance suite: execute the generated BigQuery scripts on DuckDB and check
the rows they compute against expectations derived independently (expected.py) from fixture
data (data.py).

Usage: run.py --bqflat target/release/bqflat --work DIR [--only NAME] [--trace]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import duckdb
import yaml

import bqscript
import data
import expected as X
import ga4
import interp_checks
import lifecycle as L

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
BQFLAT_VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
DUCK_TO_BQ = {
    "VARCHAR": "STRING",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "DOUBLE": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
}


# ------------------------------------------------------------------------------------------------
# Results


class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.failures: list[str] = []  # names of the failed checks (--mutations compares them)
        self.details: dict[str, str] = {}  # failed check -> its detail
        self.files: set[str] = set()
        self.statements = 0
        self.script_runs = 0
        self.current_file = ""  # the script that ran last

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"  ok   {name}")
        else:
            self.failed += 1
            self.failures.append(name)
            self.details[name] = detail
            print(f"  FAIL {name}")
            if self.current_file and self.current_file not in detail:
                detail = f"after running {self.current_file}\n{detail}"
            for line in detail.rstrip().splitlines():
                print(f"       {line}")
        return ok


R = Results()


# ------------------------------------------------------------------------------------------------
# Helpers


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def tref(project: str, dataset: str, table: str) -> str:
    return f"{q(project)}.{q(dataset)}.{q(table)}"


def new_connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # BigQuery's TIMESTAMP is UTC; DuckDB converts TIMESTAMPTZ with the session zone.
    con.execute("SET TimeZone = 'UTC'")
    return con


def build(project_dir: Path, out: Path, bqflat: str) -> dict[str, Path]:
    res = subprocess.run([bqflat, "build", str(project_dir), "--out", str(out)], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"bqflat build {project_dir} failed:\n{res.stdout}\n{res.stderr}")
    manifest = json.loads((out / "manifest.json").read_text())
    files = {}
    for a in manifest["artifacts"]:
        key = a["table"]["table"] if "table" in a else a["path"]
        files[key] = out / a["path"]
    return files


# --mutations: (name, regex, replacement) applied to the generated SQL, each a plausible template
# bug; the suite must fail on every one of them.
MUTATIONS = [
    ("param: last entry wins", r"ORDER BY o LIMIT 1", "ORDER BY o DESC LIMIT 1"),
    ("float64: float before double", r"COALESCE\(p\.value\.double_value, p\.value\.float_value, ", "COALESCE(p.value.float_value, p.value.double_value, "),
    ("float64 drops ints", r"COALESCE\(p\.value\.double_value, p\.value\.float_value, CAST\(p\.value\.int_value AS FLOAT64\)\)", "COALESCE(p.value.double_value, p.value.float_value)"),
    ("string drops numbers", r"COALESCE\(p\.value\.string_value, CAST\(p\.value\.int_value AS STRING\), CAST\(p\.value\.double_value AS STRING\), CAST\(p\.value\.float_value AS STRING\)\)", "p.value.string_value"),
    ("int64 drops integral doubles", r"COALESCE\(p\.value\.int_value, IF\(.*?, NULL\), IF\(.*?, NULL\)\)", "p.value.int_value"),
    ("int64 truncates fractions", r"p\.value\.(double|float)_value = TRUNC\(p\.value\.\1_value\)", "TRUE"),
    # The intraday and daily copies of one event list their params in another order.
    ("event_key: params in export order", r"ARRAY\(SELECT AS STRUCT p\.key, p\.value FROM UNNEST\(e\.event_params\) AS p ORDER BY p\.key, TO_JSON_STRING\(p\.value\)\)", "e.event_params",
     ("incremental", "lifecycle")),
    ("bool: only int 1 is true", r"THEN p\.value\.int_value != 0", "THEN p.value.int_value = 1"),
    ("bool: strings case-sensitive", r"LOWER\(p\.value\.string_value\) IN", "(p.value.string_value) IN"),
    ("number: int value ignored", r"COALESCE\(CAST\(p\.value\.int_value AS FLOAT64\), ", "COALESCE("),
    ("any: float value ignored", r", CAST\(p\.value\.float_value AS STRING\)\)", ")"),
    ("dedupe: NULL keys collapse (QUALIFY)", r", IF\(flat\.\w+ IS NULL, flat\.event_key, NULL\)", ""),
    ("dedupe: NULL keys collapse (MERGE)", r"\n\s*AND \(\(s\.\w+ IS NOT NULL\) OR t\.event_key = s\.event_key\)", ""),
    ("dedupe: no QUALIFY", r"(ORDER BY flat\.\w+ (?:DESC|ASC)\n\s*\)) = 1", r"\1 >= 1"),
    ("dedupe: keep_latest keeps the earliest", r"ORDER BY flat\.event_ts DESC", "ORDER BY flat.event_ts ASC"),
    ("merge: keep_latest never updates", r"WHEN MATCHED AND s\.event_ts > t\.event_ts", "WHEN MATCHED AND s.event_ts < t.event_ts",
     ["full", "incremental", "rollback", "lifecycle"]),
    ("items: 1-based item_index", r"item_index AS item_index", "item_index + 1 AS item_index"),
    ("intraday: never read", r"\n\s*WHEN table_name = CONCAT\('events_intraday_', RIGHT\(table_name, 8\)\) THEN \d+", "",
     ["full", "incremental", "rollback", "lifecycle"]),
    ("window: last shard dropped", r"_TABLE_SUFFIX BETWEEN bqflat_shard_from AND bqflat_shard_to", "_TABLE_SUFFIX >= bqflat_shard_from AND _TABLE_SUFFIX < bqflat_shard_to"),
    ("incremental: lookback ignored", r"DATE_SUB\(bqflat_newest_day, INTERVAL \d+ DAY\)", "bqflat_newest_day"),
    ("incremental: no margin shard day", r"GREATEST\(bqflat_window_start, DATE_SUB\(bqflat_day_from, INTERVAL 1 DAY\)\)", "GREATEST(bqflat_window_start, bqflat_day_from)"),
    ("time zone ignored", r"DATE\(TIMESTAMP_MICROS\(e\.event_timestamp\), '[^']*'\)", "DATE(TIMESTAMP_MICROS(e.event_timestamp))"),
    ("run row: rows not counted", r"SET bqflat_rows = @@row_count;", "SET bqflat_rows = 0;"),
    ("watermark: one day ahead", r"OR MAX\(event_ts\) > bqflat_watermark_after, MAX\(event_ts\),", "OR MAX(event_ts) > bqflat_watermark_after, TIMESTAMP_ADD(MAX(event_ts), INTERVAL 1 DAY),"),
    ("handler commits instead of rolling back", r"EXCEPTION WHEN ERROR THEN\n(\s*)ROLLBACK TRANSACTION;", r"EXCEPTION WHEN ERROR THEN\n\1COMMIT TRANSACTION;"),
    # Whole-day bugs, run against the lifecycle scenarios (the fourth element: the
    # scenarios a mutation runs; default full, incremental, rollback).
    ("lifecycle: rows of re-read days filtered by timestamp (watermark - 72 h)",
     r"(\n(\s*)AND _TABLE_SUFFIX IN UNNEST\(bqflat_suffixes\))",
     r"\1\n\2AND (bqflat_watermark_before IS NULL OR e.event_timestamp >= UNIX_MICROS(TIMESTAMP_SUB(bqflat_watermark_before, INTERVAL 72 HOUR)))",
     ["lifecycle"]),
    ("lifecycle: a day read from every shard kind it has (intraday and daily)",
     r"(QUALIFY ROW_NUMBER\(\) OVER \(PARTITION BY day ORDER BY preference\)) = 1", r"\1 >= 1", ["lifecycle"]),
    ("lifecycle: the DELETE of the replaced days misses the first one",
     r"WHERE stored\.event_date BETWEEN bqflat_day_from AND bqflat_day_to",
     "WHERE stored.event_date BETWEEN DATE_ADD(bqflat_day_from, INTERVAL 1 DAY) AND bqflat_day_to", ["lifecycle"]),
    ("lifecycle: the MERGE sees only the replaced days (a moving merge bound)",
     r"\bON t\.(\w+) IS NOT DISTINCT FROM", r"ON t.event_date >= bqflat_day_from AND t.\1 IS NOT DISTINCT FROM", ["lifecycle"]),
    ("lifecycle: session_key hashes ga_session_id alone (two clients, one id)",
     r"STRUCT\(e\.stream_id AS stream_id, e\.user_pseudo_id AS user_pseudo_id, (\S+?|\(SELECT .*?LIMIT 1\)) AS ga_session_id\)", r"STRUCT(\1 AS ga_session_id)", ["lifecycle"]),
    ("lifecycle: consent: drop_denied keeps cookieless pings", r"\n(\s*)AND e\.user_pseudo_id IS NOT NULL AND IFNULL", r"\n\1AND IFNULL", ["lifecycle"]),
    ("lifecycle: session_engaged misses the string '1'", r"IN \('true', '1', 'yes'\)", "IN ('true', 'yes')", ["lifecycle"]),
    # dbt's and Dataform's base models: a base that re-reads only its newest day leaves the
    # models' re-read days stale; a model that reads every shard the base holds for a day keeps
    # the intraday rows the daily shard dropped.
    ("lifecycle: the base ignores the models' lookback",
     r"(base holds, and every newer shard\), and the shard days it reads\.\n\s*DECLARE bqflat_day_from DATE DEFAULT IF\(\n\s*bqflat_newest_day IS NULL,\n\s*bqflat_oldest_shard,\n\s*)DATE_SUB\(bqflat_newest_day, INTERVAL \d+ DAY\)",
     r"\1bqflat_newest_day", ["lifecycle"]),
    ("sources: the view reads the first source's table only", r"\n\s*UNION ALL\n\s*SELECT [^\n]*\n\s*FROM [^\n]*__app`", "", ["sources"]),
    # dbt's and Dataform's SQL only: a model reads the other source's base; a base resumes from
    # the other source's base.
    ("sources: a model reads another source's base", r"(FROM `[^\n]*)bqflat_base__raw_app(` AS e)", r"\1bqflat_base__analytics_111\2", ["sources"]),
    ("sources: a base resumes from another source's base", r"WHERE table_name = 'bqflat_base__raw_app'", "WHERE table_name = 'bqflat_base__analytics_111'", ["sources"]),
    ("discover: reads the first source only", r"\n\s*UNION ALL\n\s*SELECT e\.event_name, e\.event_params, e\.user_properties, e\.items\n[^\n]*\n[^\n]*", "", ["discover"]),
    ("sources: every table gets the first source's property_id", r"'app' AS property_id", "'111' AS property_id", ["sources"]),
    ("sources: a table resumes from the newest day of another source's table", r"WHERE table_name = 'event_sc_(\w+)_flat__app'", r"WHERE table_name = 'event_sc_\1_flat__111'", ["sources"]),
    ("lifecycle: a model reads every shard its base holds for a day", r"\n\s*AND e\.bqflat_suffix IN UNNEST\(bqflat_suffixes\)", "", ["lifecycle"]),
    ("lifecycle: number drops int_value", r"COALESCE\(CAST\(p\.value\.int_value AS FLOAT64\), ", "COALESCE(", ["lifecycle"]),
    ("lifecycle: float64 drops int_value", r"COALESCE\(p\.value\.double_value, p\.value\.float_value, CAST\(p\.value\.int_value AS FLOAT64\)\)",
     "COALESCE(p.value.double_value, p.value.float_value)", ["lifecycle"]),
    ("migration: runs again when it has run", r"(WHERE run_id = bqflat_run_id AND table_name = '[^']*'\) THEN\n\s*)RETURN;", r"\1SELECT 1;",
     ["migrations"]),
    # Page URLs (the targets project): README "Page URLs".
    ("url: `+` not decoded as a space", r"REPLACE\((.*?), '\+', ' '\)", r"\1", ["targets"]),
    ("url: the last occurrence of a parameter wins", r"ORDER BY pair_at LIMIT 1", "ORDER BY pair_at DESC LIMIT 1", ["targets"]),
    ("url: the host keeps its port", r"REGEXP_REPLACE\(hp, r':\.\*\$', ''\)", "hp", ["targets"]),
    ("lifecycle: the resume point is the newest partition, a 2031 one included",
     r"\n\s*AND partition_id <= FORMAT_DATE\('%Y%m%d', (?:DATE_ADD\()?bqflat_newest_shard[^)]*\)\)?", "", ["lifecycle"]),
    ("checks: a day with fewer rows than the export's events passes", r"OR \(IFNULL\(stored\.n, 0\) < IFNULL\(export\.distinct_events, 0\)", "OR (FALSE", ["checks"]),
    ("checks: a key on two rows passes", r"GROUP BY k\n(\s*)HAVING COUNT\(\*\) > 1", r"GROUP BY k\n\1HAVING COUNT(*) > 2", ["checks"]),
    ("checks: required columns never checked", r"COUNTIF\(stored\.\w+ IS NULL\)", "COUNTIF(FALSE)", ["checks"]),
    ("checks: the window's start not checked", r" OR stored\.\w+ < bqflat_window_start", "", ["checks"]),
]
MUTATION: tuple | None = None
MUTATION_HITS = [0]


def script_text(path: Path) -> str:
    text = path.read_text()
    if MUTATION is not None:
        text, n = re.subn(MUTATION[1], MUTATION[2], text)
        MUTATION_HITS[0] += n
    return text


def run_script(it: bqscript.Interpreter, path: Path, label: str, expect_error: str | None = None) -> str | None:
    """Runs one script; records a check unless an error is expected (then returns the message)."""
    R.files.add(str(path))
    R.current_file = str(path)
    R.script_runs += 1
    before = it.stats.statements
    try:
        it.run(script_text(path))
    except bqscript.ScriptError as e:
        R.statements += it.stats.statements - before
        if expect_error is not None:
            return e.message
        R.check(f"{label}: runs without error", False, e.describe(str(path)))
        return None
    R.statements += it.stats.statements - before
    if expect_error is not None:
        R.check(f"{label}: raises an error", False, f"{path} finished without the expected error ({expect_error})")
        return None
    return ""


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def table_exists(con, project, dataset, table) -> bool:
    return bool(con.execute(
        "SELECT 1 FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
        [project, dataset, table]).fetchall())


def actual_rows(con, t: X.Table) -> list[dict]:
    return fetch(con, f"SELECT * FROM {tref(t.project, t.dataset, t.name)}")


def diff_text(exp: list[dict], act: list[dict], limit: int = 6) -> str:
    """Missing and unexpected rows; a missing and an unexpected row of the same event (user,
    event_ts, item_index) are shown as one changed row with the columns that differ."""
    ce = collections.Counter(X.canon(r) for r in exp)
    ca = collections.Counter(X.canon(r) for r in act)
    missing = ce - ca
    extra = ca - ce
    by_canon_e = {X.canon(r): r for r in exp}
    by_canon_a = {X.canon(r): r for r in act}
    out = [f"expected {len(exp)} rows, table has {len(act)}; {sum(missing.values())} missing, {sum(extra.values())} unexpected"]

    def ident(r: dict) -> tuple:
        return tuple(X.norm(utc(r.get(k))) for k in ("user_pseudo_id", "event_ts", "item_index"))

    extra_by_ident: dict[tuple, list] = collections.defaultdict(list)
    for c in extra:
        extra_by_ident[ident(by_canon_a[c])].append(c)
    changed, gone = [], []
    # Deterministic (sorted) so that a failure's detail depends only on the rows, not on the
    # order the table returns them (--mutations compares details with the baseline's).
    missing = dict(sorted(missing.items(), key=lambda kv: repr(kv[0])))
    extra = dict(sorted(extra.items(), key=lambda kv: repr(kv[0])))
    for c in missing:
        e = by_canon_e[c]
        cands = extra_by_ident.get(ident(e))
        if cands:
            a = by_canon_a[cands.pop(0)]
            diffs = [f"{k}: expected {e.get(k)!r}, got {utc(a.get(k))!r}" for k in sorted(set(e) | set(a))
                     if not k.startswith("__") and k != "event_key" and X.norm(e.get(k)) != X.norm(utc(a.get(k)))]
            changed.append(f"~ row user_pseudo_id={e.get('user_pseudo_id')!r} event_ts={e.get('event_ts')}"
                           + (f" item_index={e.get('item_index')}" if "item_index" in e else "") + ": " + "; ".join(diffs))
        else:
            gone.append(c)
    out += changed[:limit]
    for c in gone[:limit]:
        n = missing[c]
        out.append(f"- missing{' x' + str(n) if n > 1 else ''}: {X.show(by_canon_e[c])}")
    for cs in extra_by_ident.values():
        for c in cs[:limit]:
            n = extra[c]
            out.append(f"+ unexpected{' x' + str(n) if n > 1 else ''}: {X.show(by_canon_a[c])}")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# Checks of one table


def check_table(con, t: X.Table, exp: list[dict], label: str, extra: dict[str, str] | None = None) -> list[dict]:
    """Columns, types, rows, event_key and dedupe uniqueness; returns the actual rows. `extra`:
    columns the table must have besides the spec's (dbt's and Dataform's `bqflat_row_key`),
    left out of the rows compared and returned."""
    if not table_exists(con, t.project, t.dataset, t.name):
        R.check(f"{label}: table exists", False, f"no table {t.full_name}")
        return []
    desc = con.execute(f"DESCRIBE {tref(t.project, t.dataset, t.name)}").fetchall()
    got_cols = {r[0]: DUCK_TO_BQ.get(r[1], r[1]) for r in desc}
    want_cols = {c.name: c.type for c in t.columns}
    extra = extra or {}
    R.check(f"{label}: columns and types" + "".join(f" + {k}" for k in extra), got_cols == {**want_cols, **extra},
            "\n".join([f"missing column {k} {v}" for k, v in want_cols.items() if k not in got_cols]
                      + [f"unexpected column {k} {v}" for k, v in got_cols.items() if k not in want_cols and k not in extra]
                      + [f"missing column {k} {v}" for k, v in extra.items() if k not in got_cols]
                      + [f"column {k}: {got_cols[k]}, expected {v}" for k, v in want_cols.items() if k in got_cols and got_cols[k] != v]))
    act = [{k: v for k, v in r.items() if k not in extra} for r in actual_rows(con, t)]
    same = sorted(X.canon(r) for r in exp) == sorted(X.canon(r) for r in act)
    R.check(f"{label}: rows = expected ({len(exp)})", same, "" if same else diff_text(exp, act))
    if "event_key" in want_cols:
        bad = [r["event_key"] for r in act if not isinstance(r["event_key"], str) or not HEX32.match(r["event_key"])]
        R.check(f"{label}: event_key is a 32-digit hex hash", not bad, f"bad values: {bad[:5]}")
        if same:
            ecanon = collections.Counter(X.canon(r) for r in exp)
            if max(ecanon.values(), default=1) > 1:
                R.check(f"{label}: fixture rows are distinguishable", False, "two expected rows differ only in event_key")
            else:
                pairs = {X.canon(r): r for r in act}
                id_to_key: dict = {}
                key_to_id: dict = {}
                problems = []
                for r in exp:
                    key = pairs[X.canon(r)]["event_key"]
                    ident = r["__id"]
                    if id_to_key.setdefault(ident, key) != key:
                        problems.append(f"one event has two keys: {id_to_key[ident]} / {key}")
                    if key_to_id.setdefault(key, ident) != ident:
                        problems.append(f"two events share the key {key}: {X.show(r)}")
                R.check(f"{label}: event_key identifies events (one key per event, one event per key)", not problems, "\n".join(problems[:5]))
    for col in ("client_key", "session_key"):
        if col in want_cols:
            hash_key_checks(t, exp, act, col, label, same)
    # The dedupe key is unique in the table (a key with a NULL part falls back to event_key).
    keys = collections.Counter()
    for r in act:
        k = tuple(repr(r.get(c)) for c in t.dedupe_key)
        if t.nullable and any(r.get(c) is None for c in t.nullable):
            k += (r.get("event_key"),)
        keys[k] += 1
    dups = [k for k, n in keys.items() if n > 1]
    R.check(f"{label}: no duplicate dedupe key ({', '.join(t.dedupe_key)})", not dups, f"duplicated keys: {dups[:5]}")
    return act


# (scope, column) -> identity -> the value one table gave it: a session or client has one key in
# every table of a scenario (README "Sessions and clients": tables join on them).
HASH_KEYS: dict[tuple[str, str], dict] = {}


def hash_key_checks(t: X.Table, exp: list[dict], act: list[dict], col: str, label: str, same: bool) -> None:
    """A hash key column (client_key, session_key): NULL exactly where the model says, a 32-digit
    hex hash elsewhere, one value per identity and one identity per value, here and in the other
    tables of the scenario."""
    bad = [r[col] for r in act if r[col] is not None and not (isinstance(r[col], str) and HEX32.match(r[col]))]
    R.check(f"{label}: {col} is NULL or a 32-digit hex hash", not bad, f"bad values: {bad[:5]}")
    if not same:
        return  # rows = expected failed: no pairing to check identities on
    pairs = {X.canon(r): r for r in act}
    scope = HASH_KEYS.setdefault((label.rsplit("/", 1)[0], col), {})
    problems = []
    for r in exp:
        want, got = r[col], pairs[X.canon(r)][col]
        if want is None:
            continue  # NULL where expected: compared with the rows
        ident = want[1]
        if scope.setdefault(ident, got) != got:
            problems.append(f"{ident} has two keys: {scope[ident]} / {got}")
    idents: dict = {}
    for ident, v in scope.items():
        if idents.setdefault(v, ident) != ident:
            problems.append(f"{idents[v]} and {ident} share the key {v}")
    R.check(f"{label}: {col} is one key per {'session' if col == 'session_key' else 'client'}, the same in every table "
            f"({len({r[col][1] for r in exp if r[col] is not None})} here, {len(scope)} in the scenario)",
            not problems, "\n".join(problems[:5]))


def metadata_rows(con, t: X.Table) -> tuple[list[dict], list[dict]]:
    wm = fetch(con, f"SELECT * FROM {tref(t.project, t.metadata_dataset, t.watermarks)} WHERE table_name = ?", [t.full_name])
    runs = fetch(con, f"SELECT * FROM {tref(t.project, t.metadata_dataset, t.runs)} WHERE table_name = ? ORDER BY ended_at", [t.full_name])
    return wm, runs


def utc(v):
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return v


def check_run_record(con, t: X.Table, label: str, runs_before: int, want: dict, t0: dt.datetime, t1: dt.datetime) -> None:
    """The run row(s) and the watermark row(s) of the run that just finished. Both
    tables are append-only; a batched run writes one of each per day (want["steps"])."""
    wm, runs = metadata_rows(con, t)
    new = runs[runs_before:]
    steps = want.get("steps")
    n_want = len(steps) if steps is not None and t.daily else 1
    R.check(f"{label}: {n_want} new _runs row{'s' if n_want != 1 else ''}", len(new) == n_want,
            f"{len(new)} new rows in {t.runs} for this run; run_ids: {sorted({r['run_id'] for r in new})}")
    if not new:
        return
    run = new[-1]
    problems = []
    if not (isinstance(run["run_id"], str) and UUID_RE.match(run["run_id"])):
        problems.append(f"run_id {run['run_id']!r} is not a UUID")
    if len({r["run_id"] for r in new}) != 1:
        problems.append(f"the run's rows have different run_ids: {sorted({r['run_id'] for r in new})}")
    for k, v in (("event_name", t.event), ("mode", t.mode), ("spec_version", t.version), ("bqflat_version", BQFLAT_VERSION)):
        if run[k] != v:
            problems.append(f"{k} = {run[k]!r}, expected {v!r}")
    st, en = utc(run["started_at"]), utc(run["ended_at"])
    if st is None or en is None or not (t0 <= st <= en <= t1):
        problems.append(f"started_at {st} / ended_at {en} not within the run ({t0} .. {t1})")
    got_rows = sum(r["rows_affected"] or 0 for r in new)
    if "rows_affected" in want and got_rows != want["rows_affected"]:
        problems.append(f"rows_affected = {got_rows}{' (summed over the days)' if len(new) > 1 else ''}, expected {want['rows_affected']}")
    for k in ("watermark_before", "watermark_after"):
        if k in want and X.norm(utc(run[k])) != X.norm(want[k]):
            problems.append(f"{k} = {utc(run[k])!r}, expected {want[k]!r}")
    R.check(f"{label}: _runs row (run_id, mode, times, rows_affected, watermarks)", not problems, "\n".join(problems))
    wproblems = []
    mine = [w for w in wm if w["run_id"] == run["run_id"]]
    if len(mine) != n_want:
        wproblems.append(f"{len(mine)} rows in {t.watermarks} for this run, expected {n_want}")
    latest = max(wm, key=lambda w: (utc(w["updated_at"]) or dt.datetime.min), default=None)
    if latest is None:
        wproblems.append(f"no row in {t.watermarks} for {t.full_name}")
    else:
        if X.norm(utc(latest["watermark"])) != X.norm(want.get("watermark_after")):
            wproblems.append(f"latest watermark = {utc(latest['watermark'])}, expected {want.get('watermark_after')}")
        if latest["run_id"] != run["run_id"]:
            wproblems.append(f"latest row's run_id = {latest['run_id']}, expected the run's {run['run_id']}")
        ua = utc(latest["updated_at"])
        if ua is None or not (t0 <= ua <= t1):
            wproblems.append(f"updated_at {ua} not within the run")
    R.check(f"{label}: _metadata watermark row(s) appended", not wproblems, "\n".join(wproblems))


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


# ------------------------------------------------------------------------------------------------
# Scenarios


def scenario_full(work: Path, bqflat: str) -> None:
    """mode: full (CREATE OR REPLACE ... AS SELECT, and daily batches with a WHILE loop) over
    every shard at once."""
    proj = HERE / "projects" / "full"
    files = build(proj, work / "full", bqflat)
    tables = X.load_project(proj)
    con = new_connection()
    src = ga4.Source(tables[0].source_project, tables[0].source_dataset)
    for k, v in data.all_shards().items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con)
    # No _setup.sql first: each script creates the dataset and the metadata tables it needs.
    for t in tables:
        label = f"full/{t.name}"
        f = files[t.full_name]
        _, runs0 = metadata_rows(con, t) if table_exists(con, t.project, t.dataset, t.runs) else ([], [])
        t0 = now()
        if run_script(it, f, label) is None:
            continue
        t1 = now()
        exp = X.expected_rows(t, src.shards, *X.window(t, dt.date.today()))
        act = check_table(con, t, exp, label)
        wm = max((r["event_ts"] for r in exp), default=None)
        check_run_record(con, t, label, len(runs0), {"rows_affected": len(exp), "watermark_after": wm}, t0, t1)
        # A second full run rebuilds the same table.
        _, runs1 = metadata_rows(con, t)
        t0 = now()
        if run_script(it, f, label + " (again)") is None:
            continue
        t1 = now()
        act2 = actual_rows(con, t)
        same = sorted(X.canon(r, ()) for r in act) == sorted(X.canon(r, ()) for r in act2)
        R.check(f"{label}: a second full run gives the same rows (event_key included)", same, "" if same else diff_text(act, act2))
        check_run_record(con, t, label + " (again)", len(runs1), {"rows_affected": len(exp), "watermark_after": wm}, t0, t1)
    # _setup.sql afterwards leaves the existing metadata alone.
    t = tables[0]
    counts = [len(x) for x in metadata_rows(con, t)]
    if run_script(it, files["bigquery/_setup.sql"], "full/_setup.sql (after the tables)") is not None:
        R.check("full/_setup.sql: run after the tables, keeps the metadata rows", [len(x) for x in metadata_rows(con, t)] == counts)


last_run: dict[str, dict] = {}  # table name -> what the model's last run reported


def incremental_checks(con, it, t: X.Table, f: Path, model: X.IncrementalModel, shards, label: str) -> list[dict]:
    _, runs0 = metadata_rows(con, t) if table_exists(con, t.project, t.metadata_dataset, t.runs) else ([], [])
    t0 = now()
    ok = run_script(it, f, label)
    t1 = now()
    want = model.run(shards)
    last_run[t.name] = want
    if ok is None:
        return []
    act = check_table(con, t, model.rows, label)
    check_run_record(con, t, label, len(runs0), want, t0, t1)
    return act


def scenario_incremental(work: Path, bqflat: str) -> None:
    """mode: incremental: a first run, new shards with late events and duplicates, a second run,
    then a third run over unchanged data that must change nothing."""
    proj = HERE / "projects" / "incremental"
    files = build(proj, work / "incremental", bqflat)
    tables = X.load_project(proj)
    con = new_connection()
    src = ga4.Source(tables[0].source_project, tables[0].source_dataset)
    p1 = data.phase1()
    for k, v in p1.items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con)
    today = dt.date.today()
    models = {t.name: X.IncrementalModel(t, today) for t in tables}
    if run_script(it, files["bigquery/_setup.sql"], "incremental/_setup.sql") is not None:
        t = tables[0]
        R.check("incremental/_setup.sql: creates the dataset and empty metadata tables",
                table_exists(con, t.project, t.metadata_dataset, t.watermarks) and table_exists(con, t.project, t.metadata_dataset, t.runs)
                and metadata_rows(con, t) == ([], []))
    for t in tables:
        incremental_checks(con, it, t, files[t.full_name], models[t.name], src.shards, f"incremental/{t.name} run 1")

    p2, late = data.phase2(p1)
    for k, v in p2.items():
        src.add(k, v)
    src.load(con)
    after2 = {}
    for t in tables:
        label = f"incremental/{t.name} run 2"
        act = incremental_checks(con, it, t, files[t.full_name], models[t.name], src.shards, label)
        after2[t.name] = act
        if t.event in late and act:
            # Whole days are re-read; a late event lands iff its partition day is one the
            # run replaced (from the table's newest day - lookback days).
            stamps = {(r["user_pseudo_id"], X.norm(utc(r["event_ts"]))) for r in act}
            day_from = last_run[t.name]["day_from"]
            key = lambda r: (r["user_pseudo_id"], X.norm(X.event_time(r)))  # noqa: E731
            pday = lambda r: X.partition_day(t, X.flatten_event(t, r)[0])  # noqa: E731
            lates = late[t.event]["inside"] + late[t.event]["outside"]
            ins = [r for r in lates if day_from is not None and pday(r) >= day_from]
            outs = [r for r in lates if r not in ins]
            R.check(f"{label}: late events in the replaced days (from {day_from}) are picked up ({len(ins)})",
                    all(key(r) in stamps for r in ins), f"missing: {[key(r) for r in ins if key(r) not in stamps]}")
            R.check(f"{label}: late events before the replaced days are not ({len(outs)})",
                    not any(key(r) in stamps for r in outs), f"present: {[key(r) for r in outs if key(r) in stamps]}")

    for t in tables:
        label = f"incremental/{t.name} run 3"
        wm_before = models[t.name].watermark
        act = incremental_checks(con, it, t, files[t.full_name], models[t.name], src.shards, label)
        same = sorted(X.canon(r, ()) for r in act) == sorted(X.canon(r, ()) for r in after2[t.name])
        R.check(f"{label}: a run over unchanged data changes no row (event_key included)", same,
                "" if same else diff_text(after2[t.name], act))
        R.check(f"{label}: watermark unchanged", models[t.name].watermark == wm_before)


def run_order(folder: Path) -> list[Path]:
    """The scripts bigquery/run.sh runs, in its order, its migrations loop expanded (as the
    shipped Airflow DAG reads it)."""
    scripts = []
    for line in (folder / "run.sh").read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["run"] and len(words) == 2 and not words[1].startswith("$"):
            scripts.append(folder / words[1])
        elif words[:3] == ["for", "migration", "in"]:
            scripts.extend(sorted(folder.glob("migrations/*.sql")))
    return scripts


def scenario_migrations(work: Path, bqflat: str) -> None:
    """A table changes under an existing incremental table: an added param (an ALTER migration),
    then a retyped one with a version bump under the same name (a rebuild migration). Each
    migration runs twice, as a scheduler running run.sh's order every day does: the second run
    does nothing. The table then equals the model given the same change."""
    proj = work / "migrations" / "project"
    shutil.rmtree(proj.parent, ignore_errors=True)
    shutil.copytree(HERE / "projects" / "incremental", proj)
    out = work / "migrations" / "out"
    spec = proj / "events" / "page_view.yaml"
    build(proj, out, bqflat)
    con = new_connection()
    t = next(t for t in X.load_project(proj) if t.event == "page_view")
    src = ga4.Source(t.source_project, t.source_dataset)
    for k, v in data.phase1().items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con)
    today = dt.date.today()
    model = X.IncrementalModel(t, today)
    folder = out / "bigquery"
    incremental_checks(con, it, t, folder / f"{t.name}.sql", model, src.shards, "migrations/run 1")

    def migrate(label: str) -> X.Table | None:
        new_t = next(x for x in X.load_project(proj) if x.event == "page_view")
        files = build(proj, out, bqflat)
        order = run_order(folder)
        mig = [f for f in order if f.parent.name == "migrations"]
        R.check(f"{label}: run.sh runs _setup.sql, the migrations, then _run.sql",
                [f.name for f in order] == ["_setup.sql", *[m.name for m in mig], "_run.sql"] and mig,
                f"order: {[str(f.relative_to(folder)) for f in order]}")
        newest = mig[-1]
        _, runs0 = metadata_rows(con, t)
        for attempt in ("first", "second"):
            if run_script(it, newest, f"{label}: {newest.name} ({attempt} run)") is None:
                return None
            if attempt == "first":
                after_first = actual_rows(con, new_t)
        _, runs2 = metadata_rows(con, t)
        mine = [r for r in runs2 if r["run_id"] == f"migration {newest.stem}"]
        R.check(f"{label}: the migration records itself in _runs once, and its second run does nothing",
                len(mine) == 1 and len(runs2) == len(runs0) + 1
                and sorted(X.canon(r, ()) for r in actual_rows(con, new_t)) == sorted(X.canon(r, ()) for r in after_first),
                f"{len(mine)} rows of the migration, {len(runs2) - len(runs0)} new _runs rows")
        return new_t if files else None

    # An added param: the ALTER migration adds the column, NULL in the rows already there.
    spec.write_text(spec.read_text().replace("params:\n", "params:\n  - {key: page_referrer, type: string}\n", 1))
    t2 = migrate("migrations/added param")
    if t2 is None:
        return
    model.t = t2
    model.rows = [dict(r, page_referrer=None) for r in model.rows]
    check_table(con, t2, model.rows, "migrations/added param: after the migration")
    # run.sh's order: the migration runs again (and does nothing), then every table.
    for f in run_order(folder):
        run_script(it, f, f"migrations/added param: run.sh {f.relative_to(folder)}")
    model.run(src.shards)
    check_table(con, t2, model.rows, "migrations/added param: after run.sh (the re-read days have the column)")

    # A retyped param with a version bump under the same name: the migration rebuilds the table.
    spec.write_text("version: 2\n" + spec.read_text().replace("{key: p_int, type: int64}", "{key: p_int, type: string}"))
    t3 = migrate("migrations/version bump")
    if t3 is None:
        return
    exp = X.expected_rows(t3, src.shards, *X.window(t3, today))
    check_table(con, t3, exp, "migrations/version bump: the migration rebuilt the table (both runs)")
    model.t, model.rows = t3, exp
    model.watermark = max((r["event_ts"] for r in exp), default=None)
    for f in run_order(folder):
        run_script(it, f, f"migrations/version bump: run.sh {f.relative_to(folder)}")
    model.run(src.shards)
    check_table(con, t3, model.rows, "migrations/version bump: after run.sh")


def scenario_rollback(work: Path, bqflat: str) -> None:
    """The transaction handler: a failure inside BEGIN ... EXCEPTION rolls the merge back and
    re-raises the error; with daily batches the days before the failing one stay merged."""
    proj = HERE / "projects" / "incremental"
    files = build(proj, work / "rollback", bqflat)
    tables = {t.event: t for t in X.load_project(proj)}
    con = new_connection()
    pv, lu = tables["page_view"], tables["level_up"]
    src = ga4.Source(pv.source_project, pv.source_dataset)
    p1 = data.phase1()
    for k, v in p1.items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con)
    today = dt.date.today()
    run_script(it, files["bigquery/_setup.sql"], "rollback/_setup.sql")
    runs = tref(pv.project, pv.metadata_dataset, pv.runs)
    wms = tref(pv.project, pv.metadata_dataset, pv.watermarks)
    cols = ", ".join(f"{r[0]} {r[1]}" for r in con.execute(f"DESCRIBE {runs}").fetchall())

    def sabotage(check: str) -> None:
        # The run row cannot be written: the INSERT fails after the merge and the watermark.
        con.execute(f"ALTER TABLE {runs} RENAME TO {q(pv.runs + '_saved')}")
        con.execute(f"CREATE TABLE {runs} ({cols}, CHECK ({check}))")

    def restore() -> None:
        con.execute(f"INSERT INTO {tref(pv.project, pv.metadata_dataset, pv.runs + '_saved')} SELECT * FROM {runs}")
        con.execute(f"DROP TABLE {runs}")
        con.execute(f"ALTER TABLE {tref(pv.project, pv.metadata_dataset, pv.runs + '_saved')} RENAME TO {q(pv.runs)}")

    # page_view: first run fine, then a failing second run after new data.
    m = X.IncrementalModel(pv, today)
    f = files[pv.full_name]
    label = f"rollback/{pv.name}"
    run_script(it, f, label + " run 1")
    m.run(src.shards)
    p2, _ = data.phase2(p1)
    for k, v in p2.items():
        src.add(k, v)
    src.load(con)
    before_rows = actual_rows(con, pv)
    before_wm = fetch(con, f"SELECT * FROM {wms}")
    sabotage("rows_affected < 0")
    msg = run_script(it, f, label + " run 2 (failing)", expect_error="constraint")
    if msg is not None:
        R.check(f"{label}: the error is re-raised with its message", "CHECK constraint" in msg or "Constraint" in msg, f"message: {msg}")
        after_rows = actual_rows(con, pv)
        R.check(f"{label}: the merge is rolled back (table unchanged)",
                sorted(X.canon(r, ()) for r in before_rows) == sorted(X.canon(r, ()) for r in after_rows),
                diff_text(before_rows, after_rows))
        R.check(f"{label}: the watermark is rolled back", fetch(con, f"SELECT * FROM {wms}") == before_wm)
        R.check(f"{label}: no transaction left open", not it.in_txn and con.execute("SELECT 1").fetchall() == [(1,)])
    restore()
    _, runs0 = metadata_rows(con, pv)
    t0 = now()
    if run_script(it, f, label + " run 2 (after the fix)") is not None:
        want = m.run(src.shards)
        check_table(con, pv, m.rows, label + " run 2 (after the fix)")
        check_run_record(con, pv, label + " run 2 (after the fix)", len(runs0), want, t0, now())

    # level_up, daily batches: the third day fails; the first two stay merged.
    f = files[lu.full_name]
    label = f"rollback/{lu.name}"
    con2 = new_connection()
    src2 = ga4.Source(lu.source_project, lu.source_dataset)
    for k, v in p1.items():
        src2.add(k, v)
    src2.load(con2)
    it2 = bqscript.Interpreter(con2)
    con, it = con2, it2
    run_script(it, files["bigquery/_setup.sql"], "rollback/_setup.sql (2)")
    cut = dt.datetime(2025, 7, 3)
    sabotage(f"watermark_after IS NULL OR watermark_after < TIMESTAMPTZ '{cut.isoformat()}+00:00'")
    msg = run_script(it, f, label + " run 1 (fails on day 3)", expect_error="constraint")
    restore()
    # The model's run stops at the first day whose watermark_after reaches the cut.
    m = X.IncrementalModel(lu, today)
    want = m.run(src2.shards, fail_at=lambda st: st["watermark_after"] is not None and st["watermark_after"] >= cut)
    if msg is not None:
        check_table(con, lu, m.rows, label + " after the failure: the days before it stay merged")
        wm = fetch(con, f"SELECT watermark FROM {wms} WHERE table_name = ? ORDER BY updated_at", [lu.full_name])
        R.check(f"{label}: the latest watermark is the last committed day's", bool(wm) and utc(wm[-1]["watermark"]) == want["watermark_after"],
                f"watermark rows {wm}, expected {want['watermark_after']} last")
        # Each committed day wrote its own _runs row (one transaction per day).
        _, lruns = metadata_rows(con, lu)
        got = [(r["rows_affected"], utc(r["watermark_after"])) for r in lruns]
        exp_ = [(st["rows_affected"], st["watermark_after"]) for st in want["steps"]]
        R.check(f"{label}: the failed run left one _runs row per committed day ({len(exp_)})", got == exp_,
                f"runs: {got}; expected {exp_}")
    _, runs0 = metadata_rows(con, lu)
    t0 = now()
    if run_script(it, f, label + " run 2 (after the fix)") is not None:
        want = m.run(src2.shards)
        check_table(con, lu, m.rows, label + " run 2 (after the fix)")
        check_run_record(con, lu, label + " run 2 (after the fix)", len(runs0), want, t0, now())


def scenario_example(work: Path, bqflat: str) -> None:
    """The shipped example project, on the fixture data, with CURRENT_DATE() pinned (its windows
    have no end, and level_up loops day by day from 2025-01-01)."""
    proj = ROOT / "examples" / "ga4_ecommerce"
    files = build(proj, work / "example", bqflat)
    tables = X.load_project(proj)
    today = dt.date(2025, 7, 8)
    con = new_connection()
    src = ga4.Source(tables[0].source_project, tables[0].source_dataset)
    p1 = data.phase1()
    for k, v in p1.items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con, today=today)
    models = {t.name: X.IncrementalModel(t, today) for t in tables}
    run_script(it, files["bigquery/_setup.sql"], "example/_setup.sql")
    for t in tables:
        if t.mode == "full":
            continue
        incremental_checks(con, it, t, files[t.full_name], models[t.name], src.shards, f"example/{t.name} run 1")
    p2, _ = data.phase2(p1)
    for k, v in p2.items():
        src.add(k, v)
    src.load(con)
    for t in tables:
        label = f"example/{t.name}"
        if t.mode == "full":
            _, runs0 = metadata_rows(con, t) if table_exists(con, t.project, t.metadata_dataset, t.runs) else ([], [])
            t0 = now()
            if run_script(it, files[t.full_name], label) is None:
                continue
            exp = X.expected_rows(t, src.shards, *X.window(t, today))
            check_table(con, t, exp, label)
            check_run_record(con, t, label, len(runs0),
                             {"rows_affected": len(exp), "watermark_after": max((r["event_ts"] for r in exp), default=None)}, t0, now())
        else:
            act = incremental_checks(con, it, t, files[t.full_name], models[t.name], src.shards, label + " run 2")
            # add_to_cart (params from the example's catalog) has no fixture events: no rows.
            occurs = any(r["event_name"] == t.event for rows in src.shards.values() for r in rows)
            R.check(f"{label}: plausible ({'rows' if occurs else 'no rows: no fixture events'}, all in the window)",
                    (len(act) > 0) == occurs and all(dt.date(2025, 6, 30) <= r["event_date"] <= dt.date(2025, 7, 9) for r in act),
                    f"{len(act)} rows")


def expected_discovery(shards: dict[str, list[dict]], first: str, last: str) -> list[tuple]:
    """The catalog `discover-sql` should list, counted in plain Python over the daily shards in the
    window: per event, array and key, how often the key occurs and each value column is set."""
    counts: dict[tuple, list[int]] = {}

    def add(event: str, array: str, entries: list[dict] | None) -> None:
        for p in entries or []:
            c = counts.setdefault((event, array, p["key"]), [0, 0, 0, 0, 0])
            c[0] += 1
            for i, column in enumerate(["string_value", "int_value", "float_value", "double_value"]):
                c[i + 1] += p["value"].get(column) is not None

    for suffix, rows in shards.items():
        if not (first <= suffix <= last):  # intraday_* sorts after every date: never inside
            continue
        for r in rows:
            add(r["event_name"], "event_params", r.get("event_params"))
            add(r["event_name"], "user_properties", r.get("user_properties"))
            for it in r.get("items") or []:
                add(r["event_name"], "item_params", it.get("item_params"))
    return sorted((*k, *v) for k, v in counts.items())


def discovery_rows(work: Path, bqflat: str, proj: Path, label: str, shards_of) -> tuple[list[tuple], dict] | None:
    """Runs `bqflat discover-sql` of `proj` over 07-01 to 07-06 on the exports its tables read,
    each loaded with `shards_of(index of the export)`; its rows and every export's shards
    together, or None (reported) when the query is not printed or fails."""
    out = subprocess.run([bqflat, "discover-sql", str(proj), "--start-date", "2025-07-01", "--end-date", "2025-07-06"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        R.check(f"{label}: prints the query", False, out.stderr)
        return None
    work.mkdir(parents=True, exist_ok=True)
    f = work / f"{label.replace('/', '-')}.sql"
    f.write_text(out.stdout)
    con = new_connection()
    shards: dict[str, list[dict]] = {}
    for i, t in enumerate({t.source_dataset: t for t in X.load_project(proj)}.values()):
        src = ga4.Source(t.source_project, t.source_dataset)
        for k, v in shards_of(i).items():
            src.add(k, v)
        src.load(con)
        for k, v in src.shards.items():
            shards.setdefault(k, []).extend(v)
    it = bqscript.Interpreter(con)
    if run_script(it, f, label) is None:
        return None
    return sorted(tuple(r) for r in it.last_rows), shards


def scenario_discover(work: Path, bqflat: str) -> None:
    """`bqflat discover-sql` on the fixture data: the catalog it lists equals the counts taken
    directly from the fixture rows; with `sources:`, over every export's rows."""
    ran = discovery_rows(work, bqflat, HERE / "projects" / "full", "discover", lambda _: data.all_shards())
    if ran is not None:
        got, shards = ran
        want = expected_discovery(shards, "20250701", "20250706")
        R.check("discover: one row per event, array and key, with the value-column counts", got == want,
                "" if got == want else f"missing {sorted(set(want) - set(got))[:5]}; unexpected {sorted(set(got) - set(want))[:5]}")
        R.check("discover: the fixture's odd keys are listed as they are", any("\n" in r[2] or "'" in r[2] for r in got))

    def second_has_more(i: int) -> dict[str, list[dict]]:
        # The second export: the first one's rows and a purchase with an item more.
        return {k: v + [data.purchase(data.at(2, 9), 901, 1)] if i and k == "20250702" else v for k, v in data.all_shards().items()}

    ran = discovery_rows(work, bqflat, HERE / "projects" / "sources", "discover/sources", second_has_more)
    if ran is not None:
        got, shards = ran
        want = expected_discovery(shards, "20250701", "20250706")
        R.check("discover/sources: the counts are over every source's shards", got == want,
                "" if got == want else f"missing {sorted(set(want) - set(got))[:5]}; unexpected {sorted(set(got) - set(want))[:5]}")


def bq_json(columns: list[str], rows: list[tuple]) -> str:
    """A query result as `bq query --format=json` prints it: one JSON array of objects, every
    value a string (INT64 counts included)."""
    return json.dumps([{c: None if v is None else str(v) for c, v in zip(columns, r)} for r in rows],
                      ensure_ascii=False, separators=(",", ":")) + "\n"


def scenario_catalog(work: Path, bqflat: str) -> None:
    """Params from the catalog, end to end: `discover-sql` run on the fixture shards, its result
    saved as `bq query --format=json` writes it, `bqflat init --catalog` scaffolding one typed spec
    per event, and the built tables holding every key's value, typed as the catalog's counts imply
    (README "Params from the catalog"); then a project choosing keys by glob from the same catalog
    gets exactly the keys its globs include. The fixture's hostile keys must survive every step:
    JSON, YAML, column names, SQL literals."""
    work = work / "catalog"
    work.mkdir(parents=True, exist_ok=True)
    first, last = "2025-07-01", "2025-07-06"
    source = HERE / "projects" / "full"  # only for its source: conformance-src.raw_events
    out = subprocess.run([bqflat, "discover-sql", str(source), "--start-date", first, "--end-date", last],
                         capture_output=True, text=True)
    if not R.check("catalog: discover-sql prints the query", out.returncode == 0, out.stderr):
        return
    (work / "discover.sql").write_text(out.stdout)
    con = new_connection()
    src = ga4.Source("conformance-src", "raw_events")
    for k, v in data.all_shards().items():
        src.add(k, v)
    src.load(con)
    it = bqscript.Interpreter(con)
    if run_script(it, work / "discover.sql", "catalog/discover") is None:
        return
    saved = work / "saved" / "catalog.json"
    saved.parent.mkdir(exist_ok=True)
    saved.write_text(bq_json(it.last_columns, it.last_rows), encoding="utf-8")

    # The saved file, read back, is the catalog counted directly from the fixture rows.
    want = expected_discovery(src.shards, first.replace("-", ""), last.replace("-", ""))
    got = sorted((r["event_name"], r["array_name"], r["key"], *(int(r[c]) for c in (
        "occurrences", "string_values", "int_values", "float_values", "double_values")))
        for r in json.loads(saved.read_text(encoding="utf-8")))
    R.check("catalog: the saved catalog (JSON, counts as strings) lists the fixture's keys and counts", got == want,
            "" if got == want else f"missing {sorted(set(want) - set(got))[:5]}; unexpected {sorted(set(got) - set(want))[:5]}")
    counts = {(e, a, k): tuple(c) for e, a, k, *c in want}
    types = {key: X.catalog_type(c) for key, c in counts.items()}
    # A key seen with ints and doubles is float64 (which reads int_value), so the catalog
    # never infers number.
    R.check("catalog: the fixture exercises every inferred type (string, int64, float64, any)",
            set(types.values()) == {"string", "int64", "float64", "any"}, f"types: {sorted(set(types.values()))}")
    R.check("catalog: the fixture has a key seen with ints and doubles only (typed float64)",
            any(i and d and not s and types[k] == "float64" for k, (_, s, i, _f, d) in counts.items()), "no such key")

    # bqflat init --catalog: one spec per event, every key listed once with the implied type.
    proj = work / "scaffold"
    res = subprocess.run([bqflat, "init", str(proj), "--catalog", str(saved)], capture_output=True, text=True)
    if not R.check("catalog: bqflat init --catalog scaffolds a project", res.returncode == 0, res.stdout + res.stderr):
        return
    R.check("catalog: init copies the catalog into the project unchanged",
            (proj / "catalog.json").is_file() and (proj / "catalog.json").read_bytes() == saved.read_bytes())
    events = sorted({e for e, _, _ in counts})
    files = sorted(p.stem for p in (proj / "events").glob("*.yaml"))
    R.check(f"catalog: one spec per event of the catalog ({', '.join(events)})", files == events, f"spec files: {files}")
    problems = []
    for event in events:
        f = proj / "events" / f"{event}.yaml"
        if not f.is_file():
            continue
        spec = yaml.safe_load(f.read_text(encoding="utf-8"))
        if spec.get("event") != event:
            problems.append(f"{f.name}: event {spec.get('event')!r}")
        arrays = {a for e, a, _ in counts if e == event}
        if (spec.get("items") == "explode") != ("item_params" in arrays):
            problems.append(f"{f.name}: items {spec.get('items')!r}, catalog arrays {sorted(arrays)}")
        for array, setting in (("event_params", "params"), ("user_properties", "user_properties"), ("item_params", "item_params")):
            listed = spec.get(setting) or []
            keys = sorted(k for e, a, k in counts if e == event and a == array)
            if sorted(p["key"] for p in listed) != keys:
                problems.append(f"{f.name} {setting}: keys {sorted(p['key'] for p in listed)!r}, catalog {keys!r}")
            for p in listed:
                want_type = types.get((event, array, p["key"]))
                if want_type is not None and (p.get("type") or "string") != want_type:
                    problems.append(f"{f.name} {setting} {p['key']!r}: type {p.get('type') or 'string'}, the counts imply {want_type}")
    R.check("catalog: each spec lists every key of the catalog once, typed as its counts imply", not problems, "\n".join(problems))

    # Point the scaffold at the fixture: the source project, datasets, full mode, a fixed window.
    text = (proj / "bqflat.yaml").read_text()
    for key, value in (("project", "conformance-cat"), ("source_dataset", "raw_events"),
                       ("target_dataset", "flat_catalog"), ("mode", "full")):
        text, n = re.subn(rf"(?m)^{key}:[^\n#]*", f"{key}: {value} ", text)
        if not R.check(f"catalog: the scaffolded bqflat.yaml sets `{key}` (replaced)", n == 1, f"{n} lines set {key}"):
            return
    text += f"source_project: conformance-src\nwindow: {{start: {first}, end: {last}}}\n"
    (proj / "bqflat.yaml").write_text(text)
    built = build(proj, work / "scaffold-build", bqflat)
    tables = X.load_project(proj)
    for t in tables:
        label = f"catalog/{t.name}"
        if run_script(it, built[t.full_name], label) is None:
            continue
        exp = X.expected_rows(t, src.shards, *X.window(t, dt.date.today()))
        check_table(con, t, exp, label)
        if t.event == "page_view":
            cols = {c.key: c.name for c in t.columns if c.kind == "param"}
            odd = [k for k in data.ODD_KEYS.values() if k not in cols or not table_exists(con, t.project, t.dataset, t.name)
                   or cols[k] not in {r[0] for r in con.execute(f"DESCRIBE {tref(t.project, t.dataset, t.name)}").fetchall()}]
            R.check(f"{label}: the odd keys (quotes, backslash, newline, SQL, comment) became columns", not odd, f"missing: {odd}")

    # Globs against the same catalog: exactly the included keys become columns.
    globs = work / "globs"
    shutil.copytree(HERE / "projects" / "catalog", globs)
    shutil.copyfile(saved, globs / "catalog.json")
    built = build(globs, work / "globs-build", bqflat)
    for t in X.load_project(globs):
        label = f"catalog/globs/{t.name}"
        spec = yaml.safe_load((globs / "events" / f"{t.event}.yaml").read_text())
        chosen = []
        for array, setting in (("event_params", "params"), ("user_properties", "user_properties"), ("item_params", "item_params")):
            select = spec.get(setting)
            if isinstance(select, dict):
                keys = [k for e, a, k in counts if e == t.event and a == array]
                inc = {k for k in keys if any(X.glob_match(k, g) for g in select.get("include") or [])
                       and not any(X.glob_match(k, g) for g in select.get("exclude") or [])}
                inc |= {p["key"] for p in select.get("typed") or []}
                chosen += [(array, k) for k in sorted(inc)]
        if run_script(it, built[t.full_name], label) is None:
            continue
        got_cols = {r[0] for r in con.execute(f"DESCRIBE {tref(t.project, t.dataset, t.name)}").fetchall()}
        std = {c.name for c in t.columns if c.kind != "param"}
        want_cols = {X.column_name(k) for _, k in chosen}
        R.check(f"{label}: the param columns are exactly the keys the globs include ({len(chosen)})",
                got_cols - std == want_cols,
                f"missing {sorted(want_cols - got_cols)}; unexpected {sorted(got_cols - std - want_cols)}")
        check_table(con, t, X.expected_rows(t, src.shards, *X.window(t, dt.date.today())), label)


def targets_data() -> tuple[dict, dict]:
    """The incremental fixture in two phases, plus two purchases without items (one row each,
    item_index NULL, which is part of the dedupe key) that the next run reads again: one in
    phase 1 inside run 2's lookback, one in phase 2 inside run 3's."""
    p1 = data.phase1()
    p2, _ = data.phase2(p1)
    for phase, row in ((p1, data.purchase(data.at(4, 11), 170, 0)), (p2, data.purchase(data.at(6, 9), 171, 0))):
        phase.setdefault(row["event_date"], []).append(row)
    return p1, p2


def run_bases(it: bqscript.Interpreter, con, gen_dir: Path, model: str, label: str) -> None:
    """dbt and Dataform build a model's base first (tests/sql/targets/ writes bases.json): its
    first run when the base table is missing, else its incremental run."""
    f = gen_dir / "bases.json"
    for b in json.loads(f.read_text())["bases"] if f.exists() else []:
        if model in b["models"]:
            later = table_exists(con, *b["relation"])
            run_script(it, gen_dir / (b["later"] if later else b["first"]), f"{label}: base {b['name']}{' (incremental)' if later else ''}")


def one_export_reader(gen: dict[str, Path], label: str) -> None:
    """One dbt build (one Dataform run) reads the export in its base models only."""
    for tool, gen_dir in gen.items():
        info = json.loads((gen_dir / "bases.json").read_text())
        bases = sorted(b["name"] for b in info["bases"])
        R.check(f"{label}: {tool} reads the export in its base model only ({', '.join(bases)})",
                bool(bases) and info["export_readers"] == bases, f"models naming the export: {info['export_readers']}")


def scenario_targets(work: Path, bqflat: str) -> None:
    """The dbt and Dataform targets compute the BigQuery target's rows: the three are one spec,
    so a table must not depend on the tool that builds it. One build writes all three;
    tests/sql/targets/compile.sh compiles dbt/ and dataform/ with the real tools into the scripts
    they would run. Each target gets its own DuckDB
    with the same shards (targets_data): a first run, new shards (late events inside and outside
    the lookback, duplicates, intraday copies and intraday-only events) and a second run, then a
    third over unchanged data. After every run each dbt and Dataform table must hold the BigQuery
    table's rows (event_key included) and the documented incremental expectation; dbt's data
    tests must return no rows."""
    proj = HERE / "projects" / "targets"
    work = work / "targets"
    out = work / "build"
    files = build(proj, out, bqflat)
    tables = X.load_project(proj)
    inst = subprocess.run([str(ROOT / "tests" / "sql" / "targets" / "install.sh")], capture_output=True, text=True)
    if not R.check("targets: dbt and Dataform installed (tests/sql/targets/install.sh)", inst.returncode == 0, inst.stdout + inst.stderr):
        return
    gen = {"dbt": work / "gen-dbt", "dataform": work / "gen-dataform"}
    comp = subprocess.run([str(ROOT / "tests" / "sql" / "targets" / "compile.sh"), str(out), str(gen["dbt"]), str(gen["dataform"])],
                          capture_output=True, text=True)
    if not R.check("targets: dbt and Dataform compile the build (compile.sh)", comp.returncode == 0, comp.stdout + comp.stderr):
        return
    one_export_reader(gen, "targets")
    today = dt.date(2025, 7, 8)  # the window is fixed; pinned so no run depends on the day
    p1, p2 = targets_data()
    conns: dict[str, duckdb.DuckDBPyConnection] = {}
    its: dict[str, bqscript.Interpreter] = {}
    srcs: dict[str, ga4.Source] = {}
    for name in ("bigquery", "dbt", "dataform"):
        conns[name] = new_connection()
        srcs[name] = ga4.Source(tables[0].source_project, tables[0].source_dataset)
        for k, v in p1.items():
            srcs[name].add(k, v)
        srcs[name].load(conns[name])
        its[name] = bqscript.Interpreter(conns[name], today=today)
    models = {t.name: X.IncrementalModel(t, today) for t in tables}
    # dbt and Dataform create the datasets they write to.
    for name in ("dbt", "dataform"):
        for ds in sorted({(t.project, t.dataset) for t in tables}):
            conns[name].execute(f"CREATE SCHEMA IF NOT EXISTS {q(ds[0])}.{q(ds[1])}")
    def compare(name: str, t: X.Table, ref: list[dict], ref_types: dict[str, str], label: str) -> None:
        con = conns[name]
        if not table_exists(con, t.project, t.dataset, t.name):
            R.check(f"{label}: table exists", False, f"no table {t.full_name}")
            return
        types = {r[0]: DUCK_TO_BQ.get(r[1], r[1]) for r in con.execute(f"DESCRIBE {tref(t.project, t.dataset, t.name)}").fetchall()}
        # README: their merge key, unless the dedupe key is event_key alone.
        extra = {} if t.dedupe_key == ["event_key"] else {"bqflat_row_key": "STRING"}
        R.check(f"{label}: columns and types = the BigQuery table's" + (" + bqflat_row_key" if extra else ""),
                types == {**ref_types, **extra}, f"{name}: {types}\nbigquery: {ref_types}")
        act = [{k: v for k, v in r.items() if k in ref_types} for r in actual_rows(con, t)]
        same = sorted(X.canon(r, ()) for r in act) == sorted(X.canon(r, ()) for r in ref)
        R.check(f"{label}: rows = the BigQuery target's ({len(ref)}, event_key included)", same, "" if same else diff_text(ref, act))
        exp = models[t.name].rows
        same = sorted(X.canon(r) for r in act) == sorted(X.canon(r) for r in exp)
        R.check(f"{label}: rows = expected ({len(exp)})", same, "" if same else diff_text(exp, act))
        if extra:
            keys = [r["bqflat_row_key"] for r in actual_rows(con, t)]
            R.check(f"{label}: bqflat_row_key set and unique", None not in keys and len(set(keys)) == len(keys),
                    f"{sum(k is None for k in keys)} NULL, {len(keys) - len(set(keys))} repeated")

    def dbt_tests(label: str) -> None:
        for f in sorted((gen["dbt"] / "bigquery" / "incremental").glob("zz_test_*.sql")):
            sql = f.read_text()
            m = re.search(r"(?is)select\s+(.*?)(?:\s+as\s+unique_field)?\s+from\s+`[^`]*`\.`[^`]*`\.`([^`]*)`", sql)
            what = f"{'unique' if 'count(*) > 1' in sql else 'not_null'} {m.group(1) if m else '?'} on {m.group(2) if m else '?'}"
            if run_script(its["dbt"], f, f"{label} {f.stem}") is not None:
                rows = its["dbt"].last_rows
                R.check(f"{label}: dbt data test {f.stem} ({what}) returns no rows", not rows,
                        f"{len(rows)} rows, e.g. {rows[:3]}")

    for run in (1, 2, 3):
        if run == 2:
            for name in conns:
                for k, v in p2.items():
                    srcs[name].add(k, v)
                srcs[name].load(conns[name])
        if run == 1 and run_script(its["bigquery"], files["bigquery/_setup.sql"], "targets/bigquery/_setup.sql") is None:
            return
        for t in tables:
            incremental_checks(conns["bigquery"], its["bigquery"], t, files[t.full_name], models[t.name],
                               srcs["bigquery"].shards, f"targets/bigquery/{t.name} run {run}")
            if not table_exists(conns["bigquery"], t.project, t.dataset, t.name):
                continue  # the BigQuery run failed (reported): nothing to compare with
            ref = actual_rows(conns["bigquery"], t)
            ref_types = {r[0]: DUCK_TO_BQ.get(r[1], r[1]) for r in conns["bigquery"].execute(
                f"DESCRIBE {tref(t.project, t.dataset, t.name)}").fetchall()}
            # First runs create the table; later runs are the tools' incremental scripts.
            later = "" if run == 1 else "incremental"
            scripts = {name: gen[name] / "bigquery" / later / f"{t.name}.sql" for name in ("dbt", "dataform")}
            for name, f in scripts.items():
                run_bases(its[name], conns[name], gen[name], t.name, f"targets/{name}/{t.name} run {run}")
                if run_script(its[name], f, f"targets/{name}/{t.name} run {run}") is not None:
                    compare(name, t, ref, ref_types, f"targets/{name}/{t.name} run {run}")
        dbt_tests(f"targets/dbt run {run}")


# ------------------------------------------------------------------------------------------------
# Lifecycle: after every run, each table equals lifecycle.py's full rebuild over the
# export as it is then.


LIFE_TARGETS = ("bigquery", "dbt", "dataform")
# bigquery/_run.sql: every table of the build from one read of the export, run once per step.
RUN_FILE = "bigquery/_run.sql"
# The dbt and Dataform SQL of a build is the same whatever --mutations does (mutations apply when
# a script is read): compiled once per process.
TARGETS_COMPILED: dict[str, dict[str, Path]] = {}


class Life:
    """One export whose state the scenario sets between runs, loaded into one DuckDB per target
    (bigquery, dbt, dataform): every run runs the table's script of each target in lockstep, so
    the three tables can be compared after every run."""

    def __init__(self, label: str, tables: dict[str, X.Table], files: dict[str, Path], gen: dict[str, Path]):
        self.label = label
        self.tables = tables
        self.files = files
        self.gen = gen
        self.targets = ("bigquery", "run") + tuple(k for k in LIFE_TARGETS if k in gen)
        self.run_step: str | None = None  # the step _run.sql last ran for
        t0 = next(iter(tables.values()))
        self.con: dict[str, duckdb.DuckDBPyConnection] = {}
        self.src: dict[str, ga4.Source] = {}
        self.it: dict[str, bqscript.Interpreter] = {}
        for tg in self.targets:
            self.con[tg] = new_connection()
            self.src[tg] = ga4.Source(t0.source_project, t0.source_dataset)
            self.it[tg] = bqscript.Interpreter(self.con[tg], today=dt.date(2025, 7, 21))
        self.last: dict[tuple[str, str], list[dict]] = {}
        self.seen_runs: set[str] = set()

    @property
    def shards(self) -> dict[str, list[dict]]:
        return self.src["bigquery"].shards

    def lbl(self, tg: str, event: str, step: str) -> str:
        return f"lifecycle/{self.label}/{'' if tg == 'bigquery' else ('_run.sql' if tg == 'run' else tg) + '/'}{event} {step}"

    def export(self, shards: dict[str, list[dict]]) -> None:
        for tg in self.targets:
            self.src[tg].set_state(shards)
            self.src[tg].load(self.con[tg])
            if tg not in ("bigquery", "run"):  # dbt and Dataform create the datasets they write to
                for ds in sorted({(t.project, t.dataset) for t in self.tables.values()}):
                    self.con[tg].execute(f"CREATE SCHEMA IF NOT EXISTS {q(ds[0])}.{q(ds[1])}")

    def meta(self, t: X.Table, which: str, tg: str = "bigquery") -> list[dict]:
        con = self.con[tg]
        name = t.runs if which == "runs" else t.watermarks
        if not table_exists(con, t.project, t.metadata_dataset, name):
            return []
        return fetch(con, f"SELECT * FROM {tref(t.project, t.metadata_dataset, name)} WHERE table_name = ?", [t.full_name])

    def script(self, tg: str, t: X.Table) -> Path:
        """What the tool runs: the first-run script when the table is missing (dbt's
        is_incremental(), Dataform's incremental() are false) or the model is a plain table,
        else the incremental one."""
        if tg == "bigquery":
            return self.files[t.full_name]
        if tg == "run":
            return self.files[RUN_FILE]
        exists = table_exists(self.con[tg], t.project, t.dataset, t.name)
        later = exists and t.mode == "incremental"
        return self.gen[tg] / "bigquery" / ("incremental" if later else "") / f"{t.name}.sql"

    def run(self, event: str, step: str) -> dict[str, list[dict] | None]:
        """Runs the table's script once on every target; checks each table against the full
        rebuild, the BigQuery table's metadata records (append-only; dbt and Dataform write
        none), and the dbt / Dataform tables against the BigQuery one; returns each target's
        rows (None when its script failed)."""
        t = self.tables[event]
        exp = None
        acts: dict[str, list[dict] | None] = {}
        for tg in self.targets:
            label = self.lbl(tg, event, step)
            if tg in ("bigquery", "run"):
                runs0, wm0 = self.meta(t, "runs", tg), self.meta(t, "watermarks", tg)
            else:
                run_bases(self.it[tg], self.con[tg], self.gen[tg], t.name, label)
            executed = not (tg == "run" and self.run_step == step)  # _run.sql runs once per step
            if executed and run_script(self.it[tg], self.script(tg, t), label) is None:
                acts[tg] = None
                continue
            if tg == "run" and executed:
                self.run_step = step
                self.check_log(label)
            if exp is None:
                exp = L.full_rebuild(t, self.shards)
            con = self.con[tg]
            # README: dbt's and Dataform's merge key, unless the dedupe key is event_key alone.
            extra = {} if tg in ("bigquery", "run") or t.dedupe_key == ["event_key"] else {"bqflat_row_key": "STRING"}
            act = check_table(con, t, exp, label + " = full rebuild", extra)
            acts[tg] = act
            self.last[(tg, event)] = act
            if tg == "bigquery":
                self.check_records(t, label, runs0, wm0)
                continue
            if tg == "run" and executed:
                self.check_records(t, label, runs0, wm0, tg)
            if extra and table_exists(con, t.project, t.dataset, t.name):
                keys = [r["bqflat_row_key"] for r in actual_rows(con, t)]
                R.check(f"{label}: bqflat_row_key set and unique", None not in keys and len(set(keys)) == len(keys),
                        f"{sum(k is None for k in keys)} NULL, {len(keys) - len(set(keys))} repeated")
            ref = acts.get("bigquery")
            if ref is not None and table_exists(self.con["bigquery"], t.project, t.dataset, t.name):
                same = sorted(X.canon(r, ()) for r in act) == sorted(X.canon(r, ()) for r in ref)
                R.check(f"{label}: rows = the BigQuery table's ({len(ref)}, event_key included)", same,
                        "" if same else diff_text(ref, act))
        return acts

    def check_log(self, label: str) -> None:
        """The run's log (its last result): a row per table with its status, rows and seconds,
        then the summary; and, per table, the rows _runs recorded for this run."""
        it = self.it["run"]
        log = [dict(zip(it.last_columns, r)) for r in it.last_rows or []]
        rows = [r for r in log if r["position"] is not None]
        summary = [r for r in log if r["position"] is None]
        con = self.con["run"]
        t0 = next(iter(self.tables.values()))
        runs = fetch(con, f"SELECT table_name, rows_affected, run_id FROM {tref(t0.project, t0.metadata_dataset, t0.runs)}")
        newest = sorted({r["run_id"] for r in runs} - self.seen_runs)
        self.seen_runs.update(newest)
        this = [r for r in runs if r["run_id"] in newest]
        written = collections.defaultdict(int)
        for r in this:
            written[r["table_name"]] += r["rows_affected"] or 0
        problems = []
        if len(newest) != 1:
            problems.append(f"{len(newest)} new run_ids in _runs (one run, one id)")
        if sorted(r["position"] for r in rows) != list(range(1, len(rows) + 1)) or not rows:
            problems.append(f"positions {[r['position'] for r in rows]}")
        for r in rows:
            if r["status"] != "ok" or r["error"] is not None or r["seconds"] is None or r["seconds"] < 0:
                problems.append(f"{r['table_name']}: {r['status']} {r['error']} {r['seconds']}")
            elif r["rows_written"] != written.get(r["table_name"], 0):
                problems.append(f"{r['table_name']}: log says {r['rows_written']} rows, _runs {written.get(r['table_name'], 0)}")
        if len(summary) != 1 or summary[0]["status"] != "ok" or summary[0]["rows_written"] != sum(r["rows_written"] for r in rows):
            problems.append(f"summary {summary}")
        R.check(f"{label}: the run's log lists every table once, ok, with the rows _runs recorded ({len(rows)} tables)",
                not problems, "\n".join(problems))

    def check_records(self, t: X.Table, label: str, runs0: list[dict], wm0: list[dict], tg: str = "bigquery") -> None:
        runs1, wm1 = self.meta(t, "runs", tg), self.meta(t, "watermarks", tg)
        key = lambda r: X.canon(r, ())  # noqa: E731
        kept = lambda old, new: not (collections.Counter(map(key, old)) - collections.Counter(map(key, new)))  # noqa: E731
        problems = []
        if len(runs1) <= len(runs0):
            problems.append(f"no new {t.runs} row ({len(runs0)} before, {len(runs1)} after)")
        if not kept(runs0, runs1):
            problems.append(f"earlier {t.runs} rows changed or removed")
        if not kept(wm0, wm1):
            problems.append(f"earlier {t.watermarks} rows changed or removed (not append-only)")
        bad = [r.get("run_id") for r in runs1 if not (isinstance(r.get("run_id"), str) and UUID_RE.match(r["run_id"]))]
        if bad:
            problems.append(f"run_id not a UUID: {bad[:3]}")
        R.check(f"{label}: {t.runs} / {t.watermarks} appended to, never rewritten", not problems, "\n".join(problems))

    def rerun_unchanged(self, event: str, step: str) -> None:
        before = {tg: self.last.get((tg, event)) for tg in self.targets}
        for tg, act in self.run(event, step).items():
            if act is None or before[tg] is None:
                continue
            same = sorted(X.canon(r, ()) for r in act) == sorted(X.canon(r, ()) for r in before[tg])
            R.check(f"{self.lbl(tg, event, step)}: a rerun over unchanged data changes no row (event_key included)",
                    same, "" if same else diff_text(before[tg], act))

    def drop(self, event: str) -> None:
        t = self.tables[event]
        for tg in self.targets:
            self.con[tg].execute(f"DROP TABLE {tref(t.project, t.dataset, t.name)}")

    def has(self, event: str, step: str, what: str, rows: list[dict], acts: dict[str, list[dict] | None], present: bool = True) -> None:
        for tg, act in acts.items():
            if act is None:
                continue
            stamps = collections.Counter((r["user_pseudo_id"], X.norm(utc(r["event_ts"]))) for r in act)
            key = lambda r: (r["user_pseudo_id"], X.norm(X.event_time(r)))  # noqa: E731
            wrong = [key(r) for r in rows if (stamps[key(r)] > 0) != present]
            R.check(f"{self.lbl(tg, self.tables[event].event, step)}: {what}", not wrong, f"{'missing' if present else 'present'}: {wrong}")


def lifecycle_day(act: list[dict], day: dt.date) -> list[tuple]:
    return sorted(X.canon(r) for r in act if r.get("event_date") == day)


def compile_targets(out: Path, work: Path, key: str) -> dict[str, Path]:
    """compile.sh over a build with dbt and Dataform targets (once per process and `key`: the
    scenarios that build one project share it); {} and a failed check when the tools are missing
    or reject the project."""
    if key not in TARGETS_COMPILED:
        inst = subprocess.run([str(ROOT / "tests" / "sql" / "targets" / "install.sh")], capture_output=True, text=True)
        if not R.check(f"{key}: dbt and Dataform installed (tests/sql/targets/install.sh)", inst.returncode == 0, inst.stdout + inst.stderr):
            return {}
        gen = {"dbt": work / "gen-dbt", "dataform": work / "gen-dataform"}
        comp = subprocess.run([str(ROOT / "tests" / "sql" / "targets" / "compile.sh"), str(out), str(gen["dbt"]), str(gen["dataform"])],
                              capture_output=True, text=True)
        if not R.check(f"{key}: dbt and Dataform compile the build (compile.sh)", comp.returncode == 0, comp.stdout + comp.stderr):
            return {}
        one_export_reader(gen, key)
        TARGETS_COMPILED[key] = gen
    return TARGETS_COMPILED[key]


def scenario_lifecycle(work: Path, bqflat: str) -> None:
    """GA4's export lifecycle, each a sequence of export states and runs; after every run each
    table must equal the full rebuild (lifecycle.py) over the export as it is then, on each
    target (the BigQuery scripts, and the SQL dbt and Dataform run for the same build), and the
    dbt and Dataform tables must equal the BigQuery table."""
    proj = HERE / "projects" / "lifecycle"
    out = work / "lifecycle"
    files = build(proj, out, bqflat)
    tables = {t.event: t for t in X.load_project(proj)}
    gen = compile_targets(out, work / "lifecycle-gen", "lifecycle")

    def life(label: str, *events: str) -> Life:
        return Life(label, {e: tables[e] for e in events}, files, gen)

    # (i) an intraday day whose daily shard lands: (a) the intraday shard still there, then
    # deleted; (b) deleted before the next run.
    evs = ["lc_intraday", "lc_intraday_full"]
    d = L.intraday_then_daily(evs)
    day3 = dt.date(2025, 7, 3)
    for variant, seq in (("intraday-then-daily", ["state1", "state2", "state3"]), ("intraday-deleted", ["state1", "state3"])):
        lf = life(variant, *evs)
        keys1: dict[tuple[str, str], dict] = {}
        for i, st in enumerate(seq, 1):
            lf.export(d[st])
            for e in evs:
                for tg, act in lf.run(e, f"run {i} ({st})").items():
                    label = lf.lbl(tg, e, f"run {i}")
                    if act is not None and st == "state1":
                        keys1[(tg, e)] = {(r["user_pseudo_id"], X.norm(utc(r["event_ts"]))): r["event_key"] for r in act if r["event_date"] == day3}
                    if act is not None and st != "state1" and (tg, e) in keys1:
                        # The daily copy lists the params in another order: event_key must not change.
                        now_ = {(r["user_pseudo_id"], X.norm(utc(r["event_ts"]))): r["event_key"] for r in act if r["event_date"] == day3}
                        both = sorted(k for k in keys1[(tg, e)] if k in now_)
                        changed = [k for k in both if keys1[(tg, e)][k] != now_[k]]
                        R.check(f"{label}: event_key of an event is the same in its intraday and daily copy "
                                f"(params sorted by key; {len(both)} events)", bool(both) and not changed,
                                f"event_key changed for {changed}" if both else "no event in both copies")
                    if act is not None and st != "state1":
                        want = sorted(X.canon(r) for r in X.dedupe(tables[e], [f for row in d["daily3"][L.sfx(3)] if row["event_name"] == e
                                                                                for f in X.flatten_event(tables[e], row)]))
                        got = lifecycle_day(act, day3)
                        R.check(f"{label}: day 07-03 equals its daily rows (traffic filled, spam gone)",
                                got == want, f"got {len(got)} rows, want {len(want)}\n" + "\n".join(map(str, sorted(set(got) ^ set(want))))[:2000])
        for e in evs:
            lf.rerun_unchanged(e, f"run {len(seq) + 1} (unchanged)")

    # (ii) a late event in a re-read day older than watermark - 72 h; (iii) the target dropped.
    d = L.late_event(["lc_late", "lc_first"])
    lf = life("late-and-dropped", "lc_late", "lc_first")
    lf.export(d["state1"])
    lf.run("lc_late", "run 1")
    lf.run("lc_first", "run 1")
    lf.export(d["state2"])
    acts = lf.run("lc_late", "run 2 (late events in re-read days)")
    lf.run("lc_first", "run 2 (late events in re-read days)")
    lf.has("lc_late", "run 2", "a late event older than watermark - 72 h in a re-read day is present", [d["old_late"]["lc_late"]], acts)
    lf.has("lc_late", "run 2", "a late event inside watermark - 72 h is present", [d["new_late"]["lc_late"]], acts)
    lf.drop("lc_late")
    for tg, act in lf.run("lc_late", "run 3 (after DROP TABLE: rebuilt whole)").items():
        if act is not None:
            days = sorted({r["event_date"] for r in act})
            R.check(f"{lf.lbl(tg, 'lc_late', 'run 3')}: every day of the export is back", days == [dt.date(2025, 7, k) for k in range(1, 7)], f"days: {days}")
    lf.rerun_unchanged("lc_late", "run 4 (unchanged)")

    # (iv) keys recurring across days, keep_first / keep_latest; a rerun changes nothing.
    evs = ["lc_first", "lc_latest"]
    d = L.recurring_keys(evs)
    lf = life("recurring-keys", *evs)
    for i, st in enumerate(["state1", "state2"], 1):
        lf.export(d[st])
        for e in evs:
            lf.run(e, f"run {i} ({st})")
    for e in evs:
        lf.rerun_unchanged(e, "run 3 (unchanged)")
    lf.export(d["state3"])
    for e in evs:
        lf.run(e, "run 4 (state3)")
        lf.rerun_unchanged(e, "run 5 (unchanged)")
    d = L.transactions(["lc_txn"])
    lf = life("transaction-resent", "lc_txn")
    lf.export(d["state1"])
    lf.run("lc_txn", "run 1")
    lf.export(d["state2"])
    lf.run("lc_txn", "run 2 (T1 resent a week later, T5 as a number then a string)")
    lf.rerun_unchanged("lc_txn", "run 3 (unchanged)")

    # (v) batch: daily, full and incremental = one pass (dbt and Dataform: one statement).
    evs = ["lc_batch_full", "lc_batch_incr"]
    d = L.batches(evs)
    lf = life("batch-daily", *evs)
    for i, st in enumerate(["state1", "state2"], 1):
        lf.export(d[st])
        for e in evs:
            lf.run(e, f"run {i} ({st})")
    for e in evs:
        lf.rerun_unchanged(e, "run 3 (unchanged)")

    # (vi) ints and doubles in one param.
    d = L.types(["lc_types"])
    lf = life("types", "lc_types")
    for i, st in enumerate(["state1", "state2"], 1):
        lf.export(d[st])
        for tg, act in lf.run("lc_types", f"run {i} ({st})").items():
            if act is not None:
                for col, key in (("value", "value"), ("amount", "amount")):
                    nulls = [r["user_pseudo_id"] for r in act if r.get(col) is None and r["user_pseudo_id"] != "u5"]
                    R.check(f"{lf.lbl(tg, 'lc_types', f'run {i}')}: {col} has no NULL where {key} is set (int or double)", not nulls, f"NULL for {nulls}")

    # (vii) an event dated 2031.
    d = L.future_event(["lc_future"])
    lf = life("future-event", "lc_future")
    for i, st in enumerate(["state1", "state2", "state3"], 1):
        lf.export(d[st])
        acts = lf.run("lc_future", f"run {i} ({st})")
        if i > 1:
            lf.has("lc_future", f"run {i}", "late events after a 2031-dated event still land", d["late"]["lc_future"][: i - 1], acts)

    # (viii) source modes.
    evs = ["lc_src_daily", "lc_src_daily_intraday", "lc_src_intraday", "lc_src_daily_fresh"]
    d = L.source_modes(evs)
    lf = life("source-modes", *evs)
    for i, st in enumerate(["state1", "state2", "state3"], 1):
        lf.export(d[st])
        for e in evs:
            lf.run(e, f"run {i} ({st})")
    for e in evs:
        lf.rerun_unchanged(e, "run 4 (unchanged)")

    # A day inside the lookback loses its only shard: the full rebuild has no rows for it.
    d = L.vanished_shard(["lc_src_intraday"])
    lf = life("vanished-shard", "lc_src_intraday")
    lf.export(d["state1"])
    lf.run("lc_src_intraday", "run 1")
    lf.export(d["state2"])
    for tg, act in lf.run("lc_src_intraday", "run 2 (the shard of 07-01 deleted)").items():
        if act is not None:
            left = [r["event_ts"] for r in act if r["event_date"] == dt.date(2025, 7, 1)]
            R.check(f"{lf.lbl(tg, 'lc_src_intraday', 'run 2')}: a day inside the lookback whose only shard is gone is emptied",
                    not left, f"rows of 07-01 left: {left}")




def expected_check_failures(t: X.Table, rows: list[dict], shards: dict[str, list[dict]], today: dt.date) -> set[tuple]:
    """What `_checks.sql` must report for one table (README "Data checks"), computed from the
    table's rows and the export's rows: {(table, check, day)}."""
    chosen = X.chosen_shards(t, shards, today)
    out: set[tuple] = set()
    if not chosen:
        return out
    margin = X.day_margin(t)
    newest = max(chosen)
    look = math.ceil(t.lookback.total_seconds() / 86400)
    first, last = max(min(chosen), newest - dt.timedelta(days=look)), newest
    win_start, win_end = X.window(t, today)
    day = lambda r: X.partition_day(t, r)  # noqa: E731
    checked = [r for r in rows if day(r) is not None and first <= day(r) <= last]
    across = not all(k in ("event_key", "item_index") for k in t.dedupe_key)

    def key(r: dict) -> tuple:
        parts = tuple(X.norm(r[k]) for k in t.dedupe_key)
        return parts + ((r["event_key"],) if any(r[k] is None for k in t.nullable) else ())
    keys = collections.Counter(key(r) for r in (rows if across else checked))
    if any(n > 1 for n in keys.values()):
        out.add((t.full_name, "unique_key", None))
    for col in t.required:
        out |= {(t.full_name, "required", day(r)) for r in checked if r[col] is None}
    if t.window_start or t.window_end:
        lo = t.window_start - dt.timedelta(days=margin) if t.window_start else None
        hi = t.window_end + dt.timedelta(days=margin) if t.window_end else None
        if any(day(r) is None or (lo and day(r) < lo) or (hi and day(r) > hi) for r in rows):
            out.add((t.full_name, "window", None))
    has_key = any(c.name == "event_key" for c in t.columns)
    if t.explode and not has_key:
        return out
    # One row per event, or (items exploded) one per item: then the events are the distinct keys.
    if t.explode:
        stored = {d: len({r["event_key"] for r in checked if day(r) == d}) for d in {day(r) for r in checked}}
    else:
        stored = collections.Counter(day(r) for r in checked)
    events: dict[dt.date, int] = collections.defaultdict(int)
    stamps: dict[dt.date, set] = collections.defaultdict(set)
    read_from, read_to = max(win_start, first - dt.timedelta(days=margin)), min(win_end, last + dt.timedelta(days=margin))
    for d, suffix in chosen.items():
        if not (read_from <= d <= read_to):
            continue
        for row in shards[suffix]:
            if row["event_name"] != t.event:
                continue
            if t.drop_denied and (row.get("user_pseudo_id") is None or ((row.get("privacy_info") or {}).get("analytics_storage") or "") == "No"):
                continue
            pd = day(X.flatten_event(t, row)[0])
            if pd is not None and first <= pd <= last:
                events[pd] += 1
                stamps[pd].add(row["event_timestamp"])
    daily = {d for d, suffix in chosen.items() if L.parse_suffix(suffix)[0] == "daily"}
    for d in set(events) | set(stored):
        n = stored.get(d, 0)
        complete = all(d + dt.timedelta(days=k) in daily for k in range(-margin, margin + 1))
        if n > events.get(d, 0) or (not across and complete and n < len(stamps.get(d, ()))):
            out.add((t.full_name, "row_count", d))
    return out


def target_tests(gen: dict[str, Path], con, it: bqscript.Interpreter, t: X.Table) -> None:
    """dbt's data tests and Dataform's assertions of table `t`, run on the table after a row
    was copied and its required `page` emptied on one row: the key's uniqueness and `page`'s
    not-NULL fail (return rows), `event_key`'s not-NULL passes."""
    for tg, pattern in (("dbt", "zz_test_*.sql"), ("dataform", "zz_assertion_*.sql")):
        if tg not in gen:
            continue
        results = {}
        for f in sorted((gen[tg] / "bigquery" / "incremental").glob(pattern)):
            sql = f.read_text()
            if f"`{t.name}`" not in sql and f".{t.name}" not in sql:
                continue
            label = f"checks/{tg} {f.name}"
            if run_script(it, f, label) is None:
                continue
            # dbt: `where page is null`; Dataform: `WHERE NOT (page IS NOT NULL)`.
            nulls = re.search(r"(\w+)`? is null|not \((\w+) is not null\)", sql, re.I)
            results[f"not_null {nulls.group(1) or nulls.group(2)}" if nulls else "unique"] = bool(it.last_rows)
        want = {"unique": True, "not_null page": True} | ({"not_null event_key": False} if tg == "dbt" else {})
        R.check(f"checks/{tg}: its tests of {t.name} fail on the copied row and the emptied required param only",
                results == want, f"got {results}, want {want}")


def scenario_checks(work: Path, bqflat: str) -> None:
    """bigquery/_checks.sql over the lifecycle project: its failed checks equal those computed
    from the tables' rows and the export's rows, as the export and the tables change."""
    proj = HERE / "projects" / "lifecycle"
    out = work / "checks"
    files = build(proj, out, bqflat)
    checks = out / "bigquery" / "_checks.sql"
    tables = {t.event: t for t in X.load_project(proj)}
    evs = ["lc_intraday", "lc_intraday_full", "lc_latest"]
    today = dt.date(2025, 7, 21)
    con = new_connection()
    it = bqscript.Interpreter(con, today=today)
    t0 = tables[evs[0]]
    src = ga4.Source(t0.source_project, t0.source_dataset)
    d = L.intraday_then_daily(evs)

    def export(shards: dict) -> None:
        src.set_state(shards)
        src.load(con)

    def verify(step: str, want_some: bool) -> None:
        label = f"checks/{step}"
        err = run_script(it, checks, label, expect_error="checks failed" if want_some else None)
        got = {(r[0], r[1], r[2]) for r in it.last_rows or []}
        want: set[tuple] = set()
        for t in tables.values():
            if table_exists(con, t.project, t.dataset, t.name):
                want |= expected_check_failures(t, actual_rows(con, t), src.shards, today)
            else:
                want.add((t.full_name, "error", None))
        R.check(f"{label}: the failed checks are those computed from the rows ({len(want)})", got == want,
                f"got {sorted(got, key=str)}\nwant {sorted(want, key=str)}")
        if want_some:
            R.check(f"{label}: the script fails, naming how many checks failed", bool(err) and f"{len(want)} checks failed" in err, f"error: {err!r}")
        else:
            R.check(f"{label}: no check fails", not want and not got, f"rows {sorted(got, key=str)}")

    def run_all(step: str) -> None:
        for e, t in tables.items():
            run_script(it, files[t.full_name], f"checks/{step}: {e}")

    # README: the export is read once per group of tables that read it alike.
    groups = {(tuple(t.shards), t.window_start, t.window_end, t.lookback, X.day_margin(t), t.timezone, t.partition_by, t.drop_denied)
              for t in tables.values()}
    reads = len(re.findall(r"FROM `[^`]*\.events_\*` AS e", checks.read_text()))
    R.check(f"checks: the export is read once per group of tables that read it alike ({len(groups)} groups)", reads == len(groups),
            f"{reads} reads of the export for {len(groups)} groups")
    export(d["state1"])
    run_all("run 1")
    verify("after run 1", False)
    # The daily shard of 07-03 lands with one event more than the tables hold, before any run.
    extra = {k: [dict(r) for r in v] for k, v in d["state3"].items()}
    for e in evs:
        extra[L.sfx(3)].append(L.ev(e, L.at(3, 17), "u9", [ga4.param("page", string="/extra")]))
    export(extra)
    verify("daily shard landed, not run yet", True)
    run_all("run 2")
    verify("after run 2", False)
    # A row copied, a required param emptied, a row dated before the window.
    t = tables["lc_intraday"]
    ref = tref(t.project, t.dataset, t.name)
    con.execute(f"INSERT INTO {ref} SELECT * FROM {ref} WHERE user_pseudo_id = 'u1' AND event_date = DATE '2025-07-02'")
    con.execute(f"UPDATE {ref} SET page = NULL WHERE user_pseudo_id = 'u2' AND event_date = DATE '2025-07-03'")
    con.execute(f"INSERT INTO {ref} SELECT * REPLACE (DATE '2025-06-15' AS event_date) FROM {ref} WHERE user_pseudo_id = 'u4'")
    tl = tables["lc_latest"]
    ref_l = tref(tl.project, tl.dataset, tl.name)
    con.execute(f"INSERT INTO {ref_l} SELECT * FROM {ref_l} WHERE user_pseudo_id = 'u3'")
    verify("rows tampered with", True)
    target_tests(compile_targets(out, work / "checks-gen", "lifecycle"), con, it, t)
    con.execute(f"DROP TABLE {ref}")
    err = run_script(it, checks, "checks/table dropped", expect_error="checks failed")
    got = [(r[0], r[1]) for r in it.last_rows or [] if r[0] == t.full_name]
    others = {r[0] for r in it.last_rows or []} - {t.full_name}
    R.check("checks/table dropped: the missing table is one failed check, the others still checked",
            got == [(t.full_name, "error")] and tl.full_name in others and bool(err), f"rows {it.last_rows}; error {err!r}")
    details = {(r[0], r[1]): r[3] for r in it.last_rows or []}
    R.check("checks/table dropped: each failed check says what it found",
            "1 keys are on more than one row" in details.get((tl.full_name, "unique_key"), "")
            and "could not run" in details.get((t.full_name, "error"), ""), f"details {details}")


def scenario_run_failure(work: Path, bqflat: str) -> None:
    """_run.sql: a table that fails is rolled back and logged, the others are built, and the run
    then fails naming it."""
    proj = HERE / "projects" / "lifecycle"
    files = build(proj, work / "run-failure", bqflat)
    tables = {t.event: t for t in X.load_project(proj)}
    d = L.late_event(["lc_late", "lc_first"])
    lf = Life("run-failure", {e: tables[e] for e in ("lc_late", "lc_first")}, files, {})
    lf.export(d["state1"])
    bad, good = tables["lc_late"], tables["lc_first"]
    # A table in the way, without the table's columns: its INSERT fails.
    lf.it["run"].run(f"CREATE SCHEMA IF NOT EXISTS `{bad.project}.{bad.dataset}`; "
                     f"CREATE TABLE `{bad.full_name}` (event_date DATE, unrelated INT64);")
    label = "lifecycle/run-failure/_run.sql"
    msg = run_script(lf.it["run"], files[RUN_FILE], label, expect_error="a failed table")
    it = lf.it["run"]
    log = [dict(zip(it.last_columns, r)) for r in it.last_rows or []]
    by = {r["table_name"]: r for r in log}
    R.check(f"{label}: the run fails naming the failed table", msg is not None and bad.full_name in msg, f"error: {msg}")
    R.check(f"{label}: the log marks it failed with its error, the summary names it",
            by.get(bad.full_name, {}).get("status") == "failed" and bool(by.get(bad.full_name, {}).get("error"))
            and by.get("all tables", {}).get("status") == "failed" and bad.full_name in (by.get("all tables", {}).get("error") or ""),
            json.dumps(log, default=str)[:2000])
    others = [r for r in log if r["position"] is not None and r["table_name"] != bad.full_name]
    R.check(f"{label}: every other table is built ({len(others)})", bool(others) and all(r["status"] == "ok" for r in others),
            json.dumps(others, default=str)[:2000])
    check_table(lf.con["run"], good, L.full_rebuild(good, lf.shards), f"{label}: {good.event} after another table failed = full rebuild")
    left = fetch(lf.con["run"], f"SELECT * FROM {tref(bad.project, bad.dataset, bad.name)}")
    runs = [r for r in lf.meta(bad, "runs", "run")]
    R.check(f"{label}: the failed table is left as it was, with no _runs row", not left and not runs, f"{len(left)} rows, {len(runs)} runs")


def scenario_interpreter(work: Path, bqflat: str) -> None:
    interp_checks.run_checks(R.check)


def billed_bytes(field: dict, value) -> dict[str, int]:
    """The bytes BigQuery's data size calculation gives a value of an export field, per leaf path:
    NULL 0, STRING 2 + its UTF-8 length, INTEGER, FLOAT, TIMESTAMP and DATE 8, BOOLEAN 1;
    a RECORD adds its fields' bytes and a REPEATED field each element's."""
    out: dict[str, int] = collections.Counter()
    values = value if field.get("mode") == "REPEATED" and isinstance(value, list) else [value]
    for v in values:
        if field["type"] == "RECORD":
            for sub in field["fields"]:
                if isinstance(v, dict) and sub["name"] in v:
                    for leaf, n in billed_bytes(sub, v[sub["name"]]).items():
                        out[field["name"] + "." + leaf] += n
        else:
            if v is None:
                n = 0
            elif field["type"] == "STRING":
                n = 2 + len((v if isinstance(v, str) else json.dumps(v)).encode("utf-8"))
            elif field["type"] in ("BOOLEAN", "BOOL"):
                n = 1
            else:
                n = 8
            out[field["name"]] += n
    return out


def scenario_cost(work: Path, bqflat: str) -> None:
    """The cost model's sizes: `bqflat cost --profile-from-rows` over every fixture row gives each
    leaf column the bytes BigQuery's documented sizes give it, summed here over the rows straight
    from the export schema; a first run's scan of a project is billed those bytes of its leaves."""
    work.mkdir(parents=True, exist_ok=True)
    rows = [r for shard in data.all_shards().values() for r in shard]
    path = work / "cost_rows.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows))
    totals: dict[str, int] = collections.Counter()
    for r in rows:
        for f in ga4.SCHEMA:
            if f["name"] in r:
                for leaf, n in billed_bytes(f, r[f["name"]]).items():
                    totals[leaf] += n
    out = subprocess.run([bqflat, "cost", "--profile-from-rows", str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        R.check("cost: --profile-from-rows prints a profile", False, out.stderr)
        return
    profile = json.loads(out.stdout)
    days = len({r["event_date"] for r in rows})
    R.check("cost: history_days is the fixture's distinct event dates", profile["history_days"] == days,
            f"{profile['history_days']} != {days}")
    got = {k: v * profile["history_days"] for k, v in profile["leaf_bytes_per_day"].items()}
    bad = {k: (got.get(k), totals.get(k)) for k in set(got) | set(totals)
           if got.get(k) is None or totals.get(k) is None or abs(got[k] - totals[k]) > 1e-6 * max(1, totals[k])}
    R.check(f"cost: each of {len(totals)} leaf columns is billed its documented size over {len(rows)} rows",
            not bad, f"leaf: (bqflat, expected) {sorted(bad.items())[:6]}")
    R.check("cost: the fixture's params give strings, ints and doubles bytes",
            all(totals[k] > 0 for k in ["event_params.key", "event_params.value.string_value",
                                        "event_params.value.int_value", "event_params.value.double_value"]))
    counts = collections.Counter(r["event_name"] for r in rows)
    want = {k: v / days for k, v in counts.items()}
    R.check("cost: rows per day of each event", profile["events_per_day"] == want, f"{profile['events_per_day']} != {want}")
    # A first run (no window) of a project reads every shard once in _run.sql's scan: the bytes of
    # the leaves the manifest says its tables read.
    proj = work / "cost_project"
    (proj / "events").mkdir(parents=True, exist_ok=True)
    (proj / "bqflat.yaml").write_text("project: proj-cost\nsource_dataset: raw\ntarget_dataset: flat\nmode: incremental\n")
    (proj / "events" / "page_view.yaml").write_text(
        "event: page_view\nparams:\n  - {key: p_str}\n  - {key: p_int, type: int64}\nuser_properties:\n  - {key: tier}\n")
    (proj / "events" / "purchase.yaml").write_text("event: purchase\nitems: explode\n")
    (work / "profile.json").write_text(out.stdout)
    est = subprocess.run([bqflat, "cost", str(proj), "--profile", str(work / "profile.json"), "--format", "json"],
                         capture_output=True, text=True)
    built = subprocess.run([bqflat, "build", str(proj)], capture_output=True, text=True)
    if est.returncode != 0 or built.returncode != 0:
        R.check("cost: the estimate and the build run", False, est.stderr + built.stderr)
        return
    manifest = json.loads((proj / "build" / "manifest.json").read_text())
    leaves = {leaf for a in manifest["artifacts"] if a.get("table") for leaf in a["table"]["reads"]["leaves"]}
    scan = [s for s in json.loads(est.stdout)["scenarios"]["first"]["run"]["statements"] if s["what"].startswith("scan")]
    want = sum(totals.get(leaf, 0) for leaf in leaves)
    got = scan[0]["reads"][0]["bytes"] if scan else None
    R.check(f"cost: a first run's scan is billed the documented bytes of its {len(leaves)} leaves over every row",
            got is not None and abs(got - want) <= 1, f"{got} != {want}")
    # The profile script, against a stand-in `bq` that logs each query and answers as bq does.
    fake = work / "fakebin"
    fake.mkdir(exist_ok=True)
    log = work / "bq.log"
    (fake / "bq").write_text(
        "#!/bin/sh\nfor a in \"$@\"; do last=\"$a\"; done\n"
        f"echo \"$*\" >> '{log}'\n"
        "case \"$*\" in\n"
        "  *--dry_run*) echo '{\"statistics\":{\"query\":{\"totalBytesProcessed\":\"1000\"}}}';;\n"
        "  ls*) echo '[{\"tableReference\":{\"tableId\":\"events_20250701\"}},{\"tableReference\":{\"tableId\":\"events_intraday_20250702\"}}]';;\n"
        "  *) echo '[{\"event_name\":\"page_view\",\"n\":\"7\"}]';;\n"
        "esac\n")
    (fake / "bq").chmod(0o755)
    script = subprocess.run([bqflat, "cost", str(proj), "--profile-queries", "--day", "20250701"],
                            capture_output=True, text=True)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    measured = subprocess.run(["sh", "-c", script.stdout, "profile.sh", "20250702"], capture_output=True, text=True, env=env)
    queries = log.read_text().splitlines() if log.exists() else []
    dry = [q for q in queries if "--dry_run" in q]
    R.check("cost: the profile script dry-runs one query per leaf, over the shard it is given",
            measured.returncode == 0 and len(dry) == len(leaves) and all("events_20250702`" in q for q in dry),
            measured.stderr + "\n".join(queries[:3]))
    billed = [q for q in queries if q.startswith("query") and "--dry_run" not in q]
    R.check("cost: the profile script runs one billed query, reading event_name only",
            len(billed) == 1 and "COUNT(*)" in billed[0] and "GROUP BY e.event_name" in billed[0], "\n".join(billed))
    try:
        prof = json.loads(measured.stdout)
    except ValueError:
        prof = {}
    R.check("cost: the profile script assembles the days, the rows per event and every leaf's bytes",
            prof.get("history_days") == 1 and prof.get("events_per_day") == {"page_view": 7.0}
            and sorted(prof.get("leaf_bytes_per_day", {})) == sorted(leaves)
            and all(v == 1000.0 for v in prof["leaf_bytes_per_day"].values()),
            measured.stdout[:300])
    (work / "measured.json").write_text(measured.stdout)
    ok = subprocess.run([bqflat, "cost", str(proj), "--profile", str(work / "measured.json")], capture_output=True, text=True)
    R.check("cost: bqflat accepts the measured profile", ok.returncode == 0 and "dry runs" in ok.stdout, ok.stderr)



def tool_build(it: bqscript.Interpreter, con, gen_dir: Path, tables: list[X.Table], label: str) -> bool:
    """What one `dbt build` (one Dataform run) of a build with sources runs, in its order: each
    source's base once, each table's model (its first run when the table is missing, else its
    incremental run), then the views over them. False when a script failed (reported)."""
    for ds in sorted({(t.project, t.dataset) for t in tables}):  # the tools create the datasets they write to
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(ds[0])}.{q(ds[1])}")
    info = json.loads((gen_dir / "bases.json").read_text())
    for b in info["bases"]:
        later = table_exists(con, *b["relation"])
        if run_script(it, gen_dir / (b["later"] if later else b["first"]), f"{label}: base {b['name']}") is None:
            return False
    for t in tables:
        later = table_exists(con, t.project, t.dataset, t.name) and t.mode == "incremental"
        if run_script(it, gen_dir / "bigquery" / ("incremental" if later else "") / f"{t.name}.sql", f"{label}: {t.name}") is None:
            return False
    views = [a["path"] for a in json.loads((gen_dir / "manifest.json").read_text())["artifacts"] if a.get("view")]
    return all(run_script(it, gen_dir / v, f"{label}: {Path(v).name}") is not None for v in views)


def tool_tests(it: bqscript.Interpreter, gen_dir: Path, label: str) -> None:
    """dbt's data tests (Dataform's assertions) over the tables the run left: none returns a row."""
    for f in sorted((gen_dir / "bigquery" / "incremental").glob("zz_*.sql")):
        if run_script(it, f, f"{label}: {f.stem}") is not None:
            rows = it.last_rows or []
            R.check(f"{label}: {f.stem} returns no rows", not rows, f"{len(rows)} rows, e.g. {rows[:3]}")


def scenario_sources(work: Path, bqflat: str) -> None:
    """`sources:` (README "Several properties"): two properties in two GCP projects, with the same
    transaction ids, one lagging five days behind the other and then catching up. After every run
    of the tables' own scripts (then the views' scripts), of _run.sql, and of what dbt and
    Dataform run for the same build (bases, models, views), each source's table must equal the
    full rebuild over that source's export alone and the BigQuery scripts' table, every row carry
    its property id, and the view hold exactly the rows of the event's tables."""
    proj = HERE / "projects" / "sources"
    out = work / "sources"
    files = build(proj, out, bqflat)
    tables = X.load_project(proj)
    manifest = json.loads((out / "manifest.json").read_text())
    views = [out / a["path"] for a in manifest["artifacts"] if a.get("view") and a["path"].startswith("bigquery/")]
    by_view = {}
    for t in tables:
        by_view.setdefault(t.name.rsplit("__", 1)[0], []).append(t)
    R.check("sources: a table per event and source, and a view per event",
            sorted(t.name for t in tables) == sorted(Path(a["path"]).stem for a in manifest["artifacts"] if a.get("table") and a["path"].startswith("bigquery/"))
            and sorted(p.stem for p in views) == sorted(by_view),
            f"tables {[t.name for t in tables]}, views {[p.name for p in views]}")
    gen = compile_targets(out, work / "sources-gen", "sources")

    def other_users(state: dict[str, list[dict]]) -> dict[str, list[dict]]:
        # The other property's users; its transaction ids stay the same.
        return {k: [dict(r, user_pseudo_id=f"app-{r['user_pseudo_id']}") for r in rows] for k, rows in state.items()}

    rk, tx = L.recurring_keys(["sc_pages"]), L.transactions(["sc_txn"])
    web = [L.merged(rk["state1"], tx["state1"]), L.merged(rk["state2"], tx["state2"]), L.merged(rk["state3"], tx["state2"])]
    # The app's export stops at day 2 while the web's reaches day 8, further than the lookback,
    # then lands days 3 to 9: its table resumes from its own newest day, not the web's.
    early = {k: v for k, v in L.merged(rk["state1"], tx["state1"]).items() if k <= L.sfx(2)}
    app = [other_users(s) for s in (early, early, L.merged(rk["state3"], tx["state2"]))]
    steps = [("run 1", web[0], app[0]), ("run 2 (the app lags 6 days)", web[1], app[1]),
             ("run 3 (the app catches up)", web[2], app[2]), ("run 4 (unchanged)", web[2], app[2])]
    first = tables[0]
    # (step, table) -> the rows the BigQuery scripts' table holds after that step.
    ref: dict[tuple[str, str], list] = {}
    for mode in ("scripts", "run") + tuple(tg for tg in LIFE_TARGETS if tg in gen):
        con = new_connection()
        it = bqscript.Interpreter(con, today=dt.date(2025, 7, 21))
        srcs = {t.source_dataset: ga4.Source(t.source_project, t.source_dataset) for t in tables}
        before: dict[str, list] = {}
        for step, w, a in steps:
            label = f"sources/{ {'run': '_run.sql'}.get(mode, mode)} {step}"
            for src in srcs.values():
                src.set_state(w if src.dataset == first.source_dataset else a)
                src.load(con)
            if mode in gen:
                if not tool_build(it, con, gen[mode], tables, label):
                    continue
            else:
                scripts = [files[RUN_FILE]] if mode == "run" else [files[t.full_name] for t in tables] + views
                if any(run_script(it, p, f"{label}: {p.name}") is None for p in scripts):
                    continue
            if mode == "run":
                log = [dict(zip(it.last_columns, r)) for r in it.last_rows or []]
                logged = {r["table_name"]: r["status"] for r in log if r["position"] is not None}
                want = {t.full_name: "ok" for t in tables} | {f"{first.project}.{first.dataset}.{v}": "ok" for v in by_view}
                R.check(f"{label}: the log has an ok row per table and per view", logged == want, f"{logged}")
            for view, parts in sorted(by_view.items()):
                rows = []
                for t in parts:
                    exp = L.full_rebuild(t, srcs[t.source_dataset].shards)
                    # README: dbt's and Dataform's merge key, unless the dedupe key is event_key alone.
                    extra = {"bqflat_row_key": "STRING"} if mode in gen and t.dedupe_key != ["event_key"] else {}
                    act = check_table(con, t, exp, f"{label}: {t.name} = full rebuild of its own source", extra)
                    R.check(f"{label}: {t.name}: every row has property_id {t.property_id!r}",
                            bool(act) and all(r["property_id"] == t.property_id for r in act), f"{sorted({r['property_id'] for r in act})}")
                    got_t = sorted(X.canon(r, ()) for r in act)
                    if mode == "scripts":
                        ref[(step, t.name)] = got_t
                    elif (step, t.name) in ref:
                        R.check(f"{label}: {t.name}: rows = the BigQuery scripts' table's (event_key included)", got_t == ref[(step, t.name)])
                    rows.extend(act)
                got = fetch(con, f"SELECT * FROM {tref(first.project, first.dataset, view)}")
                same = sorted(X.canon(r, ()) for r in got) == sorted(X.canon(r, ()) for r in rows)
                R.check(f"{label}: view {view} = its {len(parts)} tables' rows ({len(rows)})", same, "" if same else diff_text(rows, got))
                if step.startswith("run 4"):
                    R.check(f"{label}: view {view}: a run over unchanged exports changes no row", same and sorted(X.canon(r, ()) for r in got) == before[view])
                before[view] = sorted(X.canon(r, ()) for r in got)
            txn = [t for t in tables if t.event == "sc_txn"]
            ids = [sorted(r["transaction_id"] for r in actual_rows(con, t) if r["transaction_id"]) for t in txn]
            R.check(f"{label}: a transaction id of both properties is kept in each", len(ids) == 2 and bool(set(ids[0]) & set(ids[1])), f"{ids}")
            if mode in gen:
                tool_tests(it, gen[mode], label)
            else:
                source_checks(it, con, files["bigquery/_checks.sql"], tables, srcs, label)
        if mode == "scripts":
            # A row of the app's table copied: _checks.sql names that table's key alone.
            t = next(t for t in tables if t.event == "sc_txn" and t.property_id == "app")
            con.execute(f"INSERT INTO {tref(t.project, t.dataset, t.name)} SELECT * FROM {tref(t.project, t.dataset, t.name)} "
                        "WHERE event_date = (SELECT MAX(event_date) FROM " + tref(t.project, t.dataset, t.name) + ") LIMIT 1")
            source_checks(it, con, files["bigquery/_checks.sql"], tables, srcs, "sources/scripts a row of the app's table copied", {(t.full_name, "unique_key")})


def source_checks(it: bqscript.Interpreter, con, checks: Path, tables: list[X.Table], srcs: dict[str, ga4.Source], label: str,
                  failing: set[tuple] = frozenset()) -> None:
    """_checks.sql over the tables of every source: its failed checks are those computed from each
    table's rows and its own source's export (README "Data checks"), and name the checks `failing`."""
    want: set[tuple] = set()
    for t in tables:
        want |= expected_check_failures(t, actual_rows(con, t), srcs[t.source_dataset].shards, it.today)
    err = run_script(it, checks, f"{label}: _checks.sql", expect_error="checks failed" if want else None)
    got = {(r[0], r[1], r[2]) for r in it.last_rows or []}
    R.check(f"{label}: _checks.sql's failed checks are those computed from each table and its own source ({len(want)})",
            got == want and {w[:2] for w in want} == set(failing) and (bool(err) == bool(want)),
            f"got {sorted(got, key=str)}\nwant {sorted(want, key=str)}\nexpected to fail: {sorted(failing)}; error {err!r}")

SCENARIOS = {
    "interpreter": scenario_interpreter,
    "full": scenario_full,
    "incremental": scenario_incremental,
    "migrations": scenario_migrations,
    "rollback": scenario_rollback,
    "example": scenario_example,
    "discover": scenario_discover,
    "catalog": scenario_catalog,
    "targets": scenario_targets,
    "lifecycle": scenario_lifecycle,
    "run-failure": scenario_run_failure,
    "cost": scenario_cost,
    "checks": scenario_checks,
    "sources": scenario_sources,
}
TITLES = {
    "interpreter": "bqscript.py's own features on small scripts (INFORMATION_SCHEMA, partitions, temp tables, COPY, DELETE, arrays)",
    "full": "projects/full: full rebuilds (CREATE OR REPLACE ... AS SELECT; daily batches) over every shard",
    "incremental": "projects/incremental: first run, new shards + late events + duplicates, second run, unchanged third run",
    "migrations": "projects/incremental: an added param and a version bump in place, each migration run twice in run.sh's order",
    "rollback": "projects/incremental: a failing run rolls back and re-raises; daily batches keep the committed days",
    "example": "examples/ga4_ecommerce on the fixture data, CURRENT_DATE() pinned to 2025-07-08, two runs",
    "discover": "bqflat discover-sql over the fixture shards: the catalog equals counts taken from the rows",
    "catalog": "discover-sql -> catalog.json -> init --catalog -> full build: typed params from the catalog; globs",
    "targets": "projects/targets built for bigquery, dbt, dataform: the tools' SQL computes the BigQuery target's rows",
    "lifecycle": "projects/lifecycle: export states and runs; after every run each table = the full rebuild model",
    "run-failure": "projects/lifecycle: _run.sql with one table failing: logged, rolled back, the others built, the run fails",
    "checks": "projects/lifecycle: bigquery/_checks.sql's failed checks = those computed from the tables' and the export's rows",
    "sources": "projects/sources: two properties, one lagging then catching up: each source's table = its own full rebuild; the view = their rows",
    "cost": "bqflat cost --profile-from-rows on the fixture rows: each leaf's bytes = BigQuery's documented sizes",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bqflat", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--only", action="append", choices=list(SCENARIOS))
    ap.add_argument("--mutations", action="store_true", help="check that every mutation of the SQL is caught")
    args = ap.parse_args()
    work = Path(args.work)
    try:
        if args.mutations:
            return mutations(work, args)
        return scenarios(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scenarios(work: Path, args) -> int:
    start = time.monotonic()
    for name, fn in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        p0, f0, s0 = R.passed, R.failed, time.monotonic()
        print(f"== {name}: {TITLES[name]}")
        try:
            fn(work, args.bqflat)
        except Exception:  # a bug in the harness or fixture: count it, keep going
            import traceback

            R.check(f"{name}: scenario completes", False, traceback.format_exc())
        if R.passed + R.failed == p0 + f0:
            R.check(f"{name}: scenario checked something", False, "no check ran")
        print(f"-- {name}: {R.passed - p0} checks passed, {R.failed - f0} failed, {time.monotonic() - s0:.1f}s")
    wall = ""
    if os.environ.get("BQFLAT_DUCKDB_START"):
        wall = f", {time.time() - int(os.environ['BQFLAT_DUCKDB_START']):.0f}s wall time with install and build"
    print(f"({R.script_runs} script runs, {time.monotonic() - start:.1f}s in the scenarios{wall})")
    print(f"duckdb: {len(R.files)} files, {R.statements} statements, {R.passed} passed, {R.failed} failed")
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


def mutations(work: Path, args) -> int:
    """Each mutation of the generated SQL must make at least one check fail that passes on the
    unmutated SQL, or fail with another detail (other rows) than unmutated: a baseline run per
    scenario set records the checks that already fail and why, so a suite with known failures
    still proves something."""
    import contextlib
    import io

    global MUTATION, R
    start = time.monotonic()
    caught = missed = 0
    default = ["full", "incremental", "rollback"]

    def norm_detail(d: str, tag: str) -> str:
        d = d.replace(str(work / tag), "<work>")
        d = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", d)
        # event_key values hash the bundle ids ga4.event numbers per process: not comparable
        return re.sub(r"\b[0-9a-f]{32}\b", "<key>", d)

    def run_set(names: list[str], tag: str) -> Results:
        global R
        R = Results()
        with contextlib.redirect_stdout(io.StringIO()):
            for name in names:
                try:
                    SCENARIOS[name](work / tag, args.bqflat)
                except Exception:
                    R.check(f"{name}: scenario completes", False)
        return R

    baselines: dict[tuple, set[str]] = {}
    for i, m in enumerate(MUTATIONS):
        names = list(m[3]) if len(m) > 3 else default
        if args.only:
            names = [n for n in names if n in args.only]
            if not names:
                continue
        key = tuple(names)
        if key not in baselines:
            MUTATION = None
            base = run_set(names, f"base{len(baselines)}")
            baselines[key] = {f: norm_detail(base.details.get(f, ""), f"base{len(baselines)}") for f in base.failures}
            print(f"  baseline {', '.join(names)}: {base.passed} passed, {base.failed} failed (failures already there do not count)")
        MUTATION = m
        MUTATION_HITS[0] = 0
        res = run_set(names, f"m{i}")
        # caught: a check fails that passes unmutated, or fails differently (other rows)
        new_fail = [f for f in res.failures if f not in baselines[key] or norm_detail(res.details.get(f, ""), f"m{i}") != baselines[key][f]]
        ok = MUTATION_HITS[0] > 0 and bool(new_fail)
        caught += ok
        missed += not ok
        what = (f"caught by {len(new_fail)} failing checks (e.g. {new_fail[0]!r})" if new_fail else "NOT CAUGHT") if MUTATION_HITS[0] else "does not apply to any script"
        print(f"  {'ok  ' if ok else 'FAIL'} mutation {m[0]!r}: {what}")
    MUTATION = None
    print(f"({time.monotonic() - start:.1f}s)")
    print(f"mutations: {caught} passed, {missed} failed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
