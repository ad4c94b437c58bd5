"""The replay of spilled tracking events (SPEC §7): what the spill queue (or a log line) kept is written with the
same keys, once. A share or view is a put-if-new of its item; a click's hit is added with its request's marker in
one transaction, so a message SQS delivers twice, or a log line replayed twice, still counts once.

What stays unknown: a write that timed out after DynamoDB applied it, then spilled. A share or view is then
found stored (not written twice); a click's hit is added again (its `hits` one higher; its click is still one
click, one item, one visitor).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from shared.campaigns.targets import LinkTargetReader
from shared.platform import keys
from shared.platform.clock import Clock
from shared.tracking.rules import EventRecord
from shared.tracking.repository import EventRepository
from shared.tracking.spill import read_spill_message, replay_marker_id


@dataclass
class ReplayResult:
    written: int = 0
    already_stored: int = 0
    unknown_code: int = 0  # pending events whose code turned out unknown or disabled: not recorded, as when live

    def add(self, other: ReplayResult) -> None:
        self.written += other.written
        self.already_stored += other.already_stored
        self.unknown_code += other.unknown_code


class EventReplay:
    def __init__(self, events: EventRepository, targets: LinkTargetReader, clock: Clock) -> None:
        self.events = events
        self.targets = targets
        self.clock = clock

    def _resolved(self, record: EventRecord) -> EventRecord | None:
        """A pending event (its code was not readable when it came) filed under its code's campaign and advocate."""
        if not record.key["pk"].startswith(keys.PENDING_CAMPAIGN + "#"):
            return record
        code = record.attributes.get("code")
        target = self.targets.find_link_target(str(code)) if code else None
        if target is None:
            return None
        return replace(
            record,
            key=keys.refiled_event_key(record.key, target.campaign_id),
            attributes={**record.attributes, "advocate_id": target.advocate_id},
        )

    def replay(self, message: dict[str, Any]) -> ReplayResult:
        """Writes one spilled message; raises (for the queue to deliver it again) if storage still fails. A message
        that is not a spilled one raises ValueError."""
        replay_id, records = read_spill_message(message)
        result = ReplayResult()
        for index, spilled in enumerate(records):
            record = self._resolved(spilled)
            if record is None:
                result.unknown_code += 1
                continue
            if record.repeatable:
                wrote = self.events.replay_hit(record, replay_marker_id(replay_id, index), self.clock())
            else:
                wrote = self.events.replay_new(record)
            if wrote:
                result.written += 1
            else:
                result.already_stored += 1
        return result
