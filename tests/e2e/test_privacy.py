"""Nothing stored holds a raw IP address, user agent or email (SPEC §6), read straight from the emulator."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.support import Api, LocalMode, Storage

pytestmark = pytest.mark.e2e

SPOOFED_IP = "203.0.113.77"


def test_no_raw_ip_user_agent_or_email_is_stored_anywhere(api: Api, storage: Storage, local_mode: LocalMode, new_advocate):
    marker = uuid.uuid4().hex[:12]
    email = f"Privacy.Person-{marker}@Example.com"
    user_agent = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 privacy-{marker}"
    bot_agent = f"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com) privacy-{marker}"
    local_mode.sensitive |= {email, email.lower(), user_agent, bot_agent, SPOOFED_IP}

    advocate = new_advocate(email=email)
    headers = {"User-Agent": user_agent, "X-Forwarded-For": SPOOFED_IP, "X-Real-IP": SPOOFED_IP}
    assert api.get(advocate.path, headers=headers).status_code == 302
    assert api.get(advocate.path, headers={"User-Agent": bot_agent}).status_code == 302
    assert api.get(f"/p.gif?t=share&c={advocate.code}&ch=email", headers=headers).status_code == 200
    response = api.post(
        "/v1/events",
        json={"events": [{"type": "view", "code": advocate.code}, {"type": "click", "code": advocate.code}]},
        headers=headers,
    )
    assert response.json()["accepted"] == 2
    assert len(storage.events(advocate.code)) >= 4, "the traffic above must have been recorded"

    stored = storage.everything()
    assert any(stored.values())
    leaks = [
        (place, secret, item[:300])
        for place, items in stored.items()
        for item in items
        for secret in local_mode.sensitive
        if secret.lower() in item.lower()
    ]
    assert leaks == []
