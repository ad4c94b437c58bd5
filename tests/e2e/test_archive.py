"""The raw event archive of local mode: traffic sent over HTTP reaches events/ in the emulator's metrics bucket,
and the Athena query docs/athena.md documents runs over those objects (DuckDB, the query transpiled by sqlglot)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import sqlglot

from shared.archive.lines import FIELDS, day_prefix, parse
from shared.platform.resources import METRICS_BUCKET
from tests.e2e.support import BROWSER_UA, Api, Storage, new_id

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "boolean": "BOOLEAN"}
MARKER = "tests/e2e/test_archive.py runs this query"


def documented_query() -> str:
    text = (ROOT / "docs" / "athena.md").read_text()
    after = text[text.index(MARKER) :]
    return re.search(r"```sql\n(.*?)```", after, re.S).group(1)


def archived_objects(storage: Storage, prefix: str) -> dict[str, bytes]:
    listed = storage.s3.list_objects_v2(Bucket=METRICS_BUCKET.local_name, Prefix=prefix).get("Contents", [])
    return {o["Key"]: storage.s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=o["Key"])["Body"].read() for o in listed}


def wait_for_lines(storage: Storage, prefix: str, campaign_id: str, count: int, timeout: float = 60) -> dict[str, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        objects = archived_objects(storage, prefix)
        lines = [line for body in objects.values() for line in parse(body) if line.get("campaign_id") == campaign_id]
        if len(lines) >= count or time.monotonic() > deadline:
            assert len(lines) == count, lines
            return objects
        time.sleep(0.5)


def test_traffic_over_http_is_archived_and_the_documented_athena_query_runs_over_it(api: Api, admin: Api, storage: Storage, tmp_path: Path):
    campaign_id = new_id("archive")
    created = admin.post("/v1/campaigns", json={"campaign_id": campaign_id, "name": "Archive", "destination_url": "https://shop.example.com/", "rewards": {"advocate": {"type": "flat", "value": 500}}})
    assert created.status_code == 201, created.text
    code = admin.post(f"/v1/campaigns/{campaign_id}/advocates", json={"customer_id": new_id("customer")}).json()["code"]
    # A visitor clicks three times in the hour (one click, three requests), another once; a preview bot twice.
    # Two shares by pixel, one view by the events API.
    for user_agent in (BROWSER_UA, BROWSER_UA, BROWSER_UA, BROWSER_UA + " second-visitor", SLACKBOT, SLACKBOT):
        assert api.get(f"/r/{code}", headers={"User-Agent": user_agent}).status_code == 302
    for channel in ("email", "x"):
        assert api.get(f"/p.gif?t=share&c={code}&ch={channel}").status_code == 200
    assert api.post("/v1/events", json={"events": [{"type": "view", "code": code, "channel": "email"}]}).json()["accepted"] == 1

    today = datetime.now(UTC).date()
    objects = wait_for_lines(storage, day_prefix(today), campaign_id, count=6 + 2 + 1)
    assert all(key.endswith(".json.gz") for key in objects)
    for key, body in objects.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(body)

    # The Glue table's schema, over the objects, partitioned by their dt= folder, as Athena reads them.
    columns = ", ".join(f"'{name}': '{DUCKDB_TYPES[glue_type]}'" for name, glue_type in FIELDS)
    database = duckdb.connect()
    database.execute("CREATE SCHEMA wom_metrics")
    database.execute(
        "CREATE VIEW wom_metrics.raw_events AS SELECT * FROM read_json("
        f"'{tmp_path}/events/dt=*/*.json.gz', format='newline_delimited', columns={{{columns}}}, "
        "hive_partitioning=true, hive_types={'dt': 'VARCHAR'})"
    )
    query = documented_query().replace("'demo'", f"'{campaign_id}'")
    (transpiled,) = sqlglot.transpile(query, read="trino", write="duckdb")
    rows = database.execute(transpiled).fetchall()
    assert rows == [
        (today.isoformat(), "click", 6, 2, 2),
        (today.isoformat(), "share", 2, 2, 0),
        (today.isoformat(), "view", 1, 1, 0),
    ]
