"""Rehearse the real deploy path against the embedded AWS emulator: `make deploy-local`.

Starts moto server, then runs `cdk bootstrap` and `cdk deploy` exactly as an operator would (with asset
bundling and publishing), with the AWS endpoint pointed at the emulator and fake credentials, and prints
what CloudFormation created. Exits non-zero when the stack does not reach CREATE_COMPLETE/UPDATE_COMPLETE.

Resource types moto's CloudFormation does not model (API Gateway v2, Secrets Manager secrets, bucket and
queue policies, EventBridge Scheduler schedules, Lambda event invoke configs, CloudWatch alarms, the Glue
database and table, the Athena workgroup) are skipped by the emulator with a warning; they are listed under
"not modelled" in the output. Nothing the emulator does create may reference them (the stack names secrets by
ARN pattern, and buses by Fn::GetAtt Name, for this).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from local.settings import local_settings
from local.emulator import ACCOUNT_ID, FAKE_CREDENTIALS, REGION, client, start_emulator

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "Wom"  # infra.app.STACK_NAME (not imported: that would load the CDK libraries here for nothing)
SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
CDK_TIMEOUT_SECONDS = 900
# What the rehearsal cannot do, said where it reports.
ADMIN_API_NOT_CALLED = (
    "admin API not called: the emulator's CloudFormation creates no HTTP API (AWS::ApiGatewayV2::*) and its Lambda "
    "runs no code without Docker; `wom … --stack` (SigV4 from the ApiUrl output) is tested against local mode's "
    "gateway in tests/integration/test_local_admin.py"
)


@dataclass
class StackResource:
    logical_id: str
    type: str
    physical_id: str | None
    status: str


@dataclass
class RehearsalResult:
    endpoint_url: str
    stack_name: str
    status: str | None
    resources: list[StackResource] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    # Resource types in the template that the emulator's CloudFormation skipped (it warns and moves on).
    not_modelled: list[str] = field(default_factory=list)
    failure: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None and self.status in SUCCESS

    def report(self) -> str:
        lines = [f"stack {self.stack_name}: {self.status or 'absent'} ({self.seconds:.0f} s, {self.endpoint_url})"]
        if self.failure:
            lines.append(f"failure: {self.failure}")
        for resource in sorted(self.resources, key=lambda r: (r.type, r.logical_id)):
            lines.append(f"  {resource.type:<36} {resource.logical_id:<60} {resource.status}  {resource.physical_id}")
        for key, value in sorted(self.outputs.items()):
            lines.append(f"  output {key} = {value}")
        if self.not_modelled:
            lines.append(f"not modelled by the emulator (skipped): {', '.join(self.not_modelled)}")
        lines.append(ADMIN_API_NOT_CALLED)
        return "\n".join(lines)


@contextmanager
def emulator(port: int | None = None) -> Iterator[str]:
    """moto server on 127.0.0.1 (a free port unless given); yields its endpoint under the name `localhost`.

    The name matters: moto takes the bucket of a TemplateURL from the path (path-style) only for localhost,
    and `cdk deploy` passes the template by URL once it is uploaded to the bootstrap bucket.
    """
    running = start_emulator(port or 0)
    try:
        yield f"http://localhost:{running.port}"
    finally:
        running.stop()


def emulator_environment(endpoint_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith("AWS_") and key not in {"CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"}
    }
    environment |= FAKE_CREDENTIALS | {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    return environment


def _cdk(arguments: list[str], environment: dict[str, str]) -> None:
    command = ["npx", "--no-install", "cdk", *arguments, "--no-notices"]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=REPO_ROOT, env=environment, check=True, timeout=CDK_TIMEOUT_SECONDS)


def deploy(endpoint_url: str, *, output_dir: Path | None = None, stack_name: str = STACK_NAME) -> RehearsalResult:
    """Bootstrap and deploy into an emulator that is already running at ``endpoint_url``."""
    started = time.monotonic()
    environment = emulator_environment(endpoint_url)
    output = ["--output", str(output_dir)] if output_dir else []
    failure = None
    try:
        _cdk(["bootstrap", f"aws://{ACCOUNT_ID}/{REGION}", *output], environment)
        _cdk(["deploy", stack_name, "--require-approval", "never", "--progress", "events", *output], environment)
    except subprocess.CalledProcessError as error:
        failure = f"{' '.join(error.cmd[:4])} exited with {error.returncode}"
    except subprocess.TimeoutExpired as error:
        failure = f"{' '.join(error.cmd[:4])} timed out after {error.timeout:.0f} s"
    result = describe(endpoint_url, stack_name)
    result.failure = failure or result.failure
    result.seconds = time.monotonic() - started
    return result


def describe(endpoint_url: str, stack_name: str = STACK_NAME) -> RehearsalResult:
    cloudformation = client("cloudformation", endpoint_url)
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        # The emulator lists a skipped resource as an entry with empty ids and type: leave those out.
        summaries = [
            summary
            for summary in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
            if summary.get("LogicalResourceId")
        ]
        template = cloudformation.get_template(StackName=stack_name)["TemplateBody"]
    except ClientError as error:
        return RehearsalResult(endpoint_url, stack_name, None, failure=f"describing the stack: {error}")
    declared = template if isinstance(template, dict) else json.loads(template)
    held = {summary["LogicalResourceId"] for summary in summaries}
    return RehearsalResult(
        endpoint_url=endpoint_url,
        stack_name=stack_name,
        status=stack["StackStatus"],
        resources=[
            StackResource(
                logical_id=summary["LogicalResourceId"],
                type=summary["ResourceType"],
                physical_id=summary.get("PhysicalResourceId"),
                status=summary["ResourceStatus"],
            )
            for summary in summaries
        ],
        outputs={output["OutputKey"]: output.get("OutputValue", "") for output in stack.get("Outputs", [])},
        not_modelled=sorted(
            {resource["Type"] for logical_id, resource in declared["Resources"].items() if logical_id not in held}
        ),
    )


def rehearse(port: int | None = None, *, output_dir: Path | None = None) -> RehearsalResult:
    """Start the emulator, bootstrap, deploy, describe, stop the emulator."""
    with emulator(port) as endpoint_url:
        return deploy(endpoint_url, output_dir=output_dir)


def main() -> int:
    # The emulator warns once per skipped resource, twice over; the report lists those types once instead.
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto", category=UserWarning)
    port = local_settings().deploy_port
    result = rehearse(port)
    print(result.report())
    print("deploy rehearsal", "succeeded" if result.ok else "FAILED")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
