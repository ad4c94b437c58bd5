"""Every shell and Python example in README.md and docs/*.md runs as written (see tests/docs/blocks.py for how a
block says it needs local mode, is for a deployed stack, or cannot run here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.blocks import Block, all_blocks, base_environment, blocks_of, local_text, run_block
from tests.e2e.conftest import _free_port, start_local_mode, stop_local_mode

pytestmark = pytest.mark.e2e

BLOCKS = [block for block in all_blocks() if block.runs or block.problem]
RUNNABLE = [block for block in BLOCKS if block.mode in ("standalone", "local") and not block.problem]


@pytest.fixture(scope="module")
def docs_local_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A `wom run` as a reader starts it (default tokens and secrets), on free ports, with fresh data."""
    logs = tmp_path_factory.mktemp("docs-wom-run")
    api_port, emulator_port = _free_port(), _free_port()
    environment = base_environment({"WOM_PORT": str(api_port), "WOM_EMULATOR_PORT": str(emulator_port), "WOM_DATA_DIR": str(logs / "data"), "PYTHONUNBUFFERED": "1"})
    local = start_local_mode(environment, logs, "--fresh")
    try:
        yield environment
    finally:
        assert stop_local_mode(local) == 0


def test_every_block_is_declared_properly():
    assert [(block.id, block.problem) for block in BLOCKS if block.problem] == []


def test_the_harness_reads_directives_languages_and_indented_fences(tmp_path: Path):
    document = tmp_path / "doc.md"
    document.write_text(
        "<!-- doc-test: local -->\n```sh\ncurl -s http://127.0.0.1:8000/openapi.json\n```\n\n"
        "- a list item:\n\n  <!-- doc-test: skip: shows one call of the reader's own program -->\n  ```python\n  client.call()\n  ```\n\n"
        "```\nmake run\n```\n\n<!-- doc-test: maybe -->\n```bash\ntrue\n```\n\n<!-- doc-test: skip -->\n```sh\ntrue\n```\n\n```json\n{}\n```\n"
    )
    blocks = list(blocks_of(document, tmp_path))
    assert [(b.line, b.language, b.mode, b.reason) for b in blocks] == [
        (2, "sh", "local", None),
        (9, "python", "skip", "shows one call of the reader's own program"),
        (13, "", "standalone", None),
        (18, "bash", "standalone", None),
        (23, "sh", "skip", None),
        (27, "json", "standalone", None),
    ]
    assert blocks[1].code == "client.call()\n"
    assert [bool(b.problem) for b in blocks] == [False, False, True, True, True, False]
    assert local_text(blocks[0].code, 9100, 9200) == "curl -s http://127.0.0.1:9100/openapi.json\n"


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.id for block in RUNNABLE])
def test_example_runs_as_written(block: Block, request: pytest.FixtureRequest):
    if block.mode == "local":
        environment = request.getfixturevalue("docs_local_mode")
        code = local_text(block.code, int(environment["WOM_PORT"]), int(environment["WOM_EMULATOR_PORT"]))
    else:
        environment, code = base_environment({}), block.code
    outcome = run_block(block, code, environment)
    assert outcome.failure is None, f"{block.id} ({block.language}, {block.mode}) {outcome.failure}:\n{code}\n--- output ---\n{outcome.output[-4000:]}"
