"""Local mode's admin path in process: the gateway (bearer token, or SigV4 as in AWS) in front of the admin
function under moto, driven by the same client the `wom` admin commands and the demo seeding use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.admin import AdminApi, AdminRequest
from local.cli import DEMO_ADVOCATES, DEMO_CAMPAIGN, AdminApiError, seed_demo
from local.gateway import Gateway, start_gateway

TOKEN = "integration-admin-token"


@pytest.fixture
def gateway_url(aws) -> Iterator[str]:
    server = start_gateway(Gateway(admin_bearer_token=TOKEN), port=0)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_seeding_creates_the_demo_campaign_and_its_advocates_and_tolerates_a_restart(gateway_url):
    api = AdminApi(gateway_url, token=TOKEN)
    first = seed_demo(api)
    assert [a["customer_id"] for a in first] == list(DEMO_ADVOCATES)
    assert all(a["code"] and a["link"].endswith("/r/" + a["code"]) for a in first)
    # A restart over kept data: the campaign exists (409 is fine) and the advocates are the same ones.
    assert seed_demo(api) == first
    campaign = api.send(AdminRequest("GET", f"/v1/campaigns/{DEMO_CAMPAIGN['campaign_id']}")).json()
    assert campaign["destination_url"] == DEMO_CAMPAIGN["destination_url"]


def test_seeding_fails_loudly_when_the_api_refuses(gateway_url):
    with pytest.raises(AdminApiError, match="401"):
        seed_demo(AdminApi(gateway_url, token="not-the-token"))


STACK = "WomAdminTest"


@pytest.fixture
def deployed_stack(aws, gateway_url, monkeypatch) -> str:
    """A stack whose ApiUrl output names local mode's gateway, as `cdk deploy` leaves the real one; the caller
    holds the emulator's credentials (moto's mock would hand out its own), which the gateway checks SigV4 with."""
    import json

    import boto3

    from local.emulator import FAKE_CREDENTIALS

    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)

    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {"ApiUrl": {"Value": gateway_url + "/"}},
    }
    # moto's CloudFormation skips the handle (it models no such type) and keeps the outputs.
    boto3.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))
    return STACK


@pytest.mark.filterwarnings("ignore:Tried to parse .*WaitConditionHandle:UserWarning")
def test_admin_commands_find_the_api_in_the_stack_outputs_and_sign_with_sigv4(deployed_stack, capsys):
    from local.cli import main

    assert main(["campaigns", "create", "spring", "--stack", deployed_stack, "--name", "Spring", "--destination-url", "https://shop.example.com/", "--advocate-reward", "percent:10"]) == 0
    created = capsys.readouterr().out
    assert '"campaign_id": "spring"' in created
    assert main(["advocates", "enrol", "spring", "cust-1", "--stack", deployed_stack]) == 0
    capsys.readouterr()
    assert main(["advocates", "get", "--campaign", "spring", "--customer-id", "cust-1", "--stack", deployed_stack]) == 0
    assert '"customer_id": "cust-1"' in capsys.readouterr().out
    assert main(["campaigns", "list", "--all", "--stack", deployed_stack]) == 0
    assert '"spring"' in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Tried to parse .*WaitConditionHandle:UserWarning")
def test_the_gateway_refuses_a_tampered_or_foreign_sigv4_signature(deployed_stack):
    import requests
    from botocore.credentials import Credentials

    from local.admin import sigv4_signer, stack_api

    api = stack_api(deployed_stack)
    assert api.send(AdminRequest("GET", "/v1/campaigns")).status_code == 200

    def send(sign, mutate=lambda prepared: None) -> int:
        prepared = requests.Request("POST", api.base_url + "/v1/campaigns", data=b'{"campaign_id":"x"}', headers={"Content-Type": "application/json"}).prepare()
        sign(prepared)
        mutate(prepared)
        return requests.Session().send(prepared, timeout=10).status_code

    class Foreign:
        def get_frozen_credentials(self):
            return Credentials("AKIAFOREIGN", "not-the-secret")

    assert send(sigv4_signer("us-east-1", Foreign())) == 401
    assert send(api.sign, lambda p: setattr(p, "body", b'{"campaign_id":"y"}')) == 401
    assert send(lambda p: None) == 401
    # The genuine signature reaches the function (which answers the incomplete body with a 400).
    assert send(api.sign) == 400


@pytest.mark.filterwarnings("ignore:Tried to parse .*WaitConditionHandle:UserWarning")
def test_admin_commands_set_programme_rules_and_fraud_settings_and_review_a_held_reward(deployed_stack, capsys):
    import json
    from datetime import UTC, datetime, timedelta

    from local.cli import main
    from shared import wiring
    from tests.integration.test_conversion_routes import Clock, post

    stack = ["--stack", deployed_stack]
    milestones = json.dumps({"milestones": [{"referrals": 3, "reward": {"type": "flat", "value": 900}}]})
    created = main(
        ["campaigns", "create", "spring", *stack, "--name", "Spring", "--destination-url", "https://shop.example.com/", "--advocate-reward", "flat:1000",
         "--rewards", milestones, "--max-rewards-per-advocate", "32", "--max-referrals-per-day", "5", "--blocked-referrer-host", "Coupons.Example"]
    )
    assert created == 0
    campaign = json.loads(capsys.readouterr().out)
    assert (campaign["rewards"]["max_rewards_per_advocate"], campaign["rewards"]["milestones"][0]["referrals"]) == (32, 3)
    assert campaign["fraud"] == {"max_referrals_per_day": 5, "blocked_referrer_hosts": ["coupons.example"]}
    assert main(["campaigns", "patch", "spring", *stack, "--max-referrals-per-day", "7"]) == 0
    assert json.loads(capsys.readouterr().out)["fraud"]["max_referrals_per_day"] == 7

    assert main(["advocates", "enrol", "spring", "ada", *stack]) == 0
    code = json.loads(capsys.readouterr().out)["code"]
    clock = Clock(datetime.now(UTC))
    body = {"order_id": "o-1", "amount": 5000, "currency": "USD", "customer_id": "friend", "customer_email": "x@mailinator.com", "referral_code": code}
    assert post("/v1/conversions", body, clock)["statusCode"] == 201
    wiring.rewards_job().run(clock.now + timedelta(minutes=1))

    assert main(["rewards", "list", "--campaign", "spring", "--status", "held", *stack]) == 0
    [held] = json.loads(capsys.readouterr().out)["rewards"]
    assert held["review"]["reasons"] == ["disposable_email"]
    assert main(["rewards", "review", held["reward_id"], "--decision", "reject", "--note", "throwaway address", *stack]) == 0
    reviewed = json.loads(capsys.readouterr().out)
    assert (reviewed["status"], reviewed["review"]["note"]) == ("voided", "throwaway address")
    assert main(["rewards", "review", held["reward_id"], "--decision", "approve", *stack]) == 1
    assert "reward_already_reviewed" in capsys.readouterr().err


def test_wom_erase_and_wom_erasures_get_through_the_deployed_api(deployed_stack, capsys):
    import json

    from local.cli import main
    from shared import wiring

    main(["campaigns", "create", "autumn", "--stack", deployed_stack, "--name", "Autumn", "--destination-url", "https://shop.example.com/", "--advocate-reward", "flat:500"])
    capsys.readouterr()
    assert main(["advocates", "enrol", "autumn", "leaving@example.org", "--consent-terms", "t-7", "--marketing", "--stack", deployed_stack]) == 0
    advocate = json.loads(capsys.readouterr().out)
    assert main(["advocates", "get", advocate["advocate_id"], "--stack", deployed_stack]) == 0
    assert json.loads(capsys.readouterr().out)["consent"]["terms_version"] == "t-7"

    assert main(["erase", "leaving@example.org", "--stack", deployed_stack]) == 0
    receipt = json.loads(capsys.readouterr().out)
    assert receipt["status"] == "pending"
    wiring.privacy_job().run(wiring.now())
    assert main(["erasures", "get", receipt["erasure_id"], "--stack", deployed_stack]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["status"] == "completed" and done["erased"]["advocates"] == 1
    assert main(["advocates", "get", advocate["advocate_id"], "--stack", deployed_stack]) == 1
    assert main(["advocates", "enrol", "autumn", "x", "--marketing", "--stack", deployed_stack]) == 1
    assert "--consent-terms" in capsys.readouterr().err
