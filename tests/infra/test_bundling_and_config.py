"""Local bundling inputs (no Docker) and the context the stack reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from aws_cdk import App

from infra.bundling import (
    LAYER_PLATFORM,
    LAYER_PYTHON_VERSION,
    CopyAppCode,
    app_code_files,
    app_code_hash,
    layer_hash,
    layer_requirements,
    pip_install_command,
)
from infra.config import StackConfig
from infra.constructs.functions import ARCHITECTURE, RUNTIME
from infra.permissions import ACCESS, access_for
from shared.platform.deployment import FUNCTIONS
from tests.infra.conftest import cdk_json_context


def fake_repo(root: Path) -> Path:
    for relative, content in {
        "functions/__init__.py": "",
        "functions/tracking/handler.py": "def lambda_handler(event, context): ...\n",
        "functions/tracking/__pycache__/handler.cpython-311.pyc": "bytecode",
        "shared/definitions.py": "TABLES = ()\n",
        "shared/stale.pyc": "bytecode",
        "local/cli.py": "not part of the Lambda code\n",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    return root


def test_code_asset_holds_functions_and_shared_without_bytecode(tmp_path: Path) -> None:
    root = fake_repo(tmp_path / "repo")
    assert [p.as_posix() for p in app_code_files(root)] == [
        "functions/__init__.py",
        "functions/tracking/handler.py",
        "shared/definitions.py",
    ]
    output = tmp_path / "bundle"
    output.mkdir()
    assert CopyAppCode(root).try_bundle(str(output), None) is True
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()) == [
        "functions/__init__.py",
        "functions/tracking/handler.py",
        "shared/definitions.py",
    ]


def test_code_hash_follows_content_not_bytecode(tmp_path: Path) -> None:
    root = fake_repo(tmp_path)
    before = app_code_hash(root)
    (root / "shared/__pycache__").mkdir()
    (root / "shared/__pycache__/definitions.cpython-311.pyc").write_text("new bytecode")
    assert app_code_hash(root) == before
    (root / "shared/definitions.py").write_text("TABLES = ('changed',)\n")
    assert app_code_hash(root) != before


def test_layer_requirements_are_the_runtime_pins_without_boto3(tmp_path: Path) -> None:
    requirements = layer_requirements()
    assert requirements, "pyproject.toml [project].dependencies"
    assert all("==" in requirement for requirement in requirements), "pinned, so the layer hash means something"
    names = {requirement.split("==")[0].lower() for requirement in requirements}
    assert {"aws-lambda-powertools", "pydantic", "crawlerdetect"} <= names
    assert not names & {"boto3", "botocore"}

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["boto3==1.0", "botocore>=1", "pydantic==2.0", "x[extra]==1"]\n')
    assert layer_requirements(pyproject) == ("pydantic==2.0", "x[extra]==1")


def test_layer_hash_changes_only_with_the_pins() -> None:
    assert layer_hash(("a==1", "b==2")) == layer_hash(("a==1", "b==2"))
    assert layer_hash(("a==1", "b==2")) != layer_hash(("a==1", "b==3"))


def test_layer_install_targets_lambda_arm64_cpython_313(tmp_path: Path) -> None:
    command = " ".join(pip_install_command(("pydantic==2.0",), tmp_path / "python"))
    assert "--only-binary" in command and ":all:" in command
    assert "aarch64" in command and "3.13" in command
    assert f"--target {tmp_path / 'python'}" in command


def test_layer_is_built_for_the_functions_runtime_and_architecture() -> None:
    assert RUNTIME.name == f"python{LAYER_PYTHON_VERSION}"
    assert ARCHITECTURE.name == "arm64" and LAYER_PLATFORM.endswith("_aarch64")


def test_every_function_declares_its_access() -> None:
    for definition in FUNCTIONS:
        access = access_for(definition.name)
        assert access.table_definitions or access.stream_reads, definition.name
    with pytest.raises(KeyError, match="infra/permissions.py"):
        access_for("undeclared")
    assert all(actions for access in ACCESS.values() for actions in access.tables.values())


def config(context: dict) -> StackConfig:
    return StackConfig.from_context(App(context=context))


def test_config_defaults_match_cdk_json() -> None:
    assert config({}) == StackConfig()
    assert config(cdk_json_context()) == StackConfig()
    # Every wom:* setting in cdk.json is one the stack reads (a typo there would silently do nothing).
    read = {f"wom:{key}" for key in StackConfig().throttle_limits()} | {
        "wom:corsOrigins",
        "wom:rawEventRetentionDays",
        "wom:hotEventDays",
        "wom:logLevel",
        "wom:alarmEmail",
        "wom:alarmTopicArn",
        "wom:rewardEventArchiveDays",
        "wom:fallbackUrl",
        "wom:publicBaseUrl",
        "wom:removalPolicy",
    }
    assert {key for key in cdk_json_context() if key.startswith("wom:")} <= read


def test_the_hot_window_lies_within_the_retention() -> None:
    assert config({"wom:hotEventDays": "20"}).hot_event_days == 20
    for bad in ({"wom:hotEventDays": 0}, {"wom:hotEventDays": 401}, {"wom:hotEventDays": 91, "wom:rawEventRetentionDays": 90}):
        with pytest.raises(ValueError, match="wom:hotEventDays"):
            config(bad)


def test_config_reads_alarm_targets_and_throttles() -> None:
    assert config({"wom:alarmEmail": " ops@shop.example "}).alarm_email == "ops@shop.example"
    assert config({"wom:alarmEmail": ""}).alarm_email is None
    arn = "arn:aws:sns:us-east-1:123456789012:pager"
    assert config({"wom:alarmTopicArn": arn}).alarm_topic_arn == arn
    parsed = config({"wom:signedThrottleRateLimit": "50", "wom:adminThrottleBurstLimit": "5"})
    assert (parsed.signed_throttle_rate_limit, parsed.admin_throttle_burst_limit) == (50, 5)
    assert config({"wom:rewardEventArchiveDays": "90"}).reward_event_archive_days == 90


def test_config_reads_command_line_strings() -> None:
    parsed = config(
        {
            "wom:corsOrigins": "https://shop.example, https://www.shop.example",
            "wom:rawEventRetentionDays": "90",
            "wom:logLevel": "debug",
        }
    )
    assert parsed.cors_origins == ("https://shop.example", "https://www.shop.example")
    assert parsed.raw_event_retention_days == 90
    assert parsed.log_level == "DEBUG"
    assert config({"wom:corsOrigins": '["https://a.example"]'}).cors_origins == ("https://a.example",)


@pytest.mark.parametrize(
    "context",
    [
        {"wom:rawEventRetentionDays": 0},
        {"wom:logLevel": "LOUD"},
        {"wom:corsOrigins": ["shop.example"]},
        {"wom:throttleRateLimit": 0},
        {"wom:signedThrottleBurstLimit": 0},
        {"wom:adminThrottleRateLimit": -1},
        {"wom:alarmEmail": "not an address"},
        {"wom:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:pager.fifo"},
        {"wom:alarmTopicArn": "pager"},
        {"wom:alarmEmail": "ops@shop.example", "wom:alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:pager"},
        {"wom:rewardEventArchiveDays": 0},
        {"wom:removalPolicy": "keep"},
    ],
)
def test_config_rejects_bad_values(context: dict) -> None:
    with pytest.raises(ValueError):
        config(context)
