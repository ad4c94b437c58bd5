"""Where a tracked event goes when its write fails (SPEC §7): the spill queue, and failing that, the log.

A spilled message is one request's records exactly as the tracking rules planned them (keys, attributes in the
domain's names, whether a click adds a hit) and the request's replay id, so the replay writes the same items
once (shared/tracking/replay.py). What it holds is what the table would have held: no IP address or user agent
(a visitor is already the click id's token, under the day's salt), nothing secret.

If SQS fails too, each event is one log line, `wom-unstored-event {json}`, that `wom replay --log FILE` writes
(the same replay): nothing is dropped silently.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared.platform.observability import tracking_logger as logger
from shared.tracking.rules import EventRecord

MESSAGE_VERSION = 1
UNSTORED_MARK = "wom-unstored-event "


def spill_message(records: list[EventRecord], replay_id: str) -> dict[str, Any]:
    return {
        "v": MESSAGE_VERSION,
        "replay_id": replay_id,
        "records": [{"key": r.key, "attributes": r.attributes, "repeatable": r.repeatable} for r in records],
    }


def read_spill_message(message: dict[str, Any]) -> tuple[str, list[EventRecord]]:
    """The replay id and records of a spilled message; ValueError for anything else."""
    if not isinstance(message, dict) or message.get("v") != MESSAGE_VERSION or not isinstance(message.get("replay_id"), str):
        raise ValueError("not a spilled tracking message")
    records = []
    for raw in message.get("records") or []:
        key = raw.get("key") if isinstance(raw, dict) else None
        if not (isinstance(key, dict) and set(key) == {"pk", "sk"} and isinstance(raw.get("attributes"), dict)):
            raise ValueError("a spilled record needs its key and attributes")
        records.append(EventRecord(key={"pk": str(key["pk"]), "sk": str(key["sk"])}, attributes=raw["attributes"], repeatable=bool(raw.get("repeatable"))))
    if not records:
        raise ValueError("a spilled message holds at least one record")
    return message["replay_id"], records


def unstored_line(record: EventRecord, replay_id: str) -> str:
    """The log line of one event neither the table nor the queue took."""
    return UNSTORED_MARK + json.dumps(spill_message([record], replay_id), separators=(",", ":"), sort_keys=True)


def unstored_messages(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The spilled messages in log lines: as the function printed them, as Lambda's JSON log format wraps them
    (the line's `message`), or as `aws logs filter-log-events --output text` or `aws logs tail` print either."""
    for line in lines:
        text = line
        if UNSTORED_MARK not in text:
            continue
        start = text.find("{")
        if start != -1 and start < text.find(UNSTORED_MARK):
            # A JSON log line (possibly after a timestamp or stream name): its message holds the mark.
            try:
                wrapped = json.loads(text[start:])
                text = str(wrapped.get("message", text)) if isinstance(wrapped, dict) else text
            except ValueError:
                pass
        payload = text[text.index(UNSTORED_MARK) + len(UNSTORED_MARK) :].strip()
        try:
            yield json.loads(payload)
        except ValueError:
            logger.warning("a wom-unstored-event line that is not JSON was skipped")


class SpillQueue:
    """Sends a request's unwritten records to the spill queue; logs each one if that fails too."""

    def __init__(self, client_factory: Callable[[], Any], queue_url: str | None, queue_name: str) -> None:
        self._client_factory = client_factory
        self._client: Any = None
        self._queue_url = queue_url
        self._queue_name = queue_name
        self._lock = threading.Lock()

    def _send(self, body: str) -> None:
        with self._lock:
            if self._client is None:
                # Made on the first spill only: a healthy instance never pays for an SQS client.
                self._client = self._client_factory()
            if self._queue_url is None:
                self._queue_url = self._client.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)

    def keep(self, records: list[EventRecord], replay_id: str, cause: BaseException) -> None:
        """Never raises: the browser's answer does not depend on where its event was kept."""
        if not records:
            return
        kinds = sorted({r.kind for r in records})
        try:
            self._send(json.dumps(spill_message(records, replay_id), separators=(",", ":")))
            logger.warning(
                "events spilled: their write failed; the replay will write them",
                extra={"events": len(records), "kinds": kinds, "error": type(cause).__name__},
            )
        except Exception as error:  # noqa: BLE001 - whatever SQS did, the events go to the log
            logger.error(
                "events not stored and not spilled; replay them from this log (wom replay --log)",
                extra={"events": len(records), "kinds": kinds, "error": type(cause).__name__, "spill_error": type(error).__name__},
            )
            for index, record in enumerate(records):
                logger.error(unstored_line(record, replay_marker_id(replay_id, index)))


def replay_marker_id(replay_id: str, index: int) -> str:
    """Which click of which request: the replay adds each one's hit once."""
    return f"{replay_id}.{index}"

