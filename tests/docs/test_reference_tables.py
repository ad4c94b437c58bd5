"""The reference tables of the docs say what the code does: every environment variable (README.md, held to
local/settings.py and shared/platform/settings.py), every cdk.json setting with its default (docs/deploying.md,
held to infra/config.py and cdk.json), and the monthly cost (docs/deploying.md, held to BENCHMARKS.md)."""

from __future__ import annotations

import dataclasses

import json
import re
from decimal import ROUND_HALF_UP, Decimal

from infra.config import StackConfig
from local.settings import LocalSettings, env_name
from shared.platform.settings import ENV_VARS, Settings
from tests.docs.blocks import ROOT

README = (ROOT / "README.md").read_text()
DEPLOYING = (ROOT / "docs" / "deploying.md").read_text()


def table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first Markdown table after `heading`, header and rule left out."""
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def code_of(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, f"the first column names one variable or setting in backticks: {cell!r}"
    return match.group(1)


def test_every_environment_variable_is_in_the_readme_table_once():
    rows = table_after(README, "### Environment variables")
    documented = [code_of(row[0]) for row in rows]
    local = {env_name(name) for name in LocalSettings.model_fields}
    functions = set(ENV_VARS.values())
    assert len(documented) == len(set(documented))
    assert set(documented) == local | functions | {"AWS_ENDPOINT_URL"}
    readers = {code_of(row[0]): row[2] for row in rows}
    for name in local:
        assert "local mode" in readers[name], name
    for name in functions:
        assert "functions" in readers[name], name


def test_the_readme_table_gives_each_default():
    defaults = {code_of(row[0]): row[1] for row in table_after(README, "### Environment variables")}
    for field, info in LocalSettings.model_fields.items():
        if info.default is not None:
            shown = f"{info.default:g}" if isinstance(info.default, float) else str(info.default)
            assert shown in defaults[env_name(field)], (field, defaults[env_name(field)])
    function_defaults = {f.name: f.default for f in dataclasses.fields(Settings)}  # a dataclass: no pydantic at a cold start
    for field, variable in ENV_VARS.items():
        default = function_defaults[field]
        if default not in (None, ()):
            assert str(default) in defaults[variable], (variable, defaults[variable])


def test_every_cdk_setting_is_documented_with_its_default():
    source = (ROOT / "infra" / "config.py").read_text()
    read = set(re.findall(r'"(wom:[A-Za-z]+)"', source))
    rows = {code_of(row[0]): row[1] for row in table_after(DEPLOYING, "## Settings (`cdk.json` context)")}
    assert set(rows) == read
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert {key for key in context if key.startswith("wom:")} <= read
    defaults = StackConfig()
    by_setting = {
        "wom:corsOrigins": "[]",
        "wom:rawEventRetentionDays": str(defaults.raw_event_retention_days),
        "wom:hotEventDays": str(defaults.hot_event_days),
        "wom:logLevel": defaults.log_level,
        "wom:throttleRateLimit": str(defaults.throttle_rate_limit),
        "wom:throttleBurstLimit": str(defaults.throttle_burst_limit),
        "wom:signedThrottleRateLimit": str(defaults.signed_throttle_rate_limit),
        "wom:signedThrottleBurstLimit": str(defaults.signed_throttle_burst_limit),
        "wom:adminThrottleRateLimit": str(defaults.admin_throttle_rate_limit),
        "wom:adminThrottleBurstLimit": str(defaults.admin_throttle_burst_limit),
        "wom:alarmEmail": "none",
        "wom:alarmTopicArn": "none",
        "wom:rewardEventArchiveDays": str(defaults.reward_event_archive_days),
        "wom:fallbackUrl": "none",
        "wom:publicBaseUrl": "none",
        "wom:removalPolicy": defaults.removal_policy,
    }
    assert set(by_setting) == read, "a new setting: say its default here and in docs/deploying.md"
    for setting, default in by_setting.items():
        assert default in rows[setting], (setting, rows[setting])


def test_the_monthly_cost_is_benchmarks_figure_times_the_traffic():
    """Per click: BENCHMARKS.md's request path and storage (its monitoring share is the fixed part here)."""
    benchmarks = (ROOT / "BENCHMARKS.md").read_text()
    budget_row = next(line for line in benchmarks.splitlines() if line.startswith("| Cost"))
    request_path, storage = re.search(r"of which \$(\d+\.\d+) on the request path(?: \([^)]*\))?,? (?:and )?\$(\d+\.\d+) storage", budget_row).groups()
    per_million = Decimal(request_path) + Decimal(storage)
    assert f"**${per_million} per million tracked clicks**" in DEPLOYING, "docs/deploying.md quotes BENCHMARKS.md's figure"
    assert f"(${request_path} and ${storage}:" in DEPLOYING
    fixed = Decimal(re.search(r"\*\*\$(\d+\.\d\d) a month\*\*", DEPLOYING).group(1))
    cents = Decimal("0.01")
    rows = table_after(DEPLOYING, "## What a month costs")
    assert len(rows) >= 3
    for clicks, variable, fixed_cell, total in rows:
        count = Decimal(clicks.replace(",", ""))
        expected = (count * Decimal(per_million) / 1_000_000).quantize(cents, ROUND_HALF_UP)
        assert variable == f"${expected:,}", clicks
        assert fixed_cell == f"${fixed}"
        assert total == f"${expected + fixed:,}", clicks
