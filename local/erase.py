"""`wom erase <customer_id>`: erase a customer everywhere wom keeps them, through `POST /v1/erasures` (the id in the
body, so any id works, `/` included; `DELETE /v1/customers/{id}` does the same with the id in the path).

Like the admin commands (local/admin.py): local mode's API with the bearer token, or with `--stack` the deployed
stack's API signed with SigV4. Prints the erasure's receipt; the privacy job does the erasing (every 5 minutes in
AWS, every WOM_JOBS_INTERVAL seconds locally), and `--wait` polls `GET /v1/erasures/{id}` until it has completed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from local.admin import AdminError, AdminRequest, admin_api
from local.arguments import whole_number
from local.settings import local_settings

POLL_SECONDS = 1.0


def erase(args: argparse.Namespace) -> int:
    customer_id = args.customer_id.strip()
    if not 1 <= len(customer_id) <= 128:
        print("wom erase: a customer id is 1–128 characters", file=sys.stderr)
        return 2
    try:
        api = admin_api(args)
        response = api.send(AdminRequest("POST", "/v1/erasures", body={"customer_id": customer_id}))
        deadline = time.monotonic() + (args.wait or 0)
        while response.ok and response.json()["status"] != "completed" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            response = api.send(AdminRequest("GET", f"/v1/erasures/{response.json()['erasure_id']}"))
    except AdminError as error:
        print(f"wom: {error}", file=sys.stderr)
        return 1
    if not response.ok:
        print(response.text, file=sys.stderr)
        return 1
    receipt = response.json()
    print(json.dumps(receipt, indent=2))
    if args.wait and receipt["status"] != "completed":
        print(f"wom erase: still pending after {args.wait} s; the privacy job finishes it (wom jobs run privacy, locally)", file=sys.stderr)
        return 1
    return 0


def add_erase_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "erase",
        help="erase a customer everywhere wom keeps them (POST /v1/erasures); prints the receipt",
        description=(
            "Ask wom to erase a customer (advocate or buyer, in every campaign) and print the erasure's receipt. The "
            "privacy job does the erasing: every 5 minutes in AWS, every WOM_JOBS_INTERVAL seconds in local mode. "
            "Locally through local mode's API with the bearer token; with --stack through the deployed API, SigV4-signed."
        ),
    )
    parser.add_argument("customer_id", help="the storefront's customer id, as it was sent to wom")
    parser.add_argument("--wait", type=whole_number(1, 3600), metavar="SECONDS", help="poll the receipt until it has completed, at most this long")
    settings = local_settings()
    parser.add_argument("--stack", help=f"the deployed stack's name (default $WOM_STACK_NAME{'=' + settings.stack_name if settings.stack_name else ''})")
    parser.add_argument("--api-url", help="the API's base URL (default $WOM_API_URL, else local mode's API)")
    parser.set_defaults(handler=erase)
