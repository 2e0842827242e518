"""The rows a flattened table must hold, computed in plain Python from the fixture rows.

Everything here follows README.md (the spec reference, "Params", "Standard columns", "Dedupe",
"What the generated scripts do"), read from the project's YAML files; nothing is taken from the
templates or from bqflat's manifest. In particular:

- shards are chosen by their date suffix inside the window; `events_intraday_*` shards only with
  `intraday: include`;
- a param is the FIRST entry with exactly that key; its value by type (never drop a
  value that converts without loss): string -> string_value, else the number's text (int, then
  double, then float, as CAST(... AS STRING) prints it), int64 -> int_value, else an integral
  double (then float) within INT64's range, float64 -> double_value, else float_value, else
  int_value as FLOAT64, bool -> non-zero int_value, else the strings true/false/1/0/yes/no (any
  case), number -> int/double/float value as FLOAT64, any -> the value that is set, as STRING;
- a param column is named `as`, or the key with every character other than letters, digits and
  `_` replaced by `_`;
- params chosen by glob (`include` / `exclude` / `typed`) are the keys the project's catalog
  (`catalog:` or `catalog.json`) lists for the event and array that match an `include` glob and
  no `exclude` glob (`*`, `?`, `[abc]`, case-sensitive), minus the `typed` keys, which are listed
  as written; a chosen key is typed by the catalog's counts: only strings -> string, only ints ->
  int64, only floats/doubles -> float64, ints and floats/doubles -> float64, text with anything
  else -> any (and any when no value column was ever set);
- `items: explode` gives one row per item, with `item_index` the item's 0-based position, and an
  event without items one row whose item columns are NULL (the event is not lost);
- dedupe: rows with equal keys (plus `item_index` with explode) keep the latest (or first) by
  `order_by`; a key param that is NULL falls back to the event's identity, so events that lack
  it never collapse into one row; the event identity (`event_key`) is the set of fields the
  README lists (stream_id, user_pseudo_id, event_timestamp, event_name, event_bundle_sequence_id,
  batch_* and event_params);
- incremental: a first run reads the whole window; a later run reads rows with event time at or
  after (stored watermark - lookback), in shards from one day before that date; the watermark is
  the greatest event_ts in the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import json
import math
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

import ga4
import urls

UTC = dt.timezone.utc

DEFAULT_COLUMNS = [
    "event_date",
    "event_ts",
    "event_name",
    "user_pseudo_id",
    "user_id",
    "platform",
    "device.category",
    "device.operating_system",
    "geo.country",
    "traffic_source.source",
    "traffic_source.medium",
    "event_key",
]
COMPUTED = {"event_date": "DATE", "event_ts": "TIMESTAMP", "event_key": "STRING", "property_id": "STRING", "client_key": "STRING",
            "session_key": "STRING", "session_number": "INT64", "session_engaged": "BOOL",
            "page_host": "STRING", "page_path": "STRING", "referrer_host": "STRING", "referrer_path": "STRING"}
# Columns whose value is a hash: the model gives ("hash", identity) (or None), the table a hex
# string; they are compared as one key per identity (run.py).
HASHED = ("event_key", "client_key", "session_key")
DEFAULT_ITEM_FIELDS = ["item_id", "item_name", "item_brand", "item_category", "price", "quantity", "item_revenue"]


@dataclasses.dataclass
class Col:
    name: str
    type: str  # BigQuery type
    kind: str  # computed | field | param | item_index | item_field
    path: str = ""  # field path, computed name, item field
    array: str = ""  # event_params | user_properties | item_params
    key: str = ""
    ptype: str = ""


@dataclasses.dataclass
class Table:
    event: str
    project: str
    dataset: str
    name: str
    mode: str
    version: int
    columns: list[Col]
    dedupe_key: list[str]
    nullable: list[str]
    strategy: str
    order_by: str
    window_start: dt.date | None
    window_end: dt.date | None
    lookback: dt.timedelta
    timezone: str | None
    intraday: bool
    explode: bool
    daily: bool
    source_project: str
    source_dataset: str
    metadata_dataset: str
    watermarks: str
    runs: str
    spec_file: str
    shards: list[str] = dataclasses.field(default_factory=lambda: ["daily"])  # precedence order
    partition_by: str = "event_date"  # a column name (DATE or TIMESTAMP)
    drop_denied: bool = False  # README "Consent": `consent: drop_denied`
    required: list[str] = dataclasses.field(default_factory=list)  # params marked `required: true`
    url_exclude: list[str] = dataclasses.field(default_factory=list)  # README "Page URLs"
    property_id: str | None = None  # README "Several properties": the source's, with `sources:`

    @property
    def full_name(self) -> str:
        return f"{self.project}.{self.dataset}.{self.name}"

    @property
    def colnames(self) -> list[str]:
        return [c.name for c in self.columns]


def column_name(key: str) -> str:
    # README: every character other than letters, digits and `_` becomes `_`. Not in the README:
    # a leading digit gets a `_` in front (BigQuery column names cannot start with a digit).
    name = re.sub(r"[^A-Za-z0-9_]", "_", key)
    return "_" + name if name[:1].isdigit() else name


def _names(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [s.strip() for s in v.split(",") if s.strip()]
    return list(v)


def _date(v: Any) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def _lookback(text: str) -> dt.timedelta:
    m = re.fullmatch(r"(\d+)([mhd])", text.strip())
    n, unit = int(m.group(1)), m.group(2)
    return {"m": dt.timedelta(minutes=n), "h": dt.timedelta(hours=n), "d": dt.timedelta(days=n)}[unit]


def _is_field(path: str) -> bool:
    try:
        ga4.field_type(path)
        return True
    except (StopIteration, KeyError):
        return False


def load_project(project_dir: Path) -> list[Table]:
    proj = yaml.safe_load((project_dir / "bqflat.yaml").read_text()) or {}
    catalog = load_catalog(project_dir / (proj.get("catalog") or "catalog.json"))
    tables = []
    for f in sorted((project_dir / "events").glob("*.yaml")):
        spec = yaml.safe_load(f.read_text())
        if proj.get("sources"):
            tables.extend(per_source(proj, spec, f"events/{f.name}", catalog))
        else:
            tables.append(resolve(proj, spec, f"events/{f.name}", catalog))
    return tables


def source_entry(proj: dict, entry: Any) -> tuple[str, str, str]:
    """README "Several properties": an entry's project, dataset and property id."""
    if isinstance(entry, str):
        project, _, dataset = entry.rpartition(".")
        entry = {"dataset": dataset, **({"project": project} if project else {})}
    dataset = entry["dataset"]
    pid = entry.get("property_id") or dataset.removeprefix("analytics_")
    return entry.get("project") or proj.get("source_project") or proj["project"], dataset, pid


def per_source(proj: dict, spec: dict, spec_file: str, catalog: Catalog | None) -> list[Table]:
    """With `sources:`: a table per source, `<table>__<property_id>`, reading that source only,
    with the `property_id` column after event_date unless `columns:` places it."""
    out = []
    for entry in proj["sources"]:
        project, dataset, pid = source_entry(proj, entry)
        one = {k: v for k, v in proj.items() if k != "sources"}
        one.update(source_project=project, source_dataset=dataset)
        t = resolve(one, spec, spec_file, catalog)
        if "property_id" not in t.colnames:
            at = t.colnames.index("event_date") + 1 if "event_date" in t.colnames else 0
            t.columns.insert(at, Col("property_id", "STRING", "computed", "property_id"))
        out.append(dataclasses.replace(t, name=f"{t.name}__{pid}", property_id=pid))
    return out


# (event, array) -> key -> (occurrences, string, int, float, double counts)
Catalog = dict[tuple[str, str], dict[str, tuple[int, ...]]]


def load_catalog(path: Path) -> Catalog | None:
    """A saved discovery result (`bq query --format=json`: counts as strings, or numbers)."""
    if not path.is_file():
        return None
    out: Catalog = {}
    for row in json.loads(path.read_text(encoding="utf-8")):
        counts = tuple(int(row[c]) for c in ("occurrences", "string_values", "int_values", "float_values", "double_values"))
        out.setdefault((row["event_name"], row["array_name"]), {})[row["key"]] = counts
    return out


def catalog_type(counts: tuple[int, ...]) -> str:
    """README "Params from the catalog": the type the values a key was seen with imply."""
    _, s, i, f, d = counts
    text, integer, real = s > 0, i > 0, f + d > 0
    if text:
        return "string" if not (integer or real) else "any"
    if integer and real:
        return "float64"  # reads doubles and ints alike
    if integer:
        return "int64"
    if real:
        return "float64"
    return "any"  # never set: nothing to go by


def glob_match(key: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(key, pattern)


def chosen_params(spec_params: Any, catalog: Catalog | None, event: str, array: str) -> list[dict]:
    """A spec's `params` / `user_properties` / `item_params`, as a list of {key, type, as}."""
    if not isinstance(spec_params, dict):
        return list(spec_params or [])
    if catalog is None:
        raise ValueError(f"{event}: {array} chooses keys by glob, but the project has no catalog")
    typed = list(spec_params.get("typed") or [])
    written = {p["key"] for p in typed}
    include, exclude = spec_params.get("include") or [], spec_params.get("exclude") or []
    keys = catalog.get((event, array), {})
    chosen = [{"key": k, "type": catalog_type(keys[k])} for k in sorted(keys)
              if any(glob_match(k, g) for g in include) and not any(glob_match(k, g) for g in exclude) and k not in written]
    return typed + chosen


def resolve(proj: dict, spec: dict, spec_file: str, catalog: Catalog | None = None) -> Table:
    def setting(key: str, default: Any = None) -> Any:
        if key in spec and spec[key] is not None:
            return spec[key]
        if key in proj and proj[key] is not None:
            return proj[key]
        return default

    event = spec["event"]
    version = spec.get("version") or 1
    project = proj["project"]
    target_dataset = proj["target_dataset"]
    name = spec.get("table") or proj.get("table_template") or "event_{event}_flat"
    name = name.replace("{event}", event).replace("{dataset}", target_dataset).replace("{version}", str(version))
    dataset = target_dataset
    if "." in name:
        dataset, name = name.split(".", 1)

    cols: list[Col] = []

    def std(entry: Any) -> Col:
        if isinstance(entry, dict):
            path, as_ = entry["field"], entry["as"]
        else:
            path, as_ = entry, None
        if path == "event_timestamp":
            path = "event_ts"
        if path in COMPUTED:
            return Col(as_ or path, COMPUTED[path], "computed", path)
        return Col(as_ or path.replace(".", "_"), ga4.field_type(path), "field", path)

    for entry in setting("columns") or DEFAULT_COLUMNS:
        cols.append(std(entry))

    def add_param(p: dict, array: str) -> None:
        ptype = p.get("type") or "string"
        bq = {"string": "STRING", "int64": "INT64", "float64": "FLOAT64", "bool": "BOOL", "number": "FLOAT64", "any": "STRING"}[ptype]
        cols.append(Col(p.get("as") or column_name(p["key"]), bq, "param", array=array, key=p["key"], ptype=ptype))
        if p.get("required"):
            required.append(cols[-1].name)

    def listed_keys(spec_params: Any) -> set[str]:
        listed = spec_params.get("typed") if isinstance(spec_params, dict) else spec_params
        return {p["key"] for p in listed or []}

    # README "Params every event gets": the project file's list first, but for the keys the
    # event lists itself.
    seen_keys: set[str] = set()
    required: list[str] = []
    for p in proj.get("params") or []:
        if p["key"] not in listed_keys(spec.get("params")):
            seen_keys.add(p["key"])
            add_param(p, "event_params")
    for p in chosen_params(spec.get("params"), catalog, event, "event_params"):
        if p["key"] in seen_keys:
            continue
        seen_keys.add(p["key"])
        add_param(p, "event_params")
    for p in proj.get("user_properties") or []:
        if p["key"] not in listed_keys(spec.get("user_properties")):
            add_param(p, "user_properties")
    for p in chosen_params(spec.get("user_properties"), catalog, event, "user_properties"):
        add_param(p, "user_properties")

    # README "Page URLs": a column per query parameter of page_location, `url_<key>` unless named.
    for entry in setting("url_params") or []:
        u = entry if isinstance(entry, dict) else {"key": entry}
        ptype = u.get("type") or "string"
        bq = {"string": "STRING", "int64": "INT64", "float64": "FLOAT64", "bool": "BOOL"}[ptype]
        cols.append(Col(u.get("as") or column_name("url_" + u["key"]), bq, "url_param", key=u["key"], ptype=ptype))

    items_mode = setting("items", "drop")
    explode = items_mode == "explode"
    if explode:
        cols.append(Col("item_index", "INT64", "item_index"))
        for f in setting("item_fields") or DEFAULT_ITEM_FIELDS:
            cols.append(Col(f if f.startswith("item_") else "item_" + f, ga4.item_field_type(f), "item_field", f))
        for p in chosen_params(spec.get("item_params"), catalog, event, "item_params"):
            add_param(p, "item_params")

    dedupe = setting("dedupe") or {}
    keys = _names(dedupe.get("key")) or ["event_key"]
    order_by = dedupe.get("order_by") or "event_ts"
    if order_by == "event_timestamp":
        order_by = "event_ts"
    strategy = dedupe.get("strategy") or "keep_latest"
    partition_by = setting("partition_by", "event_date")
    cluster_by = _names(setting("cluster_by"))

    # Standard columns named by partition, cluster, dedupe or order are added; event_ts always.
    present = {c.name.lower() for c in cols}
    for n in [partition_by, *cluster_by, *keys, order_by, "event_ts"]:
        if n.lower() in present:
            continue
        if n in COMPUTED or _is_field(n):
            cols.insert(len([c for c in cols if c.kind in ("computed", "field")]), std(n))
            present.add(std(n).name.lower())
    # A dedupe key that names no column is an event param, added as `any`.
    for k in keys:
        if k.lower() not in present:
            add_param({"key": k, "type": "any"}, "event_params")
            present.add(k.lower())
    # README "Dedupe": any chosen key but event_key can be NULL; a row with a NULL in it is told
    # apart by its event.
    nullable = [] if keys == ["event_key"] else list(keys)
    if explode:
        keys = keys + ["item_index"]

    # Which shard a day is read from, in precedence order (old `intraday: include|exclude` =
    # [daily, intraday] / [daily]).
    shards = list(setting("shards") or (["daily", "intraday"] if setting("intraday", "exclude") == "include" else ["daily"]))

    metadata = proj.get("metadata") or {}
    wm = metadata.get("watermarks") or "_metadata"
    runs = metadata.get("runs") or "_runs"
    return Table(
        event=event,
        project=project,
        dataset=dataset,
        name=name,
        mode=setting("mode", "full"),
        version=version,
        columns=cols,
        dedupe_key=keys,
        nullable=nullable,
        strategy=strategy,
        order_by=order_by,
        window_start=_date((setting("window") or {}).get("start")),
        window_end=_date((setting("window") or {}).get("end")),
        lookback=_lookback(setting("lookback", "3d")),
        timezone=setting("timezone"),
        intraday=("intraday" in shards) if setting("shards") else setting("intraday", "exclude") == "include",
        explode=explode,
        daily=setting("batch", "none") == "daily",
        source_project=proj.get("source_project") or project,
        source_dataset=proj["source_dataset"],
        metadata_dataset=target_dataset,
        watermarks=wm,
        runs=runs,
        spec_file=spec_file,
        shards=shards,
        drop_denied=setting("consent", "keep") == "drop_denied",
        required=required,
        url_exclude=list(setting("url_exclude_params") or []),
        partition_by=next((c.name for c in cols if c.name.lower() == partition_by.lower()), partition_by),
    )


# --------------------------------------------------------------------------------------------
# Values


def bq_float_string(x: float) -> str:
    """CAST(FLOAT64 AS STRING) in BigQuery: 15 significant digits when they round-trip, else 17
    (`3` for 3.0, `0.375`, `1e+20`); zero and NaN unsigned."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    s = "%.15g" % x
    return s if float(s) == x else "%.17g" % x


def typed(v: dict | None, ptype: str) -> Any:
    if v is None:
        return None
    s, i, f, d = v.get("string_value"), v.get("int_value"), v.get("float_value"), v.get("double_value")
    if ptype in ("string", "any"):
        # README: string_value, else the number's text (int, then double, then float)
        if s is not None:
            return s
        if i is not None:
            return str(i)
        if d is not None:
            return bq_float_string(d)
        if f is not None:
            return bq_float_string(f)
        return None
    if ptype == "int64":
        # README: int_value, else a double or float that is a whole number within INT64
        if i is not None:
            return i
        for x in (d, f):
            if x is not None and math.isfinite(x) and x == int(x) and abs(x) < 9.2e18:
                return int(x)
        return None
    if ptype == "float64":
        if d is not None:
            return d
        if f is not None:
            return f
        return float(i) if i is not None else None
    if ptype == "number":
        if i is not None:
            return float(i)
        return d if d is not None else f
    if ptype == "bool":
        if i is not None:
            return i != 0
        if s is not None and s.lower() in ("true", "1", "yes"):
            return True
        if s is not None and s.lower() in ("false", "0", "no"):
            return False
        return None
    raise ValueError(ptype)


def first_value(entries: list[dict], key: str) -> dict | None:
    for e in entries or []:
        if e["key"] == key:
            return e["value"]
    return None


def string_value(row: dict, key: str) -> str | None:
    """The URL columns read a param's string_value alone."""
    v = first_value(row.get("event_params") or [], key)
    return None if v is None else v.get("string_value")


def sorted_params(params: list[dict] | None) -> list[dict]:
    """event_params sorted by key (then by value): intraday and daily copies of one event list
    them in different orders, and `event_key` must not see that."""
    return sorted(params or [], key=lambda p: (p["key"], json.dumps(p["value"], sort_keys=True)))


def identity(row: dict) -> tuple:
    """What `event_key` hashes, per README: copies of one event share it (params in key order)."""
    return (
        row.get("stream_id"),
        row.get("user_pseudo_id"),
        row.get("event_timestamp"),
        row.get("event_name"),
        row.get("event_bundle_sequence_id"),
        row.get("batch_page_id"),
        row.get("batch_ordering_id"),
        row.get("batch_event_index"),
        # sorted by key, then value: the order the export lists params in plays no part
        json.dumps(sorted(row.get("event_params") or [], key=lambda p: (p["key"], json.dumps(p["value"], sort_keys=True))), sort_keys=True),
    )


def event_time(row: dict) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=row["event_timestamp"])  # naive UTC


def _get(row: dict, path: str) -> Any:
    cur: Any = row
    for p in path.split("."):
        if cur is None:
            return None
        cur = cur.get(p)
    return cur


def flatten_event(t: Table, row: dict) -> list[dict]:
    if t.drop_denied and (row.get("user_pseudo_id") is None or (row.get("privacy_info") or {}).get("analytics_storage") == "No"):
        return []  # README "Consent": sent without analytics consent, or a cookieless ping
    base: dict[str, Any] = {}
    ts = event_time(row)
    for c in t.columns:
        if c.kind == "computed":
            if c.path == "event_ts":
                base[c.name] = ts
            elif c.path == "event_date":
                if t.timezone:
                    base[c.name] = ts.replace(tzinfo=UTC).astimezone(ZoneInfo(t.timezone)).date()
                else:
                    base[c.name] = dt.datetime.strptime(row["event_date"], "%Y%m%d").date()
            elif c.path == "property_id":
                base[c.name] = t.property_id
            elif c.path == "client_key":
                # README "Sessions and clients": the stream and user_pseudo_id; NULL without one.
                user = row.get("user_pseudo_id")
                base[c.name] = None if user is None else ("hash", (row.get("stream_id"), user))
            elif c.path == "session_key":
                user = row.get("user_pseudo_id")
                sid = typed(first_value(row.get("event_params") or [], "ga_session_id"), "int64")
                base[c.name] = None if user is None or sid is None else ("hash", (row.get("stream_id"), user, sid))
            elif c.path == "session_number":
                base[c.name] = typed(first_value(row.get("event_params") or [], "ga_session_number"), "int64")
            elif c.path == "session_engaged":
                base[c.name] = typed(first_value(row.get("event_params") or [], "session_engaged"), "bool")
            elif c.path in ("page_host", "page_path", "referrer_host", "referrer_path"):
                url = string_value(row, "page_location" if c.path.startswith("page") else "page_referrer")
                base[c.name] = (urls.host if c.path.endswith("host") else urls.path)(url)
            else:
                base[c.name] = ("event_key", identity(row))
        elif c.kind == "field":
            v = _get(row, c.path)
            base[c.name] = float(v) if (v is not None and c.type == "FLOAT64") else v
        elif c.kind == "param" and c.array != "item_params":
            base[c.name] = typed(first_value(row.get(c.array) or [], c.key), c.ptype)
            if c.array == "event_params" and c.key in ("page_location", "page_referrer") and c.ptype in ("string", "any"):
                base[c.name] = urls.strip(base[c.name], t.url_exclude)
        elif c.kind == "url_param":
            base[c.name] = urls.query_param(string_value(row, "page_location"), c.key, c.ptype)
    base["__id"] = identity(row)
    if not t.explode:
        return [base]
    items = row.get("items") or []
    out = []
    for idx, it in enumerate(items or [None]):
        r = dict(base)
        for c in t.columns:
            if c.kind == "item_index":
                r[c.name] = idx if it is not None else None
            elif c.kind == "item_field":
                v = it.get(c.path) if it else None
                r[c.name] = float(v) if (v is not None and c.type == "FLOAT64") else v
            elif c.kind == "param" and c.array == "item_params":
                r[c.name] = typed(first_value((it or {}).get("item_params") or [], c.key), c.ptype) if it else None
        out.append(r)
    return out


# --------------------------------------------------------------------------------------------
# Reads and dedupe


def shard_date(suffix: str) -> tuple[dt.date, bool]:
    intraday = suffix.startswith("intraday_")
    d = suffix[-8:]
    return dt.datetime.strptime(d, "%Y%m%d").date(), intraday


def window(t: Table, today: dt.date) -> tuple[dt.date, dt.date]:
    return (t.window_start or dt.date(1970, 1, 1), t.window_end or today + dt.timedelta(days=1))


def readable(t: Table, suffix: str, row: dict, day_from: dt.date, day_to: dt.date, ts_from: dt.datetime | None) -> bool:
    d, intraday = shard_date(suffix)
    if intraday and not t.intraday:
        return False
    if not (day_from <= d <= day_to):
        return False
    if row["event_name"] != t.event:
        return False
    if ts_from is not None and event_time(row) < ts_from:
        return False
    return True


def dedupe(t: Table, rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = tuple(r[k] for k in t.dedupe_key)
        if t.nullable and any(r[k] is None for k in t.nullable):
            key = key + (r["__id"],)
        groups.setdefault(key, []).append(r)
    out = []
    for key, g in groups.items():
        if any(r[t.order_by] is None for r in g):
            raise AssertionError(f"fixture has a NULL {t.order_by} for {t.name}")
        pick = max if t.strategy == "keep_latest" else min
        best = pick(g, key=lambda r: r[t.order_by])
        ties = [r for r in g if r[t.order_by] == best[t.order_by] and canon(r) != canon(best)]
        if ties:
            raise AssertionError(f"fixture is ambiguous for {t.name}: two different rows tie on {t.order_by} for key {key}")
        out.append(best)
    return out


def expected_rows(t: Table, shards: dict[str, list[dict]], day_from: dt.date, day_to: dt.date, ts_from: dt.datetime | None = None) -> list[dict]:
    """A full build over the shard days [day_from, day_to]: one chosen shard per day
    (daily, else intraday when the spec reads it -- never both), deduped over the whole table."""
    flat = []
    for d, suffix in sorted(chosen_shards(t, shards).items()):
        for row in shards[suffix]:
            if readable(t, suffix, row, day_from, day_to, ts_from):
                flat.extend(flatten_event(t, row))
    return dedupe(t, flat)


_KIND = re.compile(r"(intraday_|fresh_)?(\d{8})")


def chosen_shards(t: Table, shards: dict[str, list[dict]], today: dt.date | None = None) -> dict[dt.date, str]:
    """Shard day -> the suffix of the one shard read for it: the first kind of the
    spec's `shards` list that exists that day, for shard days inside the window."""
    start, end = window(t, today or dt.date.today())
    by_day: dict[dt.date, dict[str, str]] = {}
    for suffix in shards:
        m = _KIND.fullmatch(suffix)
        if not m:
            continue
        kind = {None: "daily", "intraday_": "intraday", "fresh_": "fresh"}[m.group(1)]
        day = dt.datetime.strptime(m.group(2), "%Y%m%d").date()
        if start <= day <= end:
            by_day.setdefault(day, {})[kind] = suffix
    out = {}
    for day, kinds in by_day.items():
        for kind in t.shards:
            if kind in kinds:
                out[day] = kinds[kind]
                break
    return out


def partition_day(t: Table, r: dict) -> dt.date | None:
    v = r.get(t.partition_by)
    if isinstance(v, dt.datetime):
        return (v.astimezone(UTC) if v.tzinfo else v).date()
    return v


def day_margin(t: Table) -> int:
    """Design "aligned": partition column event_date without a time zone -> 0, else 1."""
    return 0 if t.partition_by == "event_date" and not t.timezone else 1


class IncrementalModel:
    """The README's incremental run, simulated: the newest
    partition day the table holds (ignoring days after the newest shard + margin) minus the
    lookback in days, up to the newest shard (+ margin), is replaced whole by the rows of the
    chosen shards of those days (+ margin) whose partition day falls inside, deduped among
    themselves; then merged over the whole table (event_key: inserted). `batch: daily` does it one
    partition day at a time. The watermark is the greatest event_ts of the staged rows."""

    def __init__(self, t: Table, today: dt.date):
        self.t = t
        self.today = today
        self.watermark: dt.datetime | None = None  # the table's latest _metadata row
        self.rows: list[dict] = []

    def run(self, shards: dict[str, list[dict]], fail_at=None) -> dict:
        """One run over the export as it is now. `fail_at(step)` (a step's day_from, day_to,
        watermark_after) True: that step's transaction fails; the run stops there (the steps
        before it stay: batched runs commit each day)."""
        t, m = self.t, dt.timedelta(days=day_margin(self.t))
        w_from, w_to = window(t, self.today)
        chosen = chosen_shards(t, shards, self.today)
        wm_before = self.watermark
        if not chosen:
            return {"rows_affected": 0, "watermark_before": wm_before, "watermark_after": None, "steps": [], "day_from": None}
        oldest, newest = min(chosen), max(chosen)
        held = [d for d in (partition_day(t, r) for r in self.rows) if d is not None and d <= newest + m]
        newest_day = max(held) if held else None
        lookback_days = dt.timedelta(days=math.ceil(t.lookback / dt.timedelta(days=1)))
        first = oldest - m if newest_day is None else newest_day - lookback_days
        last = newest + m
        steps = []
        if t.daily:
            d = first
            while d <= last:
                steps.append((d, d))
                d += dt.timedelta(days=1)
        else:
            steps.append((first, last))
        wm = None
        out_steps = []
        for day_from, day_to in steps:
            read = [chosen[d] for d in sorted(chosen) if max(w_from, day_from - m) <= d <= min(w_to, day_to + m)]
            flat = [f for sfx in read for row in shards[sfx] if row["event_name"] == t.event for f in flatten_event(t, row)]
            staged = dedupe(t, [f for f in flat if (pd := partition_day(t, f)) is not None and day_from <= pd <= day_to])
            mx = max((r["event_ts"] for r in staged), default=None)
            cand = mx if (wm is None or (mx is not None and mx > wm)) else wm
            if fail_at is not None and fail_at({"day_from": day_from, "day_to": day_to, "watermark_after": cand}):
                break
            wm = cand
            self.rows = [r for r in self.rows if not ((pd := partition_day(t, r)) is not None and day_from <= pd <= day_to)]
            affected = self._merge(staged)
            out_steps.append({"day_from": day_from, "day_to": day_to, "rows_affected": affected, "watermark_after": wm})
            self.watermark = wm
        return {
            "rows_affected": sum(s["rows_affected"] for s in out_steps),
            "watermark_before": wm_before,
            "watermark_after": wm if out_steps else wm_before,
            "steps": out_steps,
            "day_from": first,
        }

    def _merge(self, staged: list[dict]) -> int:
        if self.t.dedupe_key in (["event_key"], ["event_key", "item_index"]):
            self.rows.extend(staged)
            return len(staged)
        index = {self._key(r): i for i, r in enumerate(self.rows)}
        affected = 0
        for s in staged:
            i = index.get(self._key(s))
            if i is None:
                index[self._key(s)] = len(self.rows)
                self.rows.append(s)
                affected += 1
                continue
            old = self.rows[i]
            better = s[self.t.order_by] > old[self.t.order_by] if self.t.strategy == "keep_latest" else s[self.t.order_by] < old[self.t.order_by]
            if better:
                self.rows[i] = s
                affected += 1
        return affected

    def _key(self, r: dict) -> tuple:
        key = tuple(r[k] for k in self.t.dedupe_key)
        if self.t.nullable and any(r[k] is None for k in self.t.nullable):
            key = key + (r["__id"],)
        return key


# --------------------------------------------------------------------------------------------
# Comparison


def norm(v: Any) -> Any:
    """A comparable, type-tagged form of a value (TRUE is not 1, 1 is not 1.0)."""
    if v is None:
        return ("null",)
    if isinstance(v, bool):
        return ("bool", v)
    if isinstance(v, int):
        return ("int", v)
    if isinstance(v, float):
        if math.isnan(v):
            return ("float", "nan")
        return ("float", float(f"{v:.12g}"))
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return ("ts", v)
    if isinstance(v, dt.date):
        return ("date", v)
    if isinstance(v, str):
        return ("str", v)
    if isinstance(v, tuple) and v and v[0] == "event_key":
        return ("event_key",)
    return ("other", repr(v))


def canon(r: dict, skip: tuple[str, ...] = HASHED) -> tuple:
    return tuple((k, norm(r[k]) if k not in skip else ("null",) if r[k] is None else ("set",))
                 for k in sorted(r) if not k.startswith("__") and (k not in skip or k != "event_key"))


def show(r: dict) -> str:
    parts = []
    for k in sorted(r):
        v = r[k]
        if k.startswith("__") or isinstance(v, tuple) and v and v[0] == "event_key":
            continue
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        parts.append(f"{k}={v!r}")
    return "{" + ", ".join(parts) + "}"
