"""`wom campaigns|advocates|rewards …`: the admin API from the command line, in AWS and locally.

In AWS (`--stack NAME` or WOM_STACK_NAME) the API's URL is the stack's `ApiUrl` output and every request is
signed with SigV4 for `execute-api` by botocore's signer, with whatever credentials the AWS environment gives
(profile, SSO, role): API Gateway's IAM authorizer checks them against the caller's policy. Locally, requests
carry `Authorization: Bearer $WOM_ADMIN_TOKEN` to local mode's API (or WOM_API_URL).

Each command is one row of ADMIN_COMMANDS (group, verb, arguments, and the request they make), so a new admin
route is a new row (`wom erasures get`; asking for an erasure is `wom erase`, local/erase.py, which can wait for it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import requests

from local.arguments import whole_number
from local.settings import local_settings
from shared.rewards.models import REWARD_STATUSES

API_URL_OUTPUT = "ApiUrl"
TIMEOUT_SECONDS = 30


class AdminError(Exception):
    """The API could not be reached or found; the message says what to do."""


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    # The answer's list to gather over every page with --all ("campaigns", "advocates", "rewards").
    pages_of: str | None = None
    # A lookup through a listing: the answer is its one item (none is "not found").
    single: bool = False


class AdminApi:
    """Sends admin requests: bearer token locally, SigV4 (execute-api) in AWS."""

    def __init__(self, base_url: str, token: str | None = None, sign: Callable[[requests.PreparedRequest], None] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.sign = sign
        self.session = requests.Session()

    def send(self, request: AdminRequest, cursor: str | None = None) -> requests.Response:
        query = {**request.query, **({"cursor": cursor} if cursor else {})}
        url = self.base_url + request.path + (f"?{urlencode(query)}" if query else "")
        body = None if request.body is None else json.dumps(request.body, separators=(",", ":")).encode()
        prepared = requests.Request(request.method, url, data=body, headers={"Content-Type": "application/json"} if body else {}).prepare()
        if self.token:
            prepared.headers["Authorization"] = f"Bearer {self.token}"
        if self.sign:
            self.sign(prepared)
        try:
            return self.session.send(prepared, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            raise AdminError(f"cannot reach {self.base_url} ({error.__class__.__name__}); is `wom run` running, or is the stack deployed?") from None


def sigv4_signer(region: str, credentials: Any, service: str = "execute-api") -> Callable[[requests.PreparedRequest], None]:
    """Signs a prepared request in place with botocore's SigV4 signer, as the AWS CLI signs its own calls."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    def sign(prepared: requests.PreparedRequest) -> None:
        aws_request = AWSRequest(method=prepared.method, url=prepared.url, data=prepared.body or b"", headers=dict(prepared.headers))
        SigV4Auth(credentials.get_frozen_credentials(), service, region).add_auth(aws_request)
        prepared.headers.update(dict(aws_request.headers.items()))

    return sign


def stack_api(stack_name: str) -> AdminApi:
    """The deployed stack's API, found from its CloudFormation outputs, signed with the environment's credentials."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None or not session.region_name:
        raise AdminError("no AWS credentials or region: configure the AWS CLI (aws configure, AWS_PROFILE, AWS_REGION)")
    try:
        stack = session.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    except (BotoCoreError, ClientError) as error:
        raise AdminError(f"cannot read stack {stack_name!r}: {error}") from None
    outputs = {output["OutputKey"]: output.get("OutputValue", "") for output in stack.get("Outputs", [])}
    if not outputs.get(API_URL_OUTPUT):
        raise AdminError(f"stack {stack_name!r} has no {API_URL_OUTPUT} output: is it wom's stack, deployed with `npx cdk deploy`?")
    return AdminApi(outputs[API_URL_OUTPUT], sign=sigv4_signer(session.region_name, credentials))


def admin_api(args: argparse.Namespace) -> AdminApi:
    settings = local_settings()
    stack = args.stack or settings.stack_name
    if stack:
        return stack_api(stack)
    return AdminApi(args.api_url or settings.api_url, token=settings.admin_token)


# --- the commands ---------------------------------------------------------------------------------


def _segment(value: str) -> str:
    return quote(value, safe="")


def _query(args: argparse.Namespace, **names: str) -> dict[str, str]:
    """Query parameters from the arguments that were given (argument name → parameter name)."""
    return {parameter: str(getattr(args, argument)) for argument, parameter in names.items() if getattr(args, argument) is not None}


def _reward(text: str) -> dict[str, Any]:
    """`percent:10` or `flat:500` (minor units)."""
    kind, _, value = text.partition(":")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a reward is percent:<value> or flat:<minor units>, not {text!r}") from None
    if kind not in ("percent", "flat"):
        raise argparse.ArgumentTypeError(f"a reward is percent:<value> or flat:<minor units>, not {text!r}")
    return {"type": kind, "value": int(number) if number.is_integer() else number}


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not JSON: {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _rules(args: argparse.Namespace) -> dict[str, Any] | None:
    rules: dict[str, Any] = dict(args.rewards or {})
    if args.advocate_reward:
        rules["advocate"] = args.advocate_reward
    if args.friend_reward:
        rules["friend"] = args.friend_reward
    for argument in ("holding_days", "min_order_amount", "max_rewards_per_advocate_per_month", "max_rewards_per_advocate"):
        if getattr(args, argument) is not None:
            rules[argument] = getattr(args, argument)
    return rules or None


def _fraud(args: argparse.Namespace) -> dict[str, Any] | None:
    fraud: dict[str, Any] = dict(args.fraud or {})
    if args.max_referrals_per_day is not None:
        fraud["max_referrals_per_day"] = args.max_referrals_per_day
    if args.blocked_referrer_host is not None:
        fraud["blocked_referrer_hosts"] = args.blocked_referrer_host
    return fraud or None


def _campaign_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = {
        name: getattr(args, name)
        for name in ("name", "destination_url", "attribution_window_days", "currency", "status")
        if getattr(args, name, None) is not None
    }
    rules = _rules(args)
    if rules:
        fields["rewards"] = rules
    fraud = _fraud(args)
    if fraud:
        fields["fraud"] = fraud
    return fields


def create_campaign(args: argparse.Namespace) -> AdminRequest:
    return AdminRequest("POST", "/v1/campaigns", body={"campaign_id": args.campaign_id, **_campaign_fields(args)})


def patch_campaign(args: argparse.Namespace) -> AdminRequest:
    return AdminRequest("PATCH", f"/v1/campaigns/{_segment(args.campaign_id)}", body=_campaign_fields(args))


def get_advocate(args: argparse.Namespace) -> AdminRequest:
    if args.advocate_id:
        return AdminRequest("GET", f"/v1/advocates/{_segment(args.advocate_id)}")
    if not (args.campaign and args.customer_id):
        raise AdminError("name an advocate id, or --campaign and --customer-id")
    return AdminRequest("GET", f"/v1/campaigns/{_segment(args.campaign)}/advocates", {"customer_id": args.customer_id}, pages_of="advocates", single=True)


def enrol_advocate(args: argparse.Namespace) -> AdminRequest:
    body: dict[str, Any] = {"customer_id": args.customer_id}
    if args.email:
        body["email"] = args.email
    if args.consent_terms:
        body["consent"] = {"terms_version": args.consent_terms, "marketing": args.marketing}
    elif args.marketing:
        raise AdminError("--marketing is part of a consent: give --consent-terms too")
    return AdminRequest("POST", f"/v1/campaigns/{_segment(args.campaign_id)}/advocates", body=body)


def _campaign_rule_arguments(parser: argparse.ArgumentParser, creating: bool) -> None:
    parser.add_argument("--advocate-reward", type=_reward, metavar="percent:N|flat:N", help="the advocate's reward" + (" (required unless --rewards has it)" if creating else ""))
    parser.add_argument("--friend-reward", type=_reward, metavar="percent:N|flat:N", help="the referred friend's reward")
    parser.add_argument("--holding-days", type=whole_number(0, 365))
    parser.add_argument("--min-order-amount", type=whole_number(0), help="in minor units")
    parser.add_argument("--max-rewards-per-advocate-per-month", type=whole_number(1))
    parser.add_argument("--max-rewards-per-advocate", type=whole_number(1), help="the lifetime cap, in rewarded referrals")
    parser.add_argument("--rewards", type=_json_object, help="the whole rewards object as JSON, milestones too (the flags above override its fields)")
    parser.add_argument("--max-referrals-per-day", type=whole_number(1), help="fraud review: more referred purchases than this for one advocate in 24 h are held (default 10)")
    parser.add_argument(
        "--blocked-referrer-host", action="append", metavar="HOST", help="fraud review: hold purchases through clicks from this host (repeat for more; replaces the list)"
    )
    parser.add_argument("--fraud", type=_json_object, help="the whole fraud object as JSON (the flags above override its fields)")


def _campaign_arguments(creating: bool) -> Callable[[argparse.ArgumentParser], None]:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("campaign_id", help="the campaign's slug")
        parser.add_argument("--name", required=creating)
        parser.add_argument("--destination-url", required=creating, help="the https URL referral links lead to")
        parser.add_argument("--attribution-window-days", type=whole_number(1, 365))
        if creating:
            parser.add_argument("--currency", help="ISO-4217 code (default USD)")
        else:
            parser.add_argument("--status", choices=("active", "disabled"))
        _campaign_rule_arguments(parser, creating)

    return add


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=whole_number(1, 100), help="at most this many per page")
    parser.add_argument("--cursor", help="next_cursor of the previous page")
    parser.add_argument("--all", action="store_true", help="follow next_cursor through every page")


def _paged(args: argparse.Namespace) -> dict[str, str]:
    return _query(args, limit="limit")


@dataclass(frozen=True)
class AdminCommand:
    group: str
    verb: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    request: Callable[[argparse.Namespace], AdminRequest]


ADMIN_COMMANDS: list[AdminCommand] = [
    AdminCommand("campaigns", "create", "create a campaign (POST /v1/campaigns)", _campaign_arguments(creating=True), create_campaign),
    AdminCommand(
        "campaigns",
        "get",
        "read a campaign",
        lambda p: p.add_argument("campaign_id"),
        lambda a: AdminRequest("GET", f"/v1/campaigns/{_segment(a.campaign_id)}"),
    ),
    AdminCommand("campaigns", "list", "every campaign, by id", _paging, lambda a: AdminRequest("GET", "/v1/campaigns", _paged(a), pages_of="campaigns")),
    AdminCommand("campaigns", "patch", "change a campaign; new rewards make a new rules version", _campaign_arguments(creating=False), patch_campaign),
    AdminCommand(
        "advocates",
        "enrol",
        "enrol a customer as an advocate (the same customer again is the same advocate)",
        lambda p: (
            p.add_argument("campaign_id"),
            p.add_argument("customer_id"),
            p.add_argument("--email"),
            p.add_argument("--consent-terms", metavar="VERSION", help="record their consent: the version of the terms they accepted"),
            p.add_argument("--marketing", action="store_true", help="with --consent-terms: they agreed to marketing messages"),
        ),
        enrol_advocate,
    ),
    AdminCommand(
        "advocates",
        "get",
        "an advocate with counts and rewards by status, or look one up by --campaign and --customer-id",
        lambda p: (
            p.add_argument("advocate_id", nargs="?"),
            p.add_argument("--campaign", help="with --customer-id: look the advocate up in this campaign"),
            p.add_argument("--customer-id"),
        ),
        get_advocate,
    ),
    AdminCommand(
        "advocates",
        "list",
        "a campaign's advocates (in the order of their customer keys)",
        lambda p: (p.add_argument("campaign_id"), _paging(p)),
        lambda a: AdminRequest("GET", f"/v1/campaigns/{_segment(a.campaign_id)}/advocates", _paged(a), pages_of="advocates"),
    ),
    AdminCommand(
        "rewards",
        "list",
        "a campaign's or an advocate's rewards, oldest first",
        lambda p: (
            p.add_argument("--campaign"),
            p.add_argument("--advocate"),
            p.add_argument("--status", choices=REWARD_STATUSES),
            _paging(p),
        ),
        lambda a: AdminRequest("GET", "/v1/rewards", {**_query(a, campaign="campaign_id", advocate="advocate_id", status="status"), **_paged(a)}, pages_of="rewards"),
    ),
    AdminCommand(
        "erasures",
        "get",
        "an erasure's receipt: pending or completed, and what it erased (wom erase asks for one)",
        lambda p: p.add_argument("erasure_id"),
        lambda a: AdminRequest("GET", f"/v1/erasures/{_segment(a.erasure_id)}"),
    ),
    AdminCommand(
        "rewards",
        "fulfil",
        "mark an approved reward paid (the same reference again is a safe retry)",
        lambda p: (p.add_argument("reward_id"), p.add_argument("--reference", required=True, help="your payout's reference")),
        lambda a: AdminRequest("POST", f"/v1/rewards/{_segment(a.reward_id)}/fulfil", body={"reference": a.reference}),
    ),
    AdminCommand(
        "rewards",
        "review",
        "decide on a held reward: approve (approved once holding has passed) or reject (voided)",
        lambda p: (
            p.add_argument("reward_id"),
            p.add_argument("--decision", required=True, choices=("approve", "reject")),
            p.add_argument("--note", help="why, for the record"),
        ),
        lambda a: AdminRequest(
            "POST", f"/v1/rewards/{_segment(a.reward_id)}/review", body={"decision": a.decision, **({"note": a.note} if a.note else {})}
        ),
    ),
]


def _gather(api: AdminApi, request: AdminRequest, first: requests.Response) -> tuple[int, Any]:
    """Every page of a listing, as one answer with the same shape and no next_cursor."""
    body = first.json()
    items = list(body.get(request.pages_of, []))
    while body.get("next_cursor"):
        response = api.send(request, body["next_cursor"])
        if not response.ok:
            return response.status_code, _json_or_text(response)
        body = response.json()
        items += body.get(request.pages_of, [])
    return first.status_code, {request.pages_of: items, "next_cursor": None}


def _json_or_text(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"error": {"code": f"http_{response.status_code}", "message": response.text[:500]}}


def run_admin_command(args: argparse.Namespace) -> int:
    """Prints the answer's JSON on stdout (exit 0), or the error's on stderr (exit 1)."""
    try:
        request = args.admin_command.request(args)
        api = admin_api(args)
        if request.pages_of and getattr(args, "cursor", None):
            response = api.send(request, args.cursor)
        else:
            response = api.send(request)
        status, answer = response.status_code, _json_or_text(response)
        if response.ok and request.pages_of and getattr(args, "all", False):
            status, answer = _gather(api, request, response)
        if response.ok and request.single:
            found = answer.get(request.pages_of) or []
            status, answer = (200, found[0]) if found else (404, {"error": {"code": "advocate_not_found", "message": "that customer is not enrolled in the campaign"}})
    except AdminError as error:
        print(f"wom: {error}", file=sys.stderr)
        return 1
    if not 200 <= status < 300:
        print(json.dumps(answer, indent=2), file=sys.stderr)
        return 1
    print(json.dumps(answer, indent=2, ensure_ascii=False))
    return 0


def add_admin_parsers(commands: Any, admin_commands: Iterable[AdminCommand] = ADMIN_COMMANDS) -> None:
    """One `wom <group> <verb>` per row; every group takes --stack and --api-url."""
    settings = local_settings()
    groups: dict[str, Any] = {}
    for command in admin_commands:
        if command.group not in groups:
            group = commands.add_parser(
                command.group,
                help=f"the admin API's {command.group} (SigV4 with --stack in AWS, the bearer token locally)",
                description=(
                    "In AWS, name the stack (--stack or WOM_STACK_NAME): its ApiUrl output is the API and requests "
                    "are signed with SigV4 (execute-api) with the AWS environment's credentials. Otherwise the "
                    "request goes to WOM_API_URL (default local mode's API) with Authorization: Bearer "
                    "$WOM_ADMIN_TOKEN."
                ),
            )
            groups[command.group] = group.add_subparsers(dest="verb", metavar="<" + "|".join(c.verb for c in admin_commands if c.group == command.group) + ">", required=True)
        parser = groups[command.group].add_parser(command.verb, help=command.help, description=command.help)
        command.arguments(parser)
        parser.add_argument("--stack", help=f"the deployed stack's name (default $WOM_STACK_NAME{'=' + settings.stack_name if settings.stack_name else ''})")
        parser.add_argument("--api-url", help="the API's base URL (default $WOM_API_URL, else local mode's API)")
        parser.set_defaults(handler=run_admin_command, admin_command=command)
