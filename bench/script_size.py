"""wom.js against SPEC §8's budget (≤ 2 KB gzipped): what every storefront page pays, and what an advocate's page adds.

The figures are of the committed builds in shared/tracking/static (terser output of web/*.js, rebuilt by `make wom-js`;
tests/unit/test_wom_js_build.py fails when they differ from a fresh build): raw bytes, and gzip at level 9 with no
file name or time in its header, which is what a browser downloads when the response is gzip-encoded.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from bench.environment import REPO_ROOT

BUILT = REPO_ROOT / "shared" / "tracking" / "static"
BUDGET_BYTES = 2048
# (built file, where it is served, which pages load it)
FILES = (
    ("wom.min.js", "GET /wom.js", "every page with the snippet"),
    ("wom-advocate.min.js", "GET /wom-advocate.js", "only a page with `<div data-wom-advocate>`, loaded by wom.js"),
)


@dataclass(frozen=True)
class ScriptFile:
    name: str
    route: str
    loaded_by: str
    raw_bytes: int
    gzipped_bytes: int


@dataclass(frozen=True)
class ScriptSize:
    files: tuple[ScriptFile, ...]
    budget_bytes: int = BUDGET_BYTES

    def file(self, name: str) -> ScriptFile:
        return next(f for f in self.files if f.name == name)

    @property
    def every_page(self) -> ScriptFile:
        return self.file("wom.min.js")

    @property
    def met(self) -> bool:
        return self.every_page.gzipped_bytes <= self.budget_bytes


def measure_script_size() -> ScriptSize:
    files = []
    for name, route, loaded_by in FILES:
        data = (BUILT / name).read_bytes()
        files.append(ScriptFile(name, route, loaded_by, len(data), len(gzip.compress(data, compresslevel=9, mtime=0))))
    return ScriptSize(tuple(files))


def budget_row(size: ScriptSize) -> tuple[str, str, str]:
    """(budget, measured, verdict) for the report's budget table."""
    main, advocate = size.every_page, size.file("wom-advocate.min.js")
    return (
        f"`wom.js` ≤ {size.budget_bytes:,} B gzipped; a page that loads it makes no request to wom until it records something",
        f"**{main.gzipped_bytes:,} B** gzipped ({main.raw_bytes:,} B raw), {main.gzipped_bytes / size.budget_bytes:.0%} of the budget; "
        f"an advocate's page also loads `wom-advocate.js`, {advocate.gzipped_bytes:,} B gzipped. No request before a record: "
        "tests/browser/test_landing.py",
        "met" if size.met else "missed",
    )


def section(size: ScriptSize, add) -> None:  # noqa: ANN001 - add is the report's line appender
    add("## 7. The storefront script\n")
    from bench.report import _table  # here, not at the top: bench.report imports this module

    add("**Method.** " + " ".join(__doc__.split("\n\n", 1)[1].split()) + "\n")
    rows = [[f"`{f.name}`", f"`{f.route}`", f.loaded_by, f"{f.raw_bytes:,} B", f"**{f.gzipped_bytes:,} B**"] for f in size.files]
    add(_table(["file", "served as", "loaded by", "raw", "gzipped"], rows))
    total = sum(f.gzipped_bytes for f in size.files)
    add(
        f"\nEvery storefront page pays {size.every_page.gzipped_bytes:,} B of the {size.budget_bytes:,} B budget; the "
        f"advocate's page, the one page that must ask wom for something before anything is recorded, pays {total:,} B in all.\n"
    )
