"""The `wom` command line: its parser and the demo seeding (the running server is covered by tests/e2e)."""

from __future__ import annotations

import re

import pytest

from local.cli import DEMO_ADVOCATES, DEMO_CAMPAIGN, AdminApiError, build_parser, run, seed_demo


def test_help_lists_run(capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--help"])
    assert exit_info.value.code == 0
    # The subcommand's own line with its help, not just the word somewhere in the text.
    assert re.search(r"^\s+run\s+start the AWS emulator", capsys.readouterr().out, re.M)


def test_run_is_a_subcommand_and_a_command_is_required():
    assert build_parser().parse_args(["run"]).handler is run
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


class FakeAdmin:
    def __init__(self, campaign_status: int = 201, advocate_status: int = 201) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.campaign_status = campaign_status
        self.advocate_status = advocate_status

    def post(self, path: str, payload: dict) -> tuple[int, dict]:
        self.posts.append((path, payload))
        if path == "/v1/campaigns":
            return self.campaign_status, {}
        customer = payload["customer_id"]
        return self.advocate_status, {"advocate_id": f"adv-{customer}", "code": f"code{customer}", "link": f"http://x/r/code{customer}"}


@pytest.mark.parametrize("campaign_status", [201, 409])
def test_seeding_creates_the_demo_campaign_and_its_advocates_and_tolerates_a_restart(campaign_status):
    admin = FakeAdmin(campaign_status=campaign_status, advocate_status=200 if campaign_status == 409 else 201)
    advocates = seed_demo(admin)
    assert admin.posts[0] == ("/v1/campaigns", DEMO_CAMPAIGN)
    assert [path for path, _ in admin.posts[1:]] == ["/v1/campaigns/demo/advocates"] * len(DEMO_ADVOCATES)
    assert [a["customer_id"] for a in advocates] == list(DEMO_ADVOCATES)
    assert all(a["code"] and a["link"] for a in advocates)


@pytest.mark.parametrize(("campaign_status", "advocate_status"), [(400, 201), (500, 201), (201, 404)])
def test_seeding_fails_loudly_on_an_unexpected_answer(campaign_status, advocate_status):
    with pytest.raises(AdminApiError):
        seed_demo(FakeAdmin(campaign_status, advocate_status))


def test_send_builds_a_conversion_with_only_the_given_fields():
    from local.send import conversion_payload

    args = build_parser().parse_args(
        ["send", "--api-url", "http://x", "conversion", "--order-id", "o-1", "--amount", "4999", "--customer-id", "c-1", "--click-id", "k"]
    )
    assert args.api_url == "http://x"
    assert conversion_payload(args) == {"order_id": "o-1", "amount": 4999, "currency": "USD", "customer_id": "c-1", "click_id": "k"}


def test_send_refund_needs_its_ids_and_an_integer_amount():
    from local.send import refund_payload

    args = build_parser().parse_args(["send", "refund", "--refund-id", "r-1", "--order-id", "o-1", "--amount", "100"])
    assert refund_payload(args) == {"refund_id": "r-1", "order_id": "o-1", "amount": 100}
    for missing in (["--order-id", "o-1", "--amount", "1"], ["--refund-id", "r", "--order-id", "o", "--amount", "1.5"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["send", "refund", *missing])
