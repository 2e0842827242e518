"""Airflow (Cloud Composer) DAG that runs the BigQuery scripts bqflat generated, in bqflat's order.

The order is the build's own: `build/bigquery/run.sh` runs `_setup.sql`, then every migration under
`migrations/` (each runs once: it records itself in `_runs`, so running them all every day is
safe), then `_run.sql` (every table, each export source read once), then the tables with
templates of their own. This DAG reads that order from run.sh, so a migration a build adds runs
before the next tables without editing the DAG; `_checks.sql` runs last and fails the run when
a table's data fails a check. Put the project's build/ folder next to this file
(or point BUILD at it).
"""
import shlex
from datetime import datetime
from pathlib import Path

from airflow import DAG
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

BUILD = Path(__file__).parent / "build" / "bigquery"


def run_order(folder: Path) -> list:
    """The scripts run.sh runs, in its order, with its migrations loop expanded."""
    scripts = []
    for line in (folder / "run.sh").read_text().splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["run"] and len(words) == 2 and not words[1].startswith("$"):
            scripts.append(folder / words[1])
        elif words[:3] == ["for", "migration", "in"]:
            scripts.extend(sorted(folder.glob("migrations/*.sql")))
    return scripts


def query_job(path: Path) -> dict:
    return {"query": {"query": path.read_text(), "useLegacySql": False}}


with DAG(
    "bqflat_flatten",
    start_date=datetime(2025, 8, 1),
    schedule="@daily",
    catchup=False,
) as dag:
    previous = None
    for script in run_order(BUILD):
        task_id = str(script.relative_to(BUILD)).replace("/", "__").removesuffix(".sql").lstrip("_")
        task = BigQueryInsertJobOperator(task_id=task_id, configuration=query_job(script))
        if previous is not None:
            previous >> task
        previous = task
    # The data checks last: the task (and the DAG run) fails when a check fails.
    checks = BigQueryInsertJobOperator(task_id="checks", configuration=query_job(BUILD / "_checks.sql"))
    previous >> checks
