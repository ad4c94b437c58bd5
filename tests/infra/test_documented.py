"""What docs/deploying.md says of the stack is the stack: every output is in its table."""

from __future__ import annotations

import re

from tests.infra.conftest import REPO_ROOT, Synthesized


def test_every_output_is_documented(synthesized: Synthesized) -> None:
    text = (REPO_ROOT / "docs" / "deploying.md").read_text()
    section = text[text.index("## The stack's outputs") : text.index("## Administering")]
    documented = set(re.findall(r"`([A-Za-z]+)`", section))
    assert set(synthesized.template_json["Outputs"]) <= documented
