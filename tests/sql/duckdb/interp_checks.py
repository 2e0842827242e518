"""Checks of the interpreter's own features (bqscript.py) on small scripts: INFORMATION_SCHEMA
TABLES and PARTITIONS, remembered partitioning, temporary tables, CREATE ... COPY, DELETE,
`_TABLE_SUFFIX IN UNNEST(array variable)` and ARRAY<STRING> / DATE variables set from subqueries.

Each check is a script and the rows its last statement returns (or the error it raises), so a
regression in the interpreter shows up here before it shows up as a wrong table in a scenario.
`check(name, ok, detail)` is run.py's Results.check.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import duckdb

import bqscript
import ga4

P, DS, TGT = "unit-proj", "raw", "tgt"


def _connection() -> tuple[duckdb.DuckDBPyConnection, bqscript.Interpreter]:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    src = ga4.Source(P, DS)
    ev = lambda day, h: ga4.event("e", dt.datetime(2025, 7, day, h, tzinfo=ga4.UTC), "u1")  # noqa: E731
    src.add("20250701", [ev(1, 1), ev(1, 2)])
    src.add("20250702", [ev(2, 1)])
    src.add("intraday_20250702", [ev(2, 1), ev(2, 3)])
    src.add("intraday_20250703", [ev(3, 1)])
    src.add("fresh_20250703", [ev(3, 1), ev(3, 2)])
    src.load(con)
    return con, bqscript.Interpreter(con)


def run_checks(check: Callable[[str, bool, str], bool]) -> None:
    con, it = _connection()

    def rows(script: str) -> list[tuple] | str:
        try:
            it.run(script.rstrip() + ";")
        except bqscript.ScriptError as e:
            return "error: " + e.describe("<script>")
        return [tuple(r) for r in it.last_rows]

    def same(name: str, script: str, want) -> None:
        got = rows(script)
        check(f"interpreter: {name}", got == want, f"got  {got!r}\nwant {want!r}")

    def fails(name: str, script: str, needle: str) -> None:
        got = rows(script)
        check(f"interpreter: {name}", isinstance(got, str) and needle in got, f"got {got!r}, expected an error with {needle!r}")

    # (a) INFORMATION_SCHEMA.TABLES: the dataset's tables, not the `events_*` stand-in view.
    same("INFORMATION_SCHEMA.TABLES lists the shards (table_name, table_type)",
         f"SELECT table_name, table_type FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES` ORDER BY table_name",
         [("events_20250701", "BASE TABLE"), ("events_20250702", "BASE TABLE"), ("events_fresh_20250703", "BASE TABLE"),
          ("events_intraday_20250702", "BASE TABLE"), ("events_intraday_20250703", "BASE TABLE")])
    same("INFORMATION_SCHEMA.TABLES with an alias, table_catalog/table_schema",
         f"SELECT DISTINCT t.table_catalog, t.table_schema FROM {P}.{DS}.INFORMATION_SCHEMA.TABLES AS t",
         [(P, DS)])
    fails("INFORMATION_SCHEMA of a missing dataset is an error (as in BigQuery)",
          f"SELECT COUNT(*) FROM `{P}.nope.INFORMATION_SCHEMA.TABLES`", "Not found: Dataset")
    # DATE variables from subqueries over it.
    same("DECLARE DATE DEFAULT (subquery over INFORMATION_SCHEMA.TABLES)", f"""
        DECLARE d_min DATE DEFAULT (SELECT MIN(PARSE_DATE('%Y%m%d', REGEXP_EXTRACT(table_name, r'^events_(\\d{{8}})$')))
                                    FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES` WHERE REGEXP_CONTAINS(table_name, r'^events_\\d{{8}}$'));
        DECLARE d_max DATE;
        SET d_max = (SELECT MAX(PARSE_DATE('%Y%m%d', RIGHT(table_name, 8))) FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES`);
        SELECT d_min, d_max""", [(dt.date(2025, 7, 1), dt.date(2025, 7, 3))])
    same("SAFE.PARSE_DATE gives NULL for a table name that is no date", f"""
        SELECT table_name, SAFE.PARSE_DATE('%Y%m%d', RIGHT(table_name, 8)) FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES`
        WHERE table_name IN ('events_20250701', 'events_fresh_20250703') UNION ALL SELECT 'x', SAFE.PARSE_DATE('%Y%m%d', 'notadate')
        ORDER BY 1""", [("events_20250701", dt.date(2025, 7, 1)), ("events_fresh_20250703", dt.date(2025, 7, 3)), ("x", None)])
    same("DECLARE DATE from a subquery with no rows is NULL", f"""
        DECLARE d DATE DEFAULT (SELECT MAX(DATE '2025-01-01') FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES` WHERE FALSE);
        SELECT d IS NULL""", [(True,)])

    # (b) PARTITIONS, from the remembered PARTITION BY.
    setup = f"""
        CREATE SCHEMA IF NOT EXISTS `{P}.{TGT}`;
        CREATE OR REPLACE TABLE `{P}.{TGT}.by_date` (d DATE, ts TIMESTAMP, v INT64) PARTITION BY d CLUSTER BY v OPTIONS (description = 'x');
        INSERT INTO `{P}.{TGT}.by_date` (d, ts, v) VALUES
          (DATE '2025-07-01', TIMESTAMP '2025-07-01 23:30:00+00', 1), (DATE '2025-07-01', TIMESTAMP '2025-07-01 01:00:00+00', 2),
          (DATE '2025-07-02', TIMESTAMP '2025-07-02 00:30:00+00', 3), (NULL, TIMESTAMP '2025-07-03 00:00:00+00', 4);
        CREATE OR REPLACE TABLE `{P}.{TGT}.by_ts` PARTITION BY DATE(ts) AS SELECT * FROM `{P}.{TGT}.by_date`;
        CREATE TABLE IF NOT EXISTS `{P}.{TGT}.plain` AS SELECT 1 AS x;
        CREATE TABLE IF NOT EXISTS `{P}.{TGT}.empty` (d DATE) PARTITION BY d;
        SELECT 1"""
    same("partitioned tables created (CREATE TABLE / CREATE TABLE AS, PARTITION BY col / DATE(col))", setup, [(1,)])
    parts = f"SELECT table_name, partition_id, total_rows FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS` ORDER BY 1, 2"
    same("PARTITIONS: YYYYMMDD per day, __NULL__, NULL for an unpartitioned table, none for an empty one", parts, [
        ("by_date", "20250701", 2), ("by_date", "20250702", 1), ("by_date", "__NULL__", 1),
        ("by_ts", "20250701", 2), ("by_ts", "20250702", 1), ("by_ts", "20250703", 1),
        ("plain", None, 1)])
    same("PARTITION BY TIMESTAMP_TRUNC(ts, DAY): days in UTC", f"""
        CREATE OR REPLACE TABLE `{P}.{TGT}.by_trunc` PARTITION BY TIMESTAMP_TRUNC(ts, DAY) AS
          SELECT TIMESTAMP '2025-07-01 23:59:59+00' AS ts UNION ALL SELECT TIMESTAMP '2025-07-02 00:00:00+00';
        SELECT partition_id, total_rows FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name = 'by_trunc' ORDER BY 1""",
         [("20250701", 1), ("20250702", 1)])
    same("CREATE TABLE IF NOT EXISTS of an existing table keeps its partitioning", f"""
        CREATE TABLE IF NOT EXISTS `{P}.{TGT}.by_date` (d DATE, ts TIMESTAMP, v INT64);
        SELECT COUNT(*) FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name = 'by_date' AND partition_id IS NOT NULL""",
         [(3,)])

    # (c) temporary tables: script-scoped, unqualified.
    same("CREATE TEMP TABLE / CREATE OR REPLACE TEMP TABLE, read in the script", f"""
        CREATE TEMP TABLE staged AS SELECT v FROM `{P}.{TGT}.by_date` WHERE v > 1;
        CREATE OR REPLACE TEMP TABLE staged AS SELECT v FROM staged WHERE v > 2;
        CREATE OR REPLACE TEMP TABLE other (x INT64);
        INSERT INTO other (x) SELECT v FROM staged;
        SELECT x FROM other ORDER BY x""", [(3,), (4,)])
    same("a temp table is gone after its script; the next script can create it again",
         "CREATE TEMP TABLE staged AS SELECT 7 AS v; SELECT v FROM staged", [(7,)])
    fails("a temp table does not outlive its script", "SELECT * FROM staged", "staged")
    same("a temp table is in no dataset's INFORMATION_SCHEMA.TABLES", f"""
        CREATE TEMP TABLE staged AS SELECT 1 AS v;
        SELECT COUNT(*) FROM `{P}.{TGT}.INFORMATION_SCHEMA.TABLES` WHERE table_name = 'staged'""", [(0,)])

    # (d) CREATE OR REPLACE TABLE a COPY b: rows and partitioning.
    same("CREATE OR REPLACE TABLE a COPY b copies the rows and keeps the partitioning", f"""
        CREATE OR REPLACE TABLE `{P}.{TGT}.copied` (z STRING);
        CREATE OR REPLACE TABLE `{P}.{TGT}.copied` COPY `{P}.{TGT}.by_ts`;
        SELECT (SELECT COUNT(*) FROM `{P}.{TGT}.copied`),
               (SELECT STRING_AGG(partition_id, ',' ORDER BY partition_id) FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS`
                WHERE table_name = 'copied')""", [(4, "20250701,20250702,20250703")])
    same("DROP TABLE forgets the partitioning; CREATE OR REPLACE without PARTITION BY too", f"""
        DROP TABLE `{P}.{TGT}.copied`;
        CREATE OR REPLACE TABLE `{P}.{TGT}.copied` AS SELECT 1 AS x;
        CREATE OR REPLACE TABLE `{P}.{TGT}.by_ts2` PARTITION BY DATE(ts) AS SELECT * FROM `{P}.{TGT}.by_ts`;
        CREATE OR REPLACE TABLE `{P}.{TGT}.by_ts2` AS SELECT * FROM `{P}.{TGT}.by_ts`;
        SELECT table_name, partition_id FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS`
        WHERE table_name IN ('copied', 'by_ts2') ORDER BY 1""", [("by_ts2", None), ("copied", None)])

    # (e) DELETE ... WHERE, @@row_count, inside a transaction.
    same("DELETE FROM t WHERE ... inside a transaction: @@row_count and the rows left", f"""
        DECLARE n INT64;
        BEGIN TRANSACTION;
        DELETE FROM `{P}.{TGT}.by_date` WHERE d BETWEEN DATE '2025-07-01' AND DATE '2025-07-01';
        SET n = @@row_count;
        COMMIT TRANSACTION;
        SELECT n, (SELECT STRING_AGG(partition_id, ',' ORDER BY partition_id) FROM `{P}.{TGT}.INFORMATION_SCHEMA.PARTITIONS`
                   WHERE table_name = 'by_date')""", [(2, "20250702,__NULL__")])

    # (f) ARRAY<STRING> variables and `_TABLE_SUFFIX IN UNNEST(...)`.
    same("DECLARE ARRAY<STRING> DEFAULT (subquery); _TABLE_SUFFIX IN UNNEST(it) reads those shards", f"""
        DECLARE sfx ARRAY<STRING> DEFAULT (
          SELECT ARRAY_AGG(REGEXP_EXTRACT(table_name, r'^events_(.*)$') ORDER BY table_name)
          FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES` WHERE table_name IN ('events_20250701', 'events_intraday_20250702'));
        SELECT _TABLE_SUFFIX, COUNT(*) FROM `{P}.{DS}.events_*` WHERE _TABLE_SUFFIX IN UNNEST(sfx) GROUP BY 1 ORDER BY 1""",
         [("20250701", 2), ("intraday_20250702", 2)])
    same("SET ARRAY<STRING> = ARRAY(SELECT ...); with BETWEEN bounds per kind", f"""
        DECLARE sfx ARRAY<STRING>;
        SET sfx = ARRAY(SELECT s FROM UNNEST(['20250702', 'fresh_20250703', 'intraday_20250701']) AS s ORDER BY s);
        SELECT _TABLE_SUFFIX, COUNT(*) FROM `{P}.{DS}.events_*`
        WHERE _TABLE_SUFFIX IN UNNEST(sfx) AND (_TABLE_SUFFIX BETWEEN '20250701' AND '20250703'
                                               OR _TABLE_SUFFIX BETWEEN 'fresh_20250701' AND 'fresh_20250703')
        GROUP BY 1 ORDER BY 1""", [("20250702", 1), ("fresh_20250703", 2)])
    same("an empty or NULL ARRAY<STRING> reads no shard; ARRAY_LENGTH of it", f"""
        DECLARE e ARRAY<STRING> DEFAULT (SELECT ARRAY_AGG(table_name) FROM `{P}.{DS}.INFORMATION_SCHEMA.TABLES` WHERE FALSE);
        DECLARE z ARRAY<STRING> DEFAULT [];
        SELECT (SELECT COUNT(*) FROM `{P}.{DS}.events_*` WHERE _TABLE_SUFFIX IN UNNEST(e)),
               (SELECT COUNT(*) FROM `{P}.{DS}.events_*` WHERE _TABLE_SUFFIX IN UNNEST(z)), ARRAY_LENGTH(z)""",
         [(0, 0, 0)])
    same("an ARRAY<STRING> variable keeps its order and can be unnested as a table", """
        DECLARE a ARRAY<STRING> DEFAULT ['b', 'a', "it's"];
        SELECT s, o FROM UNNEST(a) AS s WITH OFFSET AS o ORDER BY o""", [("b", 0), ("a", 1), ("it's", 2)])
    same("a DATE variable bounds a loop over days", """
        DECLARE d DATE DEFAULT DATE '2025-07-01';
        DECLARE days ARRAY<STRING> DEFAULT [];
        WHILE d <= DATE '2025-07-03' DO
          SET days = ARRAY_CONCAT(days, [FORMAT_DATE('%Y%m%d', d)]);
          SET d = DATE_ADD(d, INTERVAL 1 DAY);
        END WHILE;
        SELECT ARRAY_TO_STRING(days, ',')""", [("20250701,20250702,20250703",)])
    same("COUNTIF over no rows is 0, as an aggregate and over a window", """
        CREATE TEMP TABLE c (x INT64, g INT64);
        INSERT INTO c VALUES (1, 1), (-1, 1);
        SELECT (SELECT COUNTIF(x > 0) FROM c WHERE FALSE), (SELECT MAX(w) FROM (SELECT COUNTIF(x > 5) OVER (PARTITION BY g) AS w FROM c))""",
         [(0, 0)])
    con.close()
