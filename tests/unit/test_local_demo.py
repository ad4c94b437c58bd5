"""Local mode's demo shop page: the committed template, filled with the demo advocate's code, link and token."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from html.parser import HTMLParser

from local.demo import DEMO_PATH, demo_pages


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


def test_the_demo_page_has_the_script_tag_a_share_block_and_an_advocates_page():
    advocate = {"code": "k7mq2xw9ab", "link": "http://127.0.0.1:8000/r/k7mq2xw9ab", "status_token": "st1.adv_x.1.mac", "advocate_id": "adv_x"}
    pages = demo_pages(advocate, "alice")
    html = pages[DEMO_PATH].body.decode()
    found = elements(html)
    # wom.js from local mode's own origin, as a store's pages include it from wom's.
    assert ("script", {"src": "/wom.js", "defer": None}) in found
    [share] = [attrs for tag, attrs in found if "data-wom-share" in attrs]
    assert (share["data-wom-share"], share["data-wom-link"]) == ("k7mq2xw9ab", advocate["link"])
    [page] = [attrs for tag, attrs in found if "data-wom-advocate" in attrs]
    assert page["data-wom-advocate"] == "st1.adv_x.1.mac"
    assert not re.search(r"\$\{?\w+\}?", html.replace("$5", "").replace("$(", "").replace('"$WOM_CLICK"', "")), "every placeholder filled"
    assert pages[f"{DEMO_PATH}/wom-example.css"].content_type.startswith("text/css")


def test_what_goes_into_the_page_is_escaped():
    advocate = {"code": '"><script>', "link": "http://x/r/a", "status_token": "t"}
    html = demo_pages(advocate, "<b>eve</b>")[DEMO_PATH].body.decode()
    assert "<script>" not in html.replace('<script src="/wom.js" defer></script>', "") and "<b>eve</b>" not in html


def commands(html: str) -> list[str]:
    """The text of every <code> on the page, as a reader copies it."""
    return [unescape(text) for text in re.findall(r"<code>(.*?)</code>", html, re.S)]


def test_every_command_on_the_page_is_safe_to_paste():
    advocate = {"code": "k7mq2xw9ab", "link": "http://127.0.0.1:8000/r/k7mq2xw9ab", "status_token": "t"}
    html = demo_pages(advocate, "alice")[DEMO_PATH].body.decode()
    shown = commands(html)
    # No `<placeholder>` to fill in: pasted into a shell, < and > are redirections.
    for text in shown:
        assert "<" not in text and ">" not in text, text
    [block] = [text for text in shown if "wom send conversion" in text]
    follow, report = block.split("\n")
    assert follow.startswith("WOM_CLICK=$(curl ") and f"'{advocate['link']}'" in follow
    assert report.startswith(".venv/bin/wom send conversion ") and report.endswith('--click-id "$WOM_CLICK"')
    # Both lines parse as shell, and the first one's sed keeps exactly the click id of a landing address.
    assert subprocess.run(["bash", "-n", "-c", block], check=False).returncode == 0
    sed = follow.split("| ", 1)[1].removesuffix(")")
    landed = "https://shop.example.com/welcome?utm_source=wom&wom_click=k7mq2xw9ab.2611201000.Ab3dEf6hIj7kLm9n#signup"
    kept = subprocess.run(["sh", "-c", sed], input=landed, capture_output=True, text=True, check=True).stdout.strip()
    assert kept == "k7mq2xw9ab.2611201000.Ab3dEf6hIj7kLm9n"
