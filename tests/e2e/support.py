"""What the e2e tests share: the running local mode, an HTTP client, the error shape and stored-data reads."""

from __future__ import annotations

import gzip
import json
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from boto3.dynamodb.types import TypeDeserializer

from local.emulator import client
from shared.platform.resources import EVENTS_TABLE, METRICS_BUCKET, REFERRALS_TABLE, TABLES

ADMIN_TOKEN = "e2e-admin-token"
SIGNING_SECRET = "e2e-signing-secret"
STATUS_TOKEN_KEY = "e2e-status-token-key"
DESTINATION = "https://shop.example.com/welcome?utm_source=wom#signup"
# Every request carries a user agent no stored item may contain.
BROWSER_UA = f"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 e2e-{uuid.uuid4().hex[:12]}"


@dataclass
class LocalMode:
    """The running `wom run`: its URLs, its logs, and a record of strings that must never be stored."""

    process: subprocess.Popen
    base_url: str
    endpoint_url: str
    stdout_path: Path
    stderr_path: Path
    sensitive: set[str] = field(default_factory=set)

    def logs(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    def log_size(self) -> tuple[int, int]:
        return self.stdout_path.stat().st_size, self.stderr_path.stat().st_size

    def logs_since(self, sizes: tuple[int, int]) -> str:
        parts = []
        for path, start in zip((self.stdout_path, self.stderr_path), sizes, strict=True):
            with path.open("rb") as handle:
                handle.seek(start)
                parts.append(handle.read().decode(errors="replace"))
        return "".join(parts)


class Api:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["User-Agent"] = BROWSER_UA
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 15)
        response = self.session.request(method, self.base_url + path, **kwargs)
        assert response.status_code < 500, f"{method} {path} -> {response.status_code}: {response.text[:500]}"
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


def assert_error_shape(response: requests.Response, status: int | None = None) -> dict:
    if status is not None:
        assert response.status_code == status, response.text
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"]
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"]
    return body["error"]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True)
class Advocate:
    advocate_id: str
    code: str
    link: str
    customer_id: str
    campaign_id: str

    @property
    def path(self) -> str:
        return f"/r/{self.code}"


class Storage:
    """The emulator's tables and bucket, read directly (tests only: the app never scans)."""

    def __init__(self, endpoint_url: str) -> None:
        self.dynamodb = client("dynamodb", endpoint_url)
        self.s3 = client("s3", endpoint_url)
        self._deserializer = TypeDeserializer()

    def items(self, table_name: str) -> list[dict]:
        items = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=table_name):
            items.extend({k: self._deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"])
        return items

    def events(self, code: str) -> list[dict]:
        """The events of the advocate who owns `code`, read as the application reads them (domain names)."""
        from shared.platform.event_items import read_event
        from shared.platform.keys import code_key

        owner = self.dynamodb.get_item(TableName=REFERRALS_TABLE.local_name, Key={k: {"S": v} for k, v in code_key(code).items()}).get("Item")
        advocate_id = owner["advocate_id"]["S"] if owner else None
        events = [read_event(item) for item in self.items(EVENTS_TABLE.local_name)]
        return [e for e in events if e.get("code") == code or (advocate_id and e.get("advocate_id") == advocate_id)]

    def everything(self) -> dict[str, list[str]]:
        """Every stored item and object, as text, by where it lives."""
        stored: dict[str, list[str]] = {}
        for table in TABLES:
            stored[table.local_name] = [json.dumps(item, default=str, ensure_ascii=False) for item in self.items(table.local_name)]
        objects = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=METRICS_BUCKET.local_name):
            for entry in page.get("Contents", []):
                body = self.s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=entry["Key"])["Body"].read()
                if entry["Key"].endswith(".gz"):  # the raw event archive: read what it says, not its compressed bytes
                    body = gzip.decompress(body)
                objects.append(entry["Key"] + "\n" + body.decode(errors="replace"))
        stored[METRICS_BUCKET.local_name] = objects
        return stored
