"""Fault injection for local mode only (SPEC §7, §9): `WOM_FAULTS="dynamodb=<p>"` makes each DynamoDB call of the
functions' client fail with a throttling error with probability p, so the spill queue, the replay and the signed
routes' 503 can be watched from outside. The functions never read WOM_FAULTS: local mode installs the hook
(shared.platform.dynamo.add_client_hook), so a deployed function cannot be made to fail by its environment.

The fault is DynamoDB's own answer (HTTP 400, ProvisionedThroughputExceededException) handed to botocore in place
of sending the request, so botocore's retries and the functions' handling are those of a real throttle.
"""

from __future__ import annotations

import json
import random
from typing import Any

from botocore.awsrequest import AWSResponse

THROTTLED = json.dumps(
    {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "message": "injected by WOM_FAULTS"}
).encode()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):  # noqa: ANN201 - what botocore reads a body through
        yield self._body


def parse_faults(value: str | None) -> dict[str, float]:
    """`dynamodb=0.5` (comma-separated service=probability pairs); ValueError for anything else."""
    faults: dict[str, float] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        service, sep, probability = part.partition("=")
        if not sep or service.strip() != "dynamodb":
            raise ValueError(f"WOM_FAULTS takes dynamodb=<probability>, got {part.strip()!r}")
        p = float(probability)
        if not 0 <= p <= 1:
            raise ValueError(f"WOM_FAULTS: a probability lies in 0–1, got {p}")
        faults["dynamodb"] = p
    return faults


class ThrottleSome:
    """A botocore `before-send` hook answering a share of the calls with DynamoDB's throttling error."""

    def __init__(self, probability: float, seed: int | None = None) -> None:
        self.probability = probability
        self._random = random.Random(seed)
        self.injected = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if self._random.random() >= self.probability:
            return None
        self.injected += 1
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ProvisionedThroughputExceededException", "Content-Type": "application/x-amz-json-1.0"}, _Raw(THROTTLED))

    def install(self, client: Any) -> None:
        client.meta.events.register("before-send.dynamodb", self)
