"""Local mode's demo shop page (`wom run` prints its URL): the share block and an advocate's page drawn by wom.js, from
local mode's own origin, against the demo campaign. Local mode only: a deployed stack serves no pages."""

from __future__ import annotations

from html import escape
from pathlib import Path
from string import Template

from local.gateway import LocalPage
from local.send import send_signed

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().with_name("demo.html")
EXAMPLE_CSS = ROOT / "web" / "wom-example.css"
DEMO_PATH = "/demo"


class DemoError(Exception):
    pass


def enrol_from_the_shop(base_url: str, signing_secret: str, campaign_id: str, customer_id: str) -> dict:
    """What a shop's backend does for its customer's account page: the signed enrolment (SPEC §3.6)."""
    response = send_signed(base_url, "/v1/enrolments", {"campaign_id": campaign_id, "customer_id": customer_id}, signing_secret.split(",")[0])
    if response.status_code not in (200, 201):
        raise DemoError(f"POST /v1/enrolments: {response.status_code} {response.text[:200]}")
    return response.json()


def demo_pages(advocate: dict, customer_id: str) -> dict[str, LocalPage]:
    """The page (with this advocate's code, link and status token) and the example stylesheet it uses."""
    values = {name: escape(str(advocate[name])) for name in ("code", "link", "status_token")}
    html = Template(TEMPLATE.read_text()).substitute(values, customer_id=escape(customer_id))
    return {
        DEMO_PATH: LocalPage("text/html; charset=utf-8", html.encode()),
        f"{DEMO_PATH}/wom-example.css": LocalPage("text/css; charset=utf-8", EXAMPLE_CSS.read_bytes()),
    }
