"""One synthesis of the real app (with its cdk-nag checks) for the whole session; bundling skipped.

A synthesis costs about 10 s, so every infra test reads this one template. Bundling is skipped with the
`aws:cdk:bundling-stacks` context; the bundled path is covered by test_cli_synth and the deploy rehearsal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass
class Synthesized:
    stack: Any  # infra.stack.WomStack
    template: Any  # aws_cdk.assertions.Template
    template_json: dict[str, Any]
    template_path: Path
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template_json["Resources"].items()
            if resource["Type"] == resource_type
        }

    def logical_id(self, resource_type: str, prefix: str) -> str:
        """The one resource of that type whose logical id starts with its construct path (e.g. StorageEventsTable)."""
        (logical_id,) = [logical_id for logical_id in self.resources(resource_type) if logical_id.startswith(prefix)]
        return logical_id


def cdk_json_context() -> dict[str, Any]:
    """The context the CLI would pass (feature flags and wom:* settings), so tests synthesize the same stack."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    from aws_cdk.assertions import Template

    from infra.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    assembly = app.synth()  # raises if cdk-nag reports any unacknowledged finding
    template_path = Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path)
    yield Synthesized(
        stack=stack,
        template=Template.from_stack(stack),
        template_json=json.loads(template_path.read_text()),
        template_path=template_path,
        outdir=outdir,
    )
