"""The raw event archive's objects in the metrics bucket."""

from __future__ import annotations

from typing import Any


class ArchiveObjects:
    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/gzip")

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        request = {"Bucket": self._bucket, "Prefix": prefix}
        while True:
            page = self._s3.list_objects_v2(**request)
            found += [entry["Key"] for entry in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return found
            request["ContinuationToken"] = page["NextContinuationToken"]

    def get(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
