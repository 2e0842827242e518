"""GA4 export rows for the tests, and loading them into DuckDB as date-sharded tables.

Rows are plain dicts shaped like the BigQuery export (schemas/ga4_export_schema.json): nested
`event_params` / `user_properties` with the four value columns, `items` with `item_params`, and
the scalar records (device, geo, ...). A shard is a list of rows; `load_shards` creates one DuckDB
table per shard (`events_YYYYMMDD`, `events_intraday_YYYYMMDD`) with the export's full column
types, and the view `events_*` that stands for BigQuery's wildcard table: the union of every
shard with the `_TABLE_SUFFIX` column.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "ga4_export_schema.json").read_text())

_SCALAR = {
    "STRING": "VARCHAR",
    "INTEGER": "BIGINT",
    "INT64": "BIGINT",
    "FLOAT": "DOUBLE",
    "FLOAT64": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duck_type(field: dict) -> str:
    if field["type"] == "RECORD":
        inner = ", ".join(f"{_q(f['name'])} {duck_type(f)}" for f in field["fields"])
        t = f"STRUCT({inner})"
    else:
        t = _SCALAR[field["type"]]
    return t + "[]" if field.get("mode") == "REPEATED" else t


def field_type(path: str) -> str:
    """The BigQuery type (INT64, STRING, FLOAT64, BOOL) of a scalar export field by dotted path."""
    fields = SCHEMA
    parts = path.split(".")
    for i, p in enumerate(parts):
        f = next(x for x in fields if x["name"] == p)
        if i == len(parts) - 1:
            return {"STRING": "STRING", "INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}[f["type"]]
        fields = f["fields"]
    raise KeyError(path)


def item_field_type(name: str) -> str:
    items = next(x for x in SCHEMA if x["name"] == "items")
    f = next(x for x in items["fields"] if x["name"] == name)
    return {"STRING": "STRING", "INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}[f["type"]]


COLUMNS = [(f["name"], duck_type(f)) for f in SCHEMA]

# --------------------------------------------------------------------------------------------
# Row builders

UTC = dt.timezone.utc


def micros(ts: dt.datetime) -> int:
    return int((ts - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000 + ts.microsecond


def value(string=None, int_=None, float_=None, double=None) -> dict:
    return {"string_value": string, "int_value": int_, "float_value": float_, "double_value": double}


def param(key: str, string=None, int_=None, float_=None, double=None) -> dict:
    return {"key": key, "value": value(string, int_, float_, double)}


def user_prop(key: str, string=None, int_=None, float_=None, double=None, set_at: int | None = None) -> dict:
    v = value(string, int_, float_, double)
    v["set_timestamp_micros"] = set_at
    return {"key": key, "value": v}


def item(**fields: Any) -> dict:
    d = dict(fields)
    d.setdefault("item_params", [])
    return d


_seq = [1000]


def event(
    name: str,
    ts: dt.datetime,
    user: str,
    params: list[dict] | None = None,
    *,
    shard_date: dt.date | None = None,
    user_id: str | None = None,
    user_properties: list[dict] | None = None,
    items: list[dict] | None = None,
    platform: str = "WEB",
    device: dict | None = None,
    geo: dict | None = None,
    traffic_source: dict | None = None,
    app_info: dict | None = None,
    ecommerce: dict | None = None,
    stream_id: str = "1234567",
    bundle: int | None = None,
    privacy_info: dict | None = None,
) -> dict:
    """One export row. The export's `event_date` is the shard's date (the property's day)."""
    _seq[0] += 1
    day = shard_date or ts.astimezone(UTC).date()
    return {
        "event_date": day.strftime("%Y%m%d"),
        "event_timestamp": micros(ts),
        "event_name": name,
        "event_params": params or [],
        "event_bundle_sequence_id": bundle if bundle is not None else _seq[0],
        "user_id": user_id,
        "user_pseudo_id": user,
        "user_properties": user_properties or [],
        "device": device or {"category": "desktop", "operating_system": "Linux"},
        "geo": geo or {"country": "Germany"},
        "app_info": app_info,
        "traffic_source": traffic_source or {"source": "google", "medium": "organic", "name": "(organic)"},
        "stream_id": stream_id,
        "platform": platform,
        "ecommerce": ecommerce,
        "items": items or [],
        "batch_event_index": 1,
        "batch_page_id": 1,
        "batch_ordering_id": 1,
        "privacy_info": privacy_info,
    }


def copy_of(row: dict) -> dict:
    return copy.deepcopy(row)


# --------------------------------------------------------------------------------------------
# Loading


class Source:
    """The sharded export of one GA4 property: shard suffix -> rows."""

    def __init__(self, project: str, dataset: str):
        self.project = project
        self.dataset = dataset
        self.shards: dict[str, list[dict]] = {}
        self._loaded: set[str] = set()  # shard tables created in DuckDB by load()

    def add(self, suffix: str, rows: list[dict]) -> None:
        self.shards.setdefault(suffix, []).extend(copy.deepcopy(rows))

    def replace(self, suffix: str, rows: list[dict]) -> None:
        """A shard rewritten (GA4 reprocesses a daily table for up to 72 hours)."""
        self.shards[suffix] = copy.deepcopy(rows)

    def remove(self, suffix: str) -> None:
        """A shard deleted (GA4 deletes an intraday table once the daily one is complete)."""
        self.shards.pop(suffix, None)

    def set_state(self, shards: dict[str, list[dict]]) -> None:
        """The export as it is now: exactly these shards."""
        self.shards = {k: copy.deepcopy(v) for k, v in shards.items()}

    def rows(self) -> list[tuple[str, dict]]:
        return [(s, r) for s in sorted(self.shards) for r in self.shards[s]]

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """(Re)creates every shard table and the `events_*` view."""
        cat, ds = self.project, self.dataset
        dbs = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        if cat not in dbs:
            con.execute(f"ATTACH ':memory:' AS {_q(cat)}")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(cat)}.{_q(ds)}")
        cols_sql = ", ".join(f"{_q(n)} {t}" for n, t in COLUMNS)
        columns_struct = "{" + ", ".join(f"'{n}': '{t.replace(chr(39), chr(39) * 2)}'" for n, t in COLUMNS) + "}"
        for suffix in sorted(self._loaded - set(self.shards)):
            con.execute(f"DROP TABLE IF EXISTS {_q(cat)}.{_q(ds)}.{_q('events_' + suffix)}")
        self._loaded = set(self.shards)
        with tempfile.TemporaryDirectory() as tmp:
            for suffix, rows in sorted(self.shards.items()):
                table = f"{_q(cat)}.{_q(ds)}.{_q('events_' + suffix)}"
                con.execute(f"CREATE OR REPLACE TABLE {table} ({cols_sql})")
                if not rows:
                    continue
                path = os.path.join(tmp, f"{suffix}.jsonl")
                with open(path, "w", encoding="utf-8") as fh:
                    for r in rows:
                        fh.write(json.dumps(r) + "\n")
                con.execute(
                    f"INSERT INTO {table} SELECT * FROM read_json(?, format='newline_delimited', columns={columns_struct})",
                    [path],
                )
        if not self.shards:
            con.execute(f"DROP VIEW IF EXISTS {_q(cat)}.{_q(ds)}.{_q('events_*')}")
            return
        union = "\nUNION ALL\n".join(
            f"SELECT *, '{s}' AS _TABLE_SUFFIX FROM {_q(cat)}.{_q(ds)}.{_q('events_' + s)}" for s in sorted(self.shards)
        )
        con.execute(f"CREATE OR REPLACE VIEW {_q(cat)}.{_q(ds)}.{_q('events_*')} AS {union}")
