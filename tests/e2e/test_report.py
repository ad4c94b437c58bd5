"""`wom simulate`, `wom jobs run` and `wom report` as a person runs them against local mode, checked against the
metrics objects in the emulator's bucket."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from local.report import conversion_step, money, percent, ratio
from shared.platform.resources import DAILY_METRICS_PREFIX, METRICS_BUCKET
from shared.metrics.daily import rate
from tests.e2e.support import ADMIN_TOKEN, DESTINATION, SIGNING_SECRET, Api, LocalMode, Storage, new_id

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def wom(local_mode: LocalMode, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))} | {
        "WOM_PORT": local_mode.base_url.rsplit(":", 1)[1],
        "WOM_EMULATOR_PORT": local_mode.endpoint_url.rsplit(":", 1)[1],
        "WOM_ADMIN_TOKEN": ADMIN_TOKEN,
        "WOM_SIGNING_SECRET": SIGNING_SECRET,
    }
    return subprocess.run([sys.executable, "-m", "local.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def counted(output: str, label: str) -> int:
    """The count on the summary line that starts with `label`."""
    match = re.search(rf"^\s+{re.escape(label)}.*\s(\d+)\s*$", output, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return int(match.group(1))


def printed_totals(output: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\S.*?)\s{2,}(\S.*)$", output, re.MULTILINE)}


def campaign_objects(storage: Storage, campaign_id: str) -> list[dict]:
    prefix = f"{DAILY_METRICS_PREFIX}campaign_id={campaign_id}/"
    listing = storage.s3.list_objects_v2(Bucket=METRICS_BUCKET.local_name, Prefix=prefix).get("Contents", [])
    return [json.loads(storage.s3.get_object(Bucket=METRICS_BUCKET.local_name, Key=entry["Key"])["Body"].read()) for entry in listing]


def test_simulated_traffic_reaches_the_report_as_the_metrics_objects_count_it(admin: Api, storage: Storage, local_mode: LocalMode, tmp_path: Path):
    campaign_id = new_id("report")
    created = admin.post("/v1/campaigns", json={
        "campaign_id": campaign_id, "name": "Report campaign", "destination_url": DESTINATION, "currency": "EUR",
        "rewards": {"advocate": {"type": "percent", "value": 10}, "friend": {"type": "flat", "value": 500}},
    })
    assert created.status_code == 201, created.text

    simulated = wom(local_mode, "simulate", "--campaign", campaign_id, "--advocates", "3", "--friends-per-advocate", "4", "--seed", "11")
    assert simulated.returncode == 0, simulated.stderr
    assert f"simulating {campaign_id}" in simulated.stderr and "req" in simulated.stderr  # tqdm's bar, on stderr
    sent = simulated.stdout
    statuses = dict(re.findall(r"(\w+) (\d+)", sent.split("as wom attributed them:", 1)[1].splitlines()[0]))

    for job in ("rewards", "metrics"):  # rewards first, so the metrics count them and the scheduler changes nothing after
        done = wom(local_mode, "jobs", "run", job)
        assert done.returncode == 0, done.stderr

    out = tmp_path / "pictures" / "report.png"
    reported = wom(local_mode, "report", "--campaign", campaign_id, "--out", str(out))
    assert reported.returncode == 0, reported.stderr
    assert f"wrote {out.resolve()}" in reported.stdout
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] > 1000
        image.load()

    objects = campaign_objects(storage, campaign_id)
    assert objects, "the metrics job wrote no object for the campaign"
    total = {name: sum(o[name] for o in objects) for name in (
        "shares", "clicks", "bot_clicks", "conversions", "unattributed_conversions", "new_referred_customers",
        "sharing_advocates", "revenue", "rewards_created", "rewards_amount", "refunded_amount",
    )}
    # What the simulation did, as the pipeline counted it.
    assert total["clicks"] == counted(sent, "friends' clicks"), "each friend is one visitor; repeats within the hour count once"
    assert total["bot_clicks"] == counted(sent, "link-preview bots") > 0, "previews are flagged, not clicks; HEADs are not recorded"
    assert total["conversions"] == int(statuses["attributed"]) + int(statuses.get("not_first_purchase", 0)) > 0
    assert int(statuses["self_referral"]) >= 1 and total["unattributed_conversions"] >= int(statuses["unattributed"])
    assert total["shares"] > 0 and total["refunded_amount"] > 0 and total["rewards_created"] > 0

    # What the report printed is the sum of those objects, money in the campaign's currency.
    shown = printed_totals(reported.stdout)
    for label, name in (("shares", "shares"), ("clicks", "clicks"), ("bot clicks (excluded)", "bot_clicks"),
                        ("conversions", "conversions"), ("unattributed conversions", "unattributed_conversions"),
                        ("rewards created", "rewards_created")):
        assert shown[label] == f"{total[name]:,}", label
    assert shown["revenue"] == money(total["revenue"], "EUR") and shown["revenue"].startswith("EUR")
    assert shown["rewards amount"] == money(total["rewards_amount"], "EUR")
    assert shown["click to conversion rate"] == conversion_step(rate(total["conversions"], total["clicks"]))
    assert shown["referral rate"] == percent(rate(total["conversions"], total["conversions"] + total["unattributed_conversions"]))
    assert shown["k-factor"] == ratio(rate(total["new_referred_customers"], total["sharing_advocates"]))


def test_a_report_without_metrics_says_so_and_fails(local_mode: LocalMode, tmp_path: Path):
    out = tmp_path / "none.png"
    done = wom(local_mode, "report", "--campaign", new_id("nothing"), "--out", str(out))
    assert done.returncode == 1
    assert "no metrics for campaign" in done.stderr and "wom jobs run metrics" in done.stderr
    assert not out.exists()


def test_simulating_a_campaign_that_does_not_exist_stops_with_a_clear_message(local_mode: LocalMode):
    done = wom(local_mode, "simulate", "--campaign", new_id("nothing"), "--advocates", "1", "--quiet")
    assert done.returncode == 1
    assert "there is no campaign" in done.stderr
