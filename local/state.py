"""Local mode's data kept across restarts: moto server keeps everything in memory and has no persistence of its
own (moto 5.2's recorder replays every request ever made, which grows without end and replays clocks), so the
tables and the metrics bucket are written to a folder through the AWS APIs (Scan, ListObjects) when local mode
stops and after each run of the scheduled jobs, and read back (BatchWriteItem, PutObject) when it starts.

The folder (WOM_DATA_DIR, default .wom/data, ignored by git) holds one JSON Lines file per table, DynamoDB's own
typed JSON per item, and the bucket's objects as files under their keys. `wom run --fresh` empties it first.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.platform.dynamo import put_in_batches
from shared.platform.resources import METRICS_BUCKET, TABLES

logger = logging.getLogger(__name__)

_TABLES_DIR = "dynamodb"
_BUCKETS_DIR = "s3"


@dataclass(frozen=True)
class Saved:
    items: int
    objects: int


class LocalState:
    """Saves and restores the emulator's tables and bucket under `directory`."""

    def __init__(self, directory: Path, client_of: Callable[[str], Any]) -> None:
        self.directory = directory
        self.client_of = client_of
        self._lock = threading.Lock()

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def save(self) -> Saved:
        """Writes everything to a new folder beside the old one, then swaps them: a crash mid-save keeps the last one."""
        with self._lock:
            staging = self.directory.with_name(self.directory.name + ".saving")
            shutil.rmtree(staging, ignore_errors=True)
            items = sum(self._save_table(staging, table.local_name) for table in TABLES)
            objects = self._save_bucket(staging, METRICS_BUCKET.local_name)
            previous = self.directory.with_name(self.directory.name + ".previous")
            shutil.rmtree(previous, ignore_errors=True)
            if self.directory.exists():
                self.directory.rename(previous)
            staging.rename(self.directory)
            shutil.rmtree(previous, ignore_errors=True)
            return Saved(items, objects)

    def restore(self) -> Saved:
        """Puts back what the last save wrote (the resources exist already); nothing saved yet is nothing to do."""
        items = objects = 0
        tables_dir = self.directory / _TABLES_DIR
        for table in TABLES:
            path = tables_dir / f"{table.local_name}.jsonl"
            if path.exists():
                rows = [json.loads(line) for line in path.read_text().splitlines() if line]
                put_in_batches(self.client_of("dynamodb"), table.local_name, rows)
                items += len(rows)
        bucket_dir = self.directory / _BUCKETS_DIR / METRICS_BUCKET.local_name
        if bucket_dir.exists():
            s3 = self.client_of("s3")
            for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
                s3.put_object(Bucket=METRICS_BUCKET.local_name, Key=path.relative_to(bucket_dir).as_posix(), Body=path.read_bytes())
                objects += 1
        return Saved(items, objects)

    def _save_table(self, root: Path, table_name: str) -> int:
        path = root / _TABLES_DIR / f"{table_name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with path.open("w") as out:
            for page in self.client_of("dynamodb").get_paginator("scan").paginate(TableName=table_name):
                for item in page["Items"]:
                    out.write(json.dumps(item, separators=(",", ":"), sort_keys=True) + "\n")
                    count += 1
        return count

    def _save_bucket(self, root: Path, bucket: str) -> int:
        s3 = self.client_of("s3")
        base = root / _BUCKETS_DIR / bucket
        base.mkdir(parents=True, exist_ok=True)
        count = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                target = base / entry["Key"]
                if base.resolve() not in target.resolve().parents:
                    continue  # a key with '..' has no place in a folder
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
                count += 1
        return count
