"""A Python client generated from the served OpenAPI document (openapi-python-client, offline) drives the core flow
against local mode: create a campaign, enrol, follow the link, post a signed conversion, run the rewards job, list
and fulfil the reward, and read a 409 as the error envelope (issue 11: a client once got None on a fulfil)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.conversions.signatures import HEADER, signature_header
from tests.e2e.support import ADMIN_TOKEN, BROWSER_UA, DESTINATION, SIGNING_SECRET, Api, LocalMode, new_id
from tests.e2e.test_rewards import run_rewards_job

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "wom_client"


class WomSignature(httpx.Auth):
    """Signs the exact bytes httpx sends, as a storefront must."""

    requires_request_body = True

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers[HEADER] = signature_header(SIGNING_SECRET, int(time.time()), request.content)
        yield request


@pytest.fixture(scope="module")
def wom_client(local_mode: LocalMode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    work = tmp_path_factory.mktemp("generated-client")
    (work / "openapi.json").write_text(json.dumps(Api(local_mode.base_url).get("/openapi.json").json()))
    # No post hooks: the generator would otherwise run ruff over its output (formatting only).
    (work / "config.yaml").write_text(f"package_name_override: {PACKAGE}\nproject_name_override: wom-client\npost_hooks: []\n")
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.yaml", "--meta", "none", "--output-path", PACKAGE],
        cwd=work, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The only parts it cannot describe are browsers', not a client's: the pixel's image/gif body and the storefront
    # scripts' application/javascript.
    output = done.stdout + done.stderr
    warnings = [line for line in output.splitlines() if line.startswith("WARNING")]
    assert warnings == [f"WARNING parsing GET {path} within default." for path in ("/p.gif", "/wom.js", "/wom-advocate.js")], output
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_core_flow_through_a_generated_client(wom_client: ModuleType, local_mode: LocalMode):
    api = importlib.import_module(f"{PACKAGE}.api.default")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = importlib.import_module(PACKAGE).client
    admin = client.AuthenticatedClient(base_url=local_mode.base_url, token=ADMIN_TOKEN)
    browser = client.Client(base_url=local_mode.base_url, headers={"User-Agent": BROWSER_UA})
    storefront = client.AuthenticatedClient(base_url=local_mode.base_url, token="unused", httpx_args={"auth": WomSignature()})

    def op(name: str) -> ModuleType:
        return importlib.import_module(f"{api.__name__}.{name}")

    campaign_id = new_id("client")
    rules = models.RewardRules(advocate=models.PercentReward(type_="percent", value=10.0), friend=models.FlatReward(type_="flat", value=500))
    created = op("create_campaign").sync_detailed(
        client=admin, body=models.CampaignCreate(campaign_id=campaign_id, name="Generated client", destination_url=DESTINATION, rewards=rules)
    )
    assert created.status_code == 201 and isinstance(created.parsed, models.Campaign) and created.parsed.campaign_id == campaign_id

    enrolled = op("enrol_advocate").sync_detailed(campaign_id, client=admin, body=models.AdvocateEnrolment(customer_id=new_id("advocate")))
    assert enrolled.status_code == 201 and isinstance(enrolled.parsed, models.AdvocateLink)
    advocate = enrolled.parsed

    followed = op("follow_referral_link").sync_detailed(advocate.code, client=browser)
    assert followed.status_code == 302
    [click_id] = parse_qs(urlsplit(followed.headers["Location"]).query)["wom_click"]

    order_id = new_id("order")
    purchase = models.ConversionRequest(order_id=order_id, amount=12_000, currency="USD", customer_id=new_id("friend"), click_id=click_id)
    recorded = op("record_conversion").sync_detailed(client=storefront, body=purchase)
    assert recorded.status_code == 201, recorded.content
    assert isinstance(recorded.parsed, models.ConversionResult) and recorded.parsed.status == models.ConversionResultStatus.ATTRIBUTED

    run_rewards_job(local_mode, datetime.now(UTC) + timedelta(days=15))

    page = op("list_rewards").sync(client=admin, campaign_id=campaign_id)
    assert isinstance(page, models.RewardPage)
    [reward] = [r for r in page.rewards if r.advocate_id == advocate.advocate_id and r.recipient == models.RewardRecipient.ADVOCATE]
    assert (reward.status, reward.amount) == (models.RewardStatus.APPROVED, 1200)

    paid = op("fulfil_reward").sync(reward.reward_id, client=admin, body=models.Fulfilment(reference="payout-1"))
    assert isinstance(paid, models.Reward) and paid.status == models.RewardStatus.PAID and paid.reference == "payout-1"

    conflict = op("fulfil_reward").sync_detailed(reward.reward_id, client=admin, body=models.Fulfilment(reference="payout-2"))
    assert conflict.status_code == 409
    assert isinstance(conflict.parsed, models.ErrorEnvelope) and conflict.parsed.error.code and conflict.parsed.error.message

    missing = op("read_campaign").sync_detailed(new_id("absent"), client=admin)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.ErrorEnvelope)
