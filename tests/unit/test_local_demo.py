"""Local mode's demo shop page: the committed template, filled with the demo advocate's code, link and token."""

from __future__ import annotations

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
    assert "$" not in html.replace("$5", ""), "every placeholder filled"
    assert pages[f"{DEMO_PATH}/wom-example.css"].content_type.startswith("text/css")


def test_what_goes_into_the_page_is_escaped():
    advocate = {"code": '"><script>', "link": "http://x/r/a", "status_token": "t"}
    html = demo_pages(advocate, "<b>eve</b>")[DEMO_PATH].body.decode()
    assert "<script>" not in html.replace('<script src="/wom.js" defer></script>', "") and "<b>eve</b>" not in html
