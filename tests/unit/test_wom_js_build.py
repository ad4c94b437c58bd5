"""The served wom.js is the committed build of web/*.js, and it keeps SPEC §8's size budget."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.script_size import BUDGET_BYTES, BUILT, FILES, measure_script_size

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_build_is_what_a_fresh_build_of_the_sources_gives(tmp_path: Path):
    node = shutil.which("node")
    assert node, "node is needed to build wom.js (make install brings terser into node_modules)"
    assert (ROOT / "node_modules" / "terser").is_dir(), "run `make install`: terser is pinned in package.json"
    done = subprocess.run([node, str(ROOT / "web" / "build.mjs"), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name, *_ in FILES:
        fresh, committed = (tmp_path / name).read_bytes(), (BUILT / name).read_bytes()
        assert fresh == committed, f"{BUILT / name} is stale: run `make wom-js` and commit it"


@pytest.mark.parametrize("name", [name for name, *_ in FILES])
def test_the_build_has_no_eval_and_no_inline_style(name: str):
    # What a CSP that allows wom's origin by name would still refuse.
    code = (BUILT / name).read_text()
    for refused in ("eval(", "new Function", ".style", "innerHTML", "setAttribute(\"style\""):
        assert refused not in code, refused


def test_every_page_pays_at_most_2_kb_gzipped():
    size = measure_script_size()
    assert size.every_page.gzipped_bytes <= BUDGET_BYTES == 2048, size
    assert size.met
