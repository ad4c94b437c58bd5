"""The CDK runs on the Node.js that package.json pins (22, from the npm registry's `node` package), through the
Makefile and through npx, even where the machine's own Node is older."""

from __future__ import annotations

import json
import os
import subprocess

from tests.infra.conftest import REPO_ROOT


def pinned_node() -> str:
    return json.loads((REPO_ROOT / "package.json").read_text())["dependencies"]["node"]


def test_node_22_is_pinned_exactly() -> None:
    assert pinned_node().startswith("22.") and pinned_node().replace(".", "").isdigit()


def test_make_and_npx_run_the_pinned_node_whatever_is_on_the_path() -> None:
    # A PATH with only the system's directories: the machine's Node (if any), not the project's.
    environment = {**os.environ, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    made = subprocess.run(["make", "-s", "--no-print-directory", "node-version"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == f"v{pinned_node()}"
    through_npx = subprocess.run(["npx", "--no-install", "-c", "node --version"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert through_npx.stdout.strip() == f"v{pinned_node()}", through_npx.stderr
