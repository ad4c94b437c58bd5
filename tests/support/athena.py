"""The documented Athena queries (docs/athena.md), run locally: the objects the metrics job wrote, read by DuckDB
with the Glue table's schema and partition folders, the query transpiled from Athena's SQL (Trino) by sqlglot."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import duckdb
import sqlglot

from shared.platform.resources import METRICS_BUCKET

ROOT = Path(__file__).resolve().parents[2]
_SCALARS = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}


def documented_query(marker: str) -> str:
    """The first ```sql block after `marker` in docs/athena.md."""
    text = (ROOT / "docs" / "athena.md").read_text()
    return re.search(r"```sql\n(.*?)```", text[text.index(marker):], re.S).group(1)


def _split(inner: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in inner:
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def duckdb_type(glue_type: str) -> str:
    """A Glue (Hive) column type as DuckDB writes it."""
    if glue_type.startswith("map<"):
        key, value = _split(glue_type[4:-1])
        return f"MAP({duckdb_type(key)}, {duckdb_type(value)})"
    if glue_type.startswith("struct<"):
        fields = [part.split(":", 1) for part in _split(glue_type[7:-1])]
        return "STRUCT(" + ", ".join(f"{name} {duckdb_type(kind)}" for name, kind in fields) + ")"
    return _SCALARS[glue_type]


def download(prefix: str, into: Path) -> int:
    """Copies the metrics bucket's objects under `prefix` to `into`, keeping their keys (the partition folders)."""
    s3 = boto3.client("s3")
    listed = s3.list_objects_v2(Bucket=METRICS_BUCKET.local_name, Prefix=prefix).get("Contents", [])
    for item in listed:
        path = into / item["Key"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=item["Key"])["Body"].read())
    return len(listed)


def run_documented(marker: str, table: str, files: str, columns: list[tuple[str, str]], partitions: dict[str, str]) -> list[tuple]:
    """Runs the documented query over `files` (a glob) as the Glue table `wom_metrics.<table>` would read them."""
    database = duckdb.connect()
    database.execute("CREATE SCHEMA wom_metrics")
    spec = ", ".join(f"'{name}': '{duckdb_type(kind)}'" for name, kind in columns)
    hive_types = ", ".join(f"'{name}': '{kind}'" for name, kind in partitions.items())
    database.execute(
        f"CREATE VIEW wom_metrics.{table} AS SELECT * FROM read_json('{files}', format='newline_delimited', "
        f"columns={{{spec}}}, hive_partitioning=true, hive_types={{{hive_types}}})"
    )
    (transpiled,) = sqlglot.transpile(documented_query(marker), read="trino", write="duckdb")
    return database.execute(transpiled).fetchall()
