"""`wom events tail`: what the rewards bus received in local mode.

moto server's EventBridge delivers to SQS targets (it runs no Lambda or schedule targets), so local mode
subscribes a queue to the rewards bus with a rule matching everything the bus carries, as an operator's own
rule would in AWS; the command reads that queue and prints each event as the bus delivered it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.platform.resources import REWARDS_BUS

TAIL_QUEUE = "wom-rewards-tail"
TAIL_RULE = "wom-rewards-tail"


def subscribe_tail(client_of: Callable[[str], Any]) -> str:
    """The queue every event on the rewards bus is delivered to (created once; safe to run again)."""
    sqs, events = client_of("sqs"), client_of("events")
    url = sqs.create_queue(QueueName=TAIL_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=TAIL_RULE, EventBusName=REWARDS_BUS.local_name, EventPattern=json.dumps({"source": [REWARDS_BUS.source]}))
    events.put_targets(Rule=TAIL_RULE, EventBusName=REWARDS_BUS.local_name, Targets=[{"Id": "tail", "Arn": arn}])
    return url


def received(client_of: Callable[[str], Any], wait_seconds: int = 0) -> list[dict[str, Any]]:
    """The events delivered since the last read (each is printed once: read means removed from the queue)."""
    sqs = client_of("sqs")
    url = sqs.get_queue_url(QueueName=TAIL_QUEUE)["QueueUrl"]
    events = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds).get("Messages", [])
        if not messages:
            return events
        for message in messages:
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        wait_seconds = 0


def tail(args: argparse.Namespace) -> int:
    from local.emulator import emulator_clients, endpoint_url_for
    from local.settings import local_settings

    client_of = emulator_clients(endpoint_url_for(local_settings().emulator_port))
    try:
        while True:
            for event in sorted(received(client_of, wait_seconds=2 if args.follow else 0), key=lambda e: e.get("time", "")):
                print(json.dumps(event, separators=(",", ":"), sort_keys=True), flush=True)
            if not args.follow:
                return 0
            time.sleep(0.5)
    except (BotoCoreError, ClientError) as error:
        print(f"wom events tail: cannot read local mode's emulator ({error.__class__.__name__}); is `wom run` running?", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def add_events_parser(commands: Any) -> None:
    parser = commands.add_parser("events", help="what the rewards bus received in local mode")
    verbs = parser.add_subparsers(dest="events_command", metavar="tail", required=True)
    tail_parser = verbs.add_parser(
        "tail",
        help="print each event the rewards bus delivered since the last tail, one JSON line each",
        description="Print the RewardApproved / RewardVoided / RewardAdjusted events local mode's rewards bus delivered since the last tail, oldest first; --follow keeps waiting for more until Ctrl-C.",
    )
    tail_parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events until Ctrl-C")
    tail_parser.set_defaults(handler=tail)
