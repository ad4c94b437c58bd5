"""Rules are pure (GUIDE: the house by feature): no rules module reaches AWS, a repository or the DynamoDB helpers,
directly or through anything it imports from wom's own packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The modules that decide: what an event, a conversion, a reward or a day's metrics become.
RULE_MODULE_NAMES = ("rules.py", "attribution.py", "daily.py", "cohorts.py")
FORBIDDEN = ("boto3", "botocore", "shared.platform.dynamo", "shared.wiring")


def rule_modules() -> list[str]:
    paths = [p for name in RULE_MODULE_NAMES for p in (ROOT / "shared").rglob(name)]
    return sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in paths)


def _module_path(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(module: str) -> set[str]:
    path = _module_path(module)
    if path is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            # `from shared.platform import keys` imports the module shared.platform.keys
            found |= {f"{node.module}.{alias.name}" for alias in node.names if _module_path(f"{node.module}.{alias.name}")}
    return found


def impure_imports(module: str) -> dict[str, str]:
    """Each forbidden module reached from `module`, with the wom module that imports it."""
    seen: set[str] = set()
    pending = [module]
    offences: dict[str, str] = {}
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for imported in _imports(current):
            if imported.startswith(FORBIDDEN) or imported.split(".")[-1] == "repository":
                offences.setdefault(imported, current)
            elif imported.startswith("shared."):
                pending.append(imported)
    return offences


def test_there_are_rules_modules_to_check():
    modules = rule_modules()
    assert {"shared.tracking.rules", "shared.rewards.rules", "shared.conversions.attribution", "shared.metrics.daily"} <= set(modules)


@pytest.mark.parametrize("module", rule_modules())
def test_a_rules_module_imports_no_storage(module: str):
    assert impure_imports(module) == {}


def test_the_check_sees_storage_reached_through_another_module():
    # The tracking service writes events: it is not pure, and the check must say so and through what.
    offences = impure_imports("shared.tracking.service")
    assert offences["shared.tracking.repository"] == "shared.tracking.service"
    assert offences["shared.platform.dynamo"] in ("shared.tracking.salts", "shared.campaigns.targets")
