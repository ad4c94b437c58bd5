"""wom.js in a real browser: Debian's Chromium (installed here when missing), one for the session, driven by Selenium.

A shop's pages are served from 127.0.0.1 and wom.js from `localhost`, a different site, so "first-party" means
something: from local mode itself (GET /wom.js, which serves the committed build) where a test needs wom, or from a
stand-in that serves the same build and logs every request it gets, where a test must see that nothing was sent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

# local mode and the e2e fixtures around it (each conftest gets its own session instance of them)
from tests.e2e.conftest import (  # noqa: F401
    admin,
    advocate,
    api,
    campaign,
    local_mode,
    new_advocate,
    no_handler_failures,
    pytest_runtest_makereport,
    storage,
)
from tests.browser.support import BUILT, EXAMPLE_CSS, Site, serve_file
from tests.e2e.support import LocalMode

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# Known to work on these machines: without the background-networking flags Chromium keeps dialling out of a closed network.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1000,800", "--lang=en-US",
    # A shopper's browser: headless Chromium's own agent names it HeadlessChrome, which wom rightly flags as a bot.
    "--user-agent=Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
)
# Records what the page asks window.open for, instead of leaving for share pages this machine cannot reach.
RECORD_WINDOW_OPEN = "window.__opened = []; window.open = (...args) => { window.__opened.push(args); return null; };"


def _install_chromium() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("the browser tests need Debian's chromium and chromium-driver: apt-get install -y chromium chromium-driver")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    _install_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # A Service with the driver's path: Selenium Manager never tries to download one.
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    chrome.set_page_load_timeout(30)
    yield chrome
    chrome.quit()


@pytest.fixture(scope="session")
def shop_site() -> Iterator[Site]:
    site = Site("127.0.0.1")
    site.route("GET", "/wom-example.css", serve_file(EXAMPLE_CSS, "text/css"))
    site.keep_routes()
    yield site
    site.close()


@pytest.fixture(scope="session")
def wom_site() -> Iterator[Site]:
    """Serves the committed build where wom will (/wom.js), and stands in for wom's API where a test needs to see requests."""
    site = Site("localhost")
    site.route("GET", "/wom.js", serve_file(BUILT / "wom.min.js", "application/javascript"))
    site.route("GET", "/wom-advocate.js", serve_file(BUILT / "wom-advocate.min.js", "application/javascript"))
    site.keep_routes()
    yield site
    site.close()


@dataclass
class Browser:
    """The session's Chromium, with the pages of one test."""

    driver: webdriver.Chrome
    shop: Site
    wom: Site
    local: str  # local mode's origin, as a browser names it (http://localhost:<port>)
    _scripts: list[str]

    def script_tag(self, origin: str | None = None, api: str | None = None, consent: str | None = None) -> str:
        """wom.js from `origin` (default: the stand-in), optionally naming another API (data-wom-api)."""
        attributes = (f' data-wom-api="{api}"' if api else "") + (f' data-wom-consent="{consent}"' if consent else "")
        return f'<script src="{origin or self.wom.origin}/wom.js" defer{attributes}></script>'

    def local_script_tag(self, consent: str | None = None) -> str:
        """wom.js as a store includes it: from wom's own origin (local mode), which is then its API too."""
        return self.script_tag(origin=self.local, consent=consent)

    def open(self, url: str) -> None:
        self.driver.get(url)
        # wom.js is deferred: it has run once the document is complete.
        self.js("return window.wom !== undefined") or pytest.fail(f"wom.js did not load on {url}")

    def js(self, source: str, *args: object) -> object:
        return self.driver.execute_script(source, *args)

    def before_every_page(self, source: str) -> None:
        """Runs `source` in each new document before its own scripts (undone after the test)."""
        added = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        self._scripts.append(added["identifier"])

    def allow_clipboard(self) -> None:
        self.driver.execute_cdp_cmd(
            "Browser.grantPermissions",
            {"origin": self.shop.origin, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
        )

    def clipboard(self) -> str:
        return self.driver.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('error: ' + e))")

    def cookies(self) -> list[dict]:
        """Every cookie the browser holds, for any site."""
        return self.driver.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]

    def local_storage(self) -> dict[str, str]:
        return self.js("return Object.fromEntries(Object.entries(localStorage))")

    def opened(self) -> list[list]:
        return self.js("return window.__opened")


def local_origin(local_mode: LocalMode) -> str:
    return local_mode.base_url.replace("127.0.0.1", "localhost")


@pytest.fixture
def browser(driver: webdriver.Chrome, shop_site: Site, wom_site: Site, local_mode: LocalMode) -> Iterator[Browser]:
    """A clean browser for each test: no cookies, storage or scripts of an earlier test; both sites back to their own routes."""
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    for origin in (shop_site.origin, wom_site.origin, local_origin(local_mode)):
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    driver.execute_cdp_cmd("Browser.resetPermissions", {})
    shop_site.reset()
    wom_site.reset()
    scripts: list[str] = []
    yield Browser(driver, shop_site, wom_site, local_origin(local_mode), scripts)
    for identifier in scripts:
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier})
