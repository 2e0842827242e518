"""Airflow (Cloud Composer) DAG that runs the scripts bqflat generated, one task per table.

The scripts are self-contained BigQuery scripts: each reads its own watermark, so the DAG only
orders them. Put the project's build/ folder next to this file (or point BUILD at it).
"""
from datetime import datetime
from pathlib import Path

from airflow import DAG
from airflow.providers.google.cloud.operators.bigquery import BigQueryInsertJobOperator

BUILD = Path(__file__).parent / "build" / "bigquery"


def query_job(path: Path) -> dict:
    return {"query": {"query": path.read_text(), "useLegacySql": False}}


with DAG(
    "bqflat_flatten",
    start_date=datetime(2025, 8, 1),
    schedule="@daily",
    catchup=False,
) as dag:
    setup = BigQueryInsertJobOperator(task_id="setup", configuration=query_job(BUILD / "_setup.sql"))
    for script in sorted(BUILD.glob("*.sql")):
        if script.name == "_setup.sql":
            continue
        setup >> BigQueryInsertJobOperator(task_id=script.stem, configuration=query_job(script))
