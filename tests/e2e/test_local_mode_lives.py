"""Local mode a developer can live in: data kept across restarts (and --fresh to start empty), the demo links
again with `wom links`, and the rewards bus's events with `wom events tail`, all through the `wom` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, _free_port, local_mode_environment, start_local_mode, stop_local_mode
from tests.e2e.support import ADMIN_TOKEN, BROWSER_UA, new_id

pytestmark = pytest.mark.e2e


def wom(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "local.cli", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_restart_finds_the_campaign_it_created_and_fresh_starts_empty(tmp_path: Path):
    env = local_mode_environment(_free_port(), _free_port(), tmp_path / "data")
    campaign_id = new_id("kept")
    local = start_local_mode(env, tmp_path)
    try:
        created = wom(env, "campaigns", "create", campaign_id, "--name", "Kept", "--destination-url", "https://shop.example.com/", "--advocate-reward", "percent:10")
        assert created.returncode == 0, created.stderr
        enrolled = json.loads(wom(env, "advocates", "enrol", campaign_id, "cust-kept").stdout)
    finally:
        assert stop_local_mode(local) == 0
    assert "Saved " in local.stdout_path.read_text()
    assert (tmp_path / "data" / "dynamodb" / "wom-referrals.jsonl").exists()

    again = start_local_mode(env, tmp_path)
    try:
        listed = json.loads(wom(env, "campaigns", "list", "--all").stdout)
        assert campaign_id in [c["campaign_id"] for c in listed["campaigns"]]
        found = json.loads(wom(env, "advocates", "get", "--campaign", campaign_id, "--customer-id", "cust-kept").stdout)
        assert found["code"] == enrolled["code"]
        # The kept code still leads where it did, and the demo's advocates are the ones from before.
        redirect = requests.get(f"{again.base_url}/r/{enrolled['code']}", headers={"User-Agent": BROWSER_UA}, allow_redirects=False, timeout=10)
        assert (redirect.status_code, redirect.headers["Location"].split("?")[0]) == (302, "https://shop.example.com/")
        links = wom(env, "links")
        assert links.returncode == 0, links.stderr
        assert all(name in links.stdout for name in ("alice", "bob", "carol")) and "curl -si -A 'Mozilla/5.0" in links.stdout
    finally:
        assert stop_local_mode(again) == 0

    fresh = start_local_mode(env, tmp_path, "--fresh")
    try:
        assert "Starting empty (--fresh)" in fresh.stdout_path.read_text()
        missing = wom(env, "campaigns", "get", campaign_id)
        assert missing.returncode == 1 and json.loads(missing.stderr)["error"]["code"] == "campaign_not_found"
    finally:
        assert stop_local_mode(fresh) == 0


def test_events_tail_prints_what_the_rewards_bus_received(local_mode, admin, campaign, advocate):
    env = {**os.environ, "WOM_EMULATOR_PORT": local_mode.endpoint_url.rsplit(":", 1)[1], "WOM_API_URL": local_mode.base_url, "WOM_ADMIN_TOKEN": ADMIN_TOKEN}
    env.pop("AWS_ENDPOINT_URL", None)
    wom(env, "events", "tail")  # what earlier tests left on the bus
    from tests.e2e.support import SIGNING_SECRET

    order_id = new_id("tail")
    sent = wom({**env, "WOM_SIGNING_SECRET": SIGNING_SECRET}, "send", "conversion", "--order-id", order_id, "--amount", "10000", "--customer-id", new_id("friend"), "--referral-code", advocate.code)
    assert sent.returncode == 0, sent.stderr
    conversion_id = json.loads(sent.stdout)["conversion_id"]
    assert wom(env, "jobs", "run", "rewards").returncode == 0
    assert wom(env, "jobs", "run", "rewards", "--now", "2099-01-01T00:00:00Z").returncode == 0
    tailed = wom(env, "events", "tail")
    assert tailed.returncode == 0, tailed.stderr
    events = [json.loads(line) for line in tailed.stdout.splitlines()]
    ours = [e for e in events if e["detail"]["conversion_id"] == conversion_id]
    assert sorted((e["detail-type"], e["detail"]["recipient"]) for e in ours) == [("RewardApproved", "advocate"), ("RewardApproved", "friend")]
    assert {e["source"] for e in ours} == {"wom.rewards"}
    assert wom(env, "events", "tail").stdout == ""  # each event is printed once


def test_the_printed_curl_examples_run_and_their_click_and_view_count(local_mode, storage):
    """`wom run` and `wom links` print curl commands with a browser's user agent: pasted, each succeeds, and the
    click and the email open they make are counted, not flagged as bots (curl's own agent would be)."""
    env = {**os.environ, "WOM_API_URL": local_mode.base_url, "WOM_ADMIN_TOKEN": ADMIN_TOKEN}
    printed = wom(env, "links").stdout
    commands = [line.strip() for line in printed.splitlines() if line.strip().startswith("curl ")]
    assert len(commands) >= 4
    code = printed.split("/r/", 1)[1].split()[0]
    before = {(item["kind"], item["id"]) for item in storage.events(code)}
    for command in commands:
        ran = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0 and not ran.stdout.startswith('{"error"'), (command, ran.stdout[:500], ran.stderr)
    new = [item for item in storage.events(code) if (item["kind"], item["id"]) not in before]
    assert {item["kind"] for item in new} >= {"click", "view", "share"}
    assert all(item["bot"] is False for item in new if item["kind"] in ("click", "view")), new
