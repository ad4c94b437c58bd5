"""cdk-nag, cfn-lint, and a real `cdk synth` through the command line (with bundling)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from aws_cdk import Validations
from aws_cdk.assertions import Annotations, Match
from cfnlint.api import ManualArgs, lint_file

from infra.bundling import app_code_files
from infra.permissions import access_for
from shared.platform.resources import TABLES
from shared.platform.deployment import FUNCTIONS, ROUTES
from shared.platform.resources import TABLES
from tests.infra.conftest import REPO_ROOT, Synthesized

# CDK adds an explicit DependsOn from each function to its role next to the GetAtt; harmless and not ours.
ACCEPTED_CFN_LINT_WARNINGS = {"W3005"}


def test_cdk_nag_reports_no_unacknowledged_finding(synthesized: Synthesized) -> None:
    # cdk-nag 3 is a validation plugin: an unacknowledged error or warning already fails app.synth() in the
    # fixture. The report it leaves behind must be empty too, and no AwsSolutions annotation may remain.
    report_path = synthesized.outdir / "validation-report.json"
    if report_path.exists():
        report = json.loads(report_path.read_text())
        violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
        assert violations == []
    annotations = Annotations.from_stack(synthesized.stack)
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def queues_outside_a_redrive(synthesized: Synthesized) -> list[str]:
    queues = synthesized.resources("AWS::SQS::Queue")
    targets = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] for q in queues.values() if "RedrivePolicy" in q["Properties"]}
    assert targets, "the spill queue redrives to its dead letters"
    return [logical_id for logical_id, q in queues.items() if "RedrivePolicy" not in q["Properties"] and logical_id not in targets]


def test_acknowledgements_are_the_expected_ones_with_reasons(synthesized: Synthesized) -> None:
    acknowledged: list[tuple[str, str, str]] = []
    for construct in synthesized.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    acknowledged.append((construct.node.path, rule.partition("::")[2], reason))
    for path, rule, reason in acknowledged:
        assert len(reason) > 80, f"{rule} on {path}: say why it does not apply to this stack"

    public_routes = [route for route in ROUTES if route.auth != "admin"]
    secrets = synthesized.resources("AWS::SecretsManager::Secret")
    expected = (
        ["AwsSolutions-APIG4"] * len(public_routes)
        + ["AwsSolutions-L1"] * len(FUNCTIONS)
        + ["AwsSolutions-S1"]
        + ["AwsSolutions-SMG4"] * len(secrets)
        # The jobs' dead-letter queues and the archive's failure queue, which cdk-nag only recognises as such behind
        # another queue's redrive (the spill queue has one; its dead letters are its redrive's target).
        + ["AwsSolutions-SQS3"] * len(queues_outside_a_redrive(synthesized))
        # Object writes and reads under a key prefix (daily objects, the raw event archive), the one wildcard the roles hold.
        + [
            f"AwsSolutions-IAM5[Resource::<{synthesized.logical_id('AWS::S3::Bucket', 'StorageMetricsBucket')}.Arn>/{prefix}*]"
            for definition in FUNCTIONS
            for grants in (access_for(definition.name).bucket_writes, access_for(definition.name).bucket_reads)
            for prefixes in grants.values()
            for prefix in prefixes
        ]
        # No point-in-time recovery where a backup would outlive the salts' 48 hours, or copy the archived events.
        + ["AwsSolutions-DDB3"] * sum(not table.point_in_time_recovery for table in TABLES)
    )
    assert sorted(rule for _, rule, _ in acknowledged) == sorted(expected)


def test_cfn_lint_finds_no_errors(synthesized: Synthesized) -> None:
    matches = lint_file(synthesized.template_path, config=ManualArgs(regions=["us-east-1"]))
    errors = [str(match) for match in matches if match.rule.id.startswith("E")]
    assert errors == []
    warnings = [
        str(match)
        for match in matches
        if match.rule.id[:5] not in ACCEPTED_CFN_LINT_WARNINGS and match.rule.id.startswith("W")
    ]
    assert warnings == []


def test_cli_synth_bundles_the_code_and_an_arm64_layer(tmp_path: Path) -> None:
    """`npx cdk synth --quiet` exits 0, with the real local bundling (no Docker)."""
    environment = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }
    completed = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "--no-notices", "--output", str(tmp_path)],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]

    assets = json.loads((tmp_path / "Wom.assets.json").read_text())["files"]
    directories = {
        tmp_path / asset["source"]["path"] for asset in assets.values() if asset["source"].get("packaging") == "zip"
    }
    (code,) = [d for d in directories if (d / "shared").is_dir()]
    (layer,) = [d for d in directories if (d / "python").is_dir()]

    bundled = sorted(p.relative_to(code) for p in code.rglob("*") if p.is_file())
    assert bundled == sorted(app_code_files()), "the code asset is exactly functions/ and shared/"
    assert not list(code.rglob("__pycache__"))

    (pydantic_core,) = list((layer / "python" / "pydantic_core").glob("_pydantic_core.*.so"))
    assert "cpython-313-aarch64-linux-gnu" in pydantic_core.name
    for package in ("aws_lambda_powertools", "pydantic", "crawlerdetect"):
        assert (layer / "python" / package).is_dir()
    assert not (layer / "python" / "boto3").exists() and not (layer / "python" / "botocore").exists()
