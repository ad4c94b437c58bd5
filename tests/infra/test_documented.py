"""What docs/deploying.md says of the stack is the stack: every output is in its table."""

from __future__ import annotations

import re

from tests.infra.conftest import REPO_ROOT, Synthesized


def test_every_output_is_documented(synthesized: Synthesized) -> None:
    text = (REPO_ROOT / "docs" / "deploying.md").read_text()
    section = text[text.index("## The stack's outputs") : text.index("## Administering")]
    documented = set(re.findall(r"`([A-Za-z]+)`", section))
    assert set(synthesized.template_json["Outputs"]) <= documented


def test_the_fixed_monthly_cost_is_the_templates_monitoring_and_secrets(synthesized: Synthesized) -> None:
    """docs/deploying.md's fixed monthly cost: the monitoring as `make bench` prices it from this template, and the
    secrets at Secrets Manager's $0.40 a month each."""
    from bench.cost import monitoring_per_month
    from bench.stack import monitoring_from_template

    text = (REPO_ROOT / "docs" / "deploying.md").read_text()
    monitoring = monitoring_per_month(monitoring_from_template(synthesized.template_json))
    secrets = 0.40 * len(synthesized.resources("AWS::SecretsManager::Secret"))
    assert f"**${monitoring + secrets:.2f} a month**" in text
    assert f"monitoring (${monitoring:.2f}:" in text and f"secrets (${secrets:.2f})" in text
