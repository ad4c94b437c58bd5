"""`wom erase <customer_id>`: erase a customer everywhere wom keeps them, as `DELETE /v1/customers/{id}` does.

Against the running local mode's emulator, unless the environment names AWS (as `wom jobs run` decides); prints
the erasure's receipt. The privacy job does the erasing (local mode runs it every WOM_JOBS_INTERVAL seconds);
`--wait` polls the receipt until it has completed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from botocore.exceptions import BotoCoreError, ClientError

from local.arguments import whole_number
from local.emulator import use_local_mode_unless_aws
from shared.platform.resources import REFERRALS_TABLE
from shared.platform.settings import ENV_VARS

POLL_SECONDS = 1.0


def erase(args: argparse.Namespace) -> int:
    customer_id = args.customer_id.strip()
    if not 1 <= len(customer_id) <= 128:
        print("wom erase: a customer id is 1–128 characters", file=sys.stderr)
        return 2
    use_local_mode_unless_aws(REFERRALS_TABLE.env_var)
    if "AWS_ENDPOINT_URL" not in os.environ and not any(os.environ.get(name) for name in (ENV_VARS["hash_key_secret_arn"], ENV_VARS["hash_key"])):
        # Under another key the customer's key would be another: the erasure would find nobody, and say so.
        print(f"wom erase: against AWS, set {ENV_VARS['hash_key_secret_arn']} to the ARN of the stack's hash key secret", file=sys.stderr)
        return 2
    from shared import wiring
    from shared.platform.observability import logger as function_logger

    function_logger.setLevel("WARNING")  # stdout carries the receipt alone
    service = wiring.erasures()
    try:
        receipt = service.erase_customer(customer_id, source="cli")
        deadline = time.monotonic() + (args.wait or 0)
        while receipt.status != "completed" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            receipt = service.receipt(receipt.erasure_id)
    except (BotoCoreError, ClientError) as error:
        print(f"wom erase: cannot reach the tables ({error.__class__.__name__}); is `wom run` running?", file=sys.stderr)
        return 1
    print(receipt.model_dump_json(indent=2))
    if args.wait and receipt.status != "completed":
        print(f"wom erase: still pending after {args.wait} s; `wom jobs run privacy` finishes it now", file=sys.stderr)
        return 1
    return 0


def add_erase_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "erase",
        help="erase a customer everywhere wom keeps them (as DELETE /v1/customers/{id}); prints the receipt",
        description=(
            "Record the erasure of a customer (advocate or buyer, in every campaign) and print its receipt. The "
            "privacy job does the erasing: local mode runs it every WOM_JOBS_INTERVAL seconds. Against local mode's "
            "emulator unless AWS_ENDPOINT_URL or WOM_REFERRALS_TABLE point elsewhere."
        ),
    )
    parser.add_argument("customer_id", help="the storefront's customer id, as it was sent to wom")
    parser.add_argument("--wait", type=whole_number(1, 3600), metavar="SECONDS", help="poll the receipt until it has completed, at most this long")
    parser.set_defaults(handler=erase)
