"""The real deploy path (`cdk bootstrap` + `cdk deploy`, with bundling) against moto server, checked through
the emulator's own APIs.

Asserted on the emulator: what its CloudFormation really creates. Where moto 5.2.5's CloudFormation drops a
property on the floor (it keeps the template, so the declared value is still checked there), the gap is a
strict xfail in test_emulator_gap: it turns into a failure the day moto models it, so the check can move here.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.app import STACK_NAME
from infra.bundling import app_code_files
from infra.constructs.buses import BUSES
from infra.constructs.storage import table_of
from infra.permissions import ACCESS
from local.deploy_rehearsal import RehearsalResult, deploy, emulator
from local.emulator import client
from shared.platform.deployment import FUNCTIONS, SCHEDULES, FunctionDefinition
from infra.constructs.functions import QUEUE_CONSUMER_ACTIONS
from infra.constructs.spill import SPILL_BATCH_SIZE
from shared.platform.resources import (
    METRICS_BUCKET,
    SPILL_DEAD_LETTERS,
    SPILL_MAX_RECEIVES,
    SPILL_QUEUE,
    TABLES,
    BusDefinition,
    QueueDefinition,
    TableDefinition,
)

pytestmark = [
    pytest.mark.deploy,
    # The emulator warns once per skipped resource; test_only_known_types_are_skipped_by_the_emulator checks them.
    pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto:UserWarning"),
]

# Types moto's CloudFormation skips with a warning. A new type here must be a conscious choice: the
# rehearsal then proves nothing about it (tests/infra checks it in the template), and nothing the emulator
# does create may reference it.
NOT_MODELLED_BY_EMULATOR = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    # The Athena analytics (infra/constructs/analytics.py): moto 5.2.5 has Glue and Athena backends but no
    # CloudFormation model for either; test_emulator_gap asks the emulator's own APIs, and tests/infra/
    # test_analytics.py checks the template.
    "AWS::Athena::WorkGroup",
    "AWS::CDK::Metadata",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::S3::BucketPolicy",
    # The alarm topic's policy (TLS only, CloudWatch may publish): tests/infra/test_monitoring.py checks it.
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::Scheduler::Schedule",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SecretsManager::Secret",
}
JOB_FUNCTIONS = [d for d in FUNCTIONS if d.name in {s.function for s in SCHEDULES}]


@dataclass
class Deployed:
    result: RehearsalResult
    endpoint_url: str
    template: dict[str, Any]

    def physical_id(self, logical_prefix: str, resource_type: str) -> str:
        (resource,) = [
            r for r in self.result.resources if r.type == resource_type and r.logical_id.startswith(logical_prefix)
        ]
        assert resource.physical_id
        return resource.physical_id

    def declared(self, logical_prefix: str, resource_type: str) -> dict[str, Any]:
        (resource,) = [
            r
            for logical_id, r in self.template["Resources"].items()
            if r["Type"] == resource_type and logical_id.startswith(logical_prefix)
        ]
        return resource["Properties"]

    def client(self, service: str):  # noqa: ANN201
        return client(service, self.endpoint_url)

    def table_arn(self, definition: TableDefinition) -> str:
        name = self.physical_id(table_prefix(definition), "AWS::DynamoDB::Table")
        return self.client("dynamodb").describe_table(TableName=name)["Table"]["TableArn"]

    def bus_name(self, definition: BusDefinition) -> str:
        # The emulator lists an event bus without a physical id: its name is the one the template declares.
        return self.declared(f"Buses{definition.logical_id}", "AWS::Events::EventBus")["Name"]

    def bus_arn(self, definition: BusDefinition) -> str:
        return self.client("events").describe_event_bus(Name=self.bus_name(definition))["Arn"]

    def dead_letter_queue_url(self, definition: FunctionDefinition) -> str:
        return self.physical_id(f"Jobs{definition.name.capitalize()}DeadLetters", "AWS::SQS::Queue")

    def dead_letter_queue_arn(self, definition: FunctionDefinition) -> str:
        url = self.dead_letter_queue_url(definition)
        return self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]

    def queue_url(self, definition: QueueDefinition) -> str:
        # The spill construct's queues: logical ids SpillQueue…, SpillDeadLetters… (infra/constructs/spill.py).
        return self.physical_id(definition.logical_id, "AWS::SQS::Queue")

    def queue_arn(self, definition: QueueDefinition) -> str:
        attributes = self.client("sqs").get_queue_attributes(QueueUrl=self.queue_url(definition), AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def granted(self, role_name: str) -> dict[str, set[str]]:
        """The actions of a role's inline policies, by resource ARN as the emulator resolved them."""
        iam = self.client("iam")
        granted: dict[str, set[str]] = {}
        for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
            for statement in document["Statement"]:
                assert statement["Effect"] == "Allow"
                actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
                for resource in resources:
                    granted.setdefault(resource, set()).update(actions)
        return granted


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with emulator() as endpoint_url:
        result = deploy(endpoint_url, output_dir=tmp_path_factory.mktemp("cdk.out"))
        print(result.report())
        template = client("cloudformation", endpoint_url).get_template(StackName=result.stack_name)["TemplateBody"]
        yield Deployed(result, endpoint_url, template if isinstance(template, dict) else json.loads(template))


def function_prefix(definition: FunctionDefinition) -> str:
    return f"Functions{definition.name.capitalize()}Function"


def table_prefix(definition: TableDefinition) -> str:
    return f"Storage{definition.logical_id}"


def test_stack_reaches_create_complete(deployed: Deployed) -> None:
    assert deployed.result.stack_name == STACK_NAME
    assert deployed.result.failure is None
    assert deployed.result.status == "CREATE_COMPLETE"
    assert all(resource.status == "CREATE_COMPLETE" for resource in deployed.result.resources)


def test_only_known_types_are_skipped_by_the_emulator(deployed: Deployed) -> None:
    assert set(deployed.result.not_modelled) <= NOT_MODELLED_BY_EMULATOR
    held = {resource.type for resource in deployed.result.resources}
    assert {
        "AWS::DynamoDB::Table",
        "AWS::Events::EventBus",
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::S3::Bucket",
        "AWS::SQS::Queue",
    } <= held


def test_athena_analytics_are_skipped_not_deployed(deployed: Deployed) -> None:
    """Said plainly: the rehearsal deploys no Glue catalog and no Athena workgroup (the emulator skips them), so
    it proves nothing about them beyond the stack still reaching CREATE_COMPLETE around them."""
    analytics = {"AWS::Glue::Database", "AWS::Glue::Table", "AWS::Athena::WorkGroup"}
    assert analytics <= set(deployed.result.not_modelled)
    assert not analytics & {resource.type for resource in deployed.result.resources}


@pytest.mark.parametrize("definition", TABLES, ids=[t.logical_id for t in TABLES])
def test_table_exists_with_its_keys(deployed: Deployed, definition: TableDefinition) -> None:
    name = deployed.physical_id(table_prefix(definition), "AWS::DynamoDB::Table")
    table = deployed.client("dynamodb").describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": definition.partition_key, "KeyType": "HASH"},
        {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {index["IndexName"]: index for index in table.get("GlobalSecondaryIndexes", [])}
    assert sorted(indexes) == sorted(index.name for index in definition.indexes)
    for index in definition.indexes:
        assert indexes[index.name]["KeySchema"] == [
            {"AttributeName": index.partition_key, "KeyType": "HASH"},
            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
        ]
        assert indexes[index.name]["Projection"] == {"ProjectionType": "ALL"}
        assert indexes[index.name]["IndexStatus"] == "ACTIVE"
    # TTL as deployed (the emulator's CloudFormation does not apply it; see test_emulator_gap).
    assert deployed.declared(table_prefix(definition), "AWS::DynamoDB::Table")["TimeToLiveSpecification"] == {
        "AttributeName": definition.ttl_attribute,
        "Enabled": True,
    }


@pytest.mark.parametrize("definition", FUNCTIONS, ids=[f.name for f in FUNCTIONS])
def test_function_exists_as_defined(deployed: Deployed, definition: FunctionDefinition) -> None:
    name = deployed.physical_id(function_prefix(definition), "AWS::Lambda::Function")
    configuration = deployed.client("lambda").get_function(FunctionName=name)["Configuration"]
    assert configuration["Runtime"] == "python3.13"
    assert configuration["Handler"] == definition.handler
    assert configuration["MemorySize"] == definition.memory_mb
    assert configuration["Timeout"] == definition.timeout_seconds
    # The environment resolves to the tables the emulator created.
    variables = configuration["Environment"]["Variables"]
    for table in ACCESS[definition.name].table_definitions:
        assert variables[table.env_var] == deployed.physical_id(table_prefix(table), "AWS::DynamoDB::Table")
    # A bus by the name the emulator gave it (the bus exists: see test_bus_exists).
    for bus in ACCESS[definition.name].buses:
        assert variables[bus.env_var] == deployed.bus_name(bus)
    # Its own role, holding exactly its declared DynamoDB actions, on the ARNs the emulator resolved.
    role_name = configuration["Role"].rsplit("/", 1)[1]
    assert deployed.client("iam").list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    granted = deployed.granted(role_name)
    access = ACCESS[definition.name]
    table_arns = {table: deployed.table_arn(table) for table in ACCESS[definition.name].table_definitions}
    expected = {table_arns[table]: set(actions) for table, actions in access.tables.items()}
    expected |= {
        f"{table_arns[table_of(index)]}/index/{index.name}": set(actions) for index, actions in access.indexes.items()
    }
    dynamodb = {arn: actions for arn, actions in granted.items() if ":dynamodb:" in arn}
    assert {arn: actions for arn, actions in dynamodb.items() if "/stream/" not in arn} == expected
    # A stream read by the function's event source mapping: on that table's stream only.
    streams = {arn: actions for arn, actions in dynamodb.items() if "/stream/" in arn}
    assert sorted(arn.split("/stream/")[0] for arn in streams) == sorted(deployed.table_arn(table) for table in access.stream_reads)
    assert all(a == {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"} for a in streams.values())
    assert {arn: actions for arn, actions in granted.items() if ":events:" in arn} == {
        deployed.bus_arn(bus): {"events:PutEvents"} for bus in access.buses
    }
    queues = {arn: actions for arn, actions in granted.items() if ":sqs:" in arn}
    expected_queues: dict[str, set[str]] = {}
    for queue in access.sends_to:
        expected_queues.setdefault(deployed.queue_arn(queue), set()).add("sqs:SendMessage")
    for queue in access.consumes:
        expected_queues.setdefault(deployed.queue_arn(queue), set()).update(QUEUE_CONSUMER_ACTIONS)
    if definition in JOB_FUNCTIONS:
        expected_queues[deployed.dead_letter_queue_arn(definition)] = {"sqs:SendMessage"}
    if access.stream_reads:  # the failure destination of its event source mapping
        (failures,) = [arn for arn in queues if "ArchiveFailures" in arn]
        expected_queues[failures] = {"sqs:SendMessage"}
    assert queues == expected_queues
    # Told the URL of each queue it sends to, as the emulator created it.
    for queue in access.sends_to:
        assert variables[queue.env_var] == deployed.queue_url(queue)
    secrets = {action for arn, actions in granted.items() if ":secretsmanager:" in arn for action in actions}
    assert bool(secrets) == bool(access.reads_secrets)
    # Architecture and layer as deployed (the emulator's CloudFormation drops both; see test_emulator_gap).
    declared = deployed.declared(function_prefix(definition), "AWS::Lambda::Function")
    assert declared["Architectures"] == ["arm64"]
    assert len(declared["Layers"]) == 1


def test_functions_have_distinct_roles(deployed: Deployed) -> None:
    lambda_client = deployed.client("lambda")
    roles = {
        lambda_client.get_function(FunctionName=deployed.physical_id(function_prefix(d), "AWS::Lambda::Function"))[
            "Configuration"
        ]["Role"]
        for d in FUNCTIONS
    }
    assert len(roles) == len(FUNCTIONS)


def test_log_groups_have_retention(deployed: Deployed) -> None:
    groups = deployed.client("logs").describe_log_groups()["logGroups"]
    ours = [g for g in groups if g["logGroupName"].startswith(deployed.result.stack_name + "-")]
    assert len(ours) == len(FUNCTIONS) + 1, "one per function and the API access log"
    assert {g.get("retentionInDays") for g in ours} == {30}


@pytest.mark.parametrize("bus", BUSES, ids=[b.logical_id for b in BUSES])
def test_bus_exists(deployed: Deployed, bus: BusDefinition) -> None:
    name = deployed.bus_name(bus)
    assert name.startswith(STACK_NAME)
    description = deployed.client("events").describe_event_bus(Name=name)
    assert description["Name"] == name
    assert description["Arn"].endswith(f":event-bus/{name}")


@pytest.mark.parametrize("definition", JOB_FUNCTIONS, ids=[d.name for d in JOB_FUNCTIONS])
def test_dead_letter_queue_exists_encrypted(deployed: Deployed, definition: FunctionDefinition) -> None:
    attributes = deployed.client("sqs").get_queue_attributes(
        QueueUrl=deployed.dead_letter_queue_url(definition), AttributeNames=["All"]
    )["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert "RedrivePolicy" not in attributes


def test_spill_queue_exists_encrypted_and_redrives_to_its_dead_letters(deployed: Deployed) -> None:
    sqs = deployed.client("sqs")
    spill = sqs.get_queue_attributes(QueueUrl=deployed.queue_url(SPILL_QUEUE), AttributeNames=["All"])["Attributes"]
    dead = sqs.get_queue_attributes(QueueUrl=deployed.queue_url(SPILL_DEAD_LETTERS), AttributeNames=["All"])["Attributes"]
    for attributes in (spill, dead):
        assert attributes["SqsManagedSseEnabled"] == "true"
        assert attributes["MessageRetentionPeriod"] == str(14 * 86_400)
    assert json.loads(spill["RedrivePolicy"]) == {"deadLetterTargetArn": dead["QueueArn"], "maxReceiveCount": SPILL_MAX_RECEIVES}
    assert spill["VisibilityTimeout"] == "365"  # 6 × the replay's 60 s timeout + its 5 s batching window
    assert "RedrivePolicy" not in dead


def test_the_replay_function_reads_the_spill_queue(deployed: Deployed) -> None:
    (replay,) = [d for d in FUNCTIONS if d.name == "replay"]
    function_name = deployed.physical_id(function_prefix(replay), "AWS::Lambda::Function")
    (mapping,) = deployed.client("lambda").list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
    assert mapping["EventSourceArn"] == deployed.queue_arn(SPILL_QUEUE)
    assert mapping["BatchSize"] == SPILL_BATCH_SIZE


def test_the_documented_redrive_finds_the_spill_queue_and_its_dead_letters(deployed: Deployed, tmp_path) -> None:
    """docs/operations.md#spill-dead-letters: the block that finds the two queues the redrive moves between."""
    from tests.docs.blocks import deployed_blocks, emulator_environment, run_block

    (block,) = [b for b in deployed_blocks() if b.path == "docs/operations.md" and "SpillDeadLetters" in b.code]
    outcome = run_block(block, block.code, emulator_environment(deployed.endpoint_url), cwd=tmp_path)
    assert outcome.failure is None, outcome.output
    assert outcome.output.splitlines() == [
        f"spill queue:  {deployed.queue_url(SPILL_QUEUE)}",
        f"dead letters: {deployed.queue_url(SPILL_DEAD_LETTERS)}",
    ]


@pytest.mark.parametrize("definition", JOB_FUNCTIONS, ids=[d.name for d in JOB_FUNCTIONS])
def test_scheduler_role_may_only_invoke_its_job_and_dead_letter(
    deployed: Deployed, definition: FunctionDefinition
) -> None:
    """The schedule itself is not modelled by the emulator; the role it assumes is."""
    role_name = deployed.physical_id(f"Jobs{definition.name.capitalize()}SchedulerRole", "AWS::IAM::Role")
    role = deployed.client("iam").get_role(RoleName=role_name)["Role"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":schedule-group/default")
    function_name = deployed.physical_id(function_prefix(definition), "AWS::Lambda::Function")
    function_arn = deployed.client("lambda").get_function(FunctionName=function_name)["Configuration"]["FunctionArn"]
    assert deployed.granted(role_name) == {
        function_arn: {"lambda:InvokeFunction"},
        deployed.dead_letter_queue_arn(definition): {"sqs:SendMessage"},
    }


def test_alarm_topic_exists_under_its_key(deployed: Deployed) -> None:
    """The alarms themselves are not modelled by the emulator; the topic they notify and its key are."""
    topic_arn = deployed.physical_id("MonitoringNotificationsTopic", "AWS::SNS::Topic")
    attributes = deployed.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    key_id = deployed.physical_id("MonitoringNotificationsKey", "AWS::KMS::Key")
    assert key_id in {key["KeyId"] for key in deployed.client("kms").list_keys()["Keys"]}
    assert attributes["KmsMasterKeyId"].endswith(f":key/{key_id}")
    # Its rotation and policy: see test_emulator_gap ("kms Key").


def test_dashboard_exists(deployed: Deployed) -> None:
    (entry,) = deployed.client("cloudwatch").list_dashboards(DashboardNamePrefix=f"{STACK_NAME}-")["DashboardEntries"]
    assert entry["DashboardName"] == f"{STACK_NAME}-us-east-1"
    body = json.loads(deployed.client("cloudwatch").get_dashboard(DashboardName=entry["DashboardName"])["DashboardBody"])
    titles = {widget["properties"].get("title") for widget in body["widgets"]}
    assert {"Alarms", "API requests", "Lambda errors", "DynamoDB throttled events", "Job runs (per hour)"} <= titles


@pytest.mark.parametrize("bus", BUSES, ids=[b.logical_id for b in BUSES])
def test_bus_archive_exists(deployed: Deployed, bus: BusDefinition) -> None:
    archive = deployed.client("events").describe_archive(ArchiveName=f"{STACK_NAME}-{bus.logical_id}")
    assert archive["EventSourceArn"] == deployed.bus_arn(bus)
    assert archive["RetentionDays"] == 35
    assert archive["State"] == "ENABLED"


def test_metrics_bucket_exists_encrypted(deployed: Deployed) -> None:
    name = deployed.physical_id(f"Storage{METRICS_BUCKET.logical_id}", "AWS::S3::Bucket")
    s3 = deployed.client("s3")
    s3.head_bucket(Bucket=name)
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_published_assets_are_the_bundles(deployed: Deployed) -> None:
    """The zips `cdk deploy` uploaded: the code asset and an arm64 / CPython 3.13 dependency layer."""
    s3 = deployed.client("s3")

    def archive(properties: dict[str, Any]) -> zipfile.ZipFile:
        bucket = f"cdk-hnb659fds-assets-123456789012-{s3.meta.region_name}"
        body = s3.get_object(Bucket=bucket, Key=properties["S3Key"])["Body"].read()
        return zipfile.ZipFile(io.BytesIO(body))

    (first, *_) = FUNCTIONS
    code = archive(deployed.declared(function_prefix(first), "AWS::Lambda::Function")["Code"])
    assert sorted(n for n in code.namelist() if not n.endswith("/")) == sorted(p.as_posix() for p in app_code_files())

    layer = archive(deployed.declared("FunctionsDependencies", "AWS::Lambda::LayerVersion")["Content"])
    names = layer.namelist()
    assert any(n.startswith("python/pydantic_core/") and "cpython-313-aarch64-linux-gnu" in n for n in names)
    assert any(n.startswith("python/aws_lambda_powertools/") for n in names)
    assert not any(n.startswith(("python/boto3/", "python/botocore/")) for n in names)


def _ttl(deployed: Deployed) -> Any:
    name = deployed.physical_id(table_prefix(TABLES[0]), "AWS::DynamoDB::Table")
    return (
        deployed.client("dynamodb").describe_time_to_live(TableName=name)["TimeToLiveDescription"].get("AttributeName")
        == TABLES[0].ttl_attribute
    )


def _pitr(deployed: Deployed) -> Any:
    name = deployed.physical_id(table_prefix(TABLES[0]), "AWS::DynamoDB::Table")
    backups = deployed.client("dynamodb").describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    return backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def _function(deployed: Deployed) -> dict[str, Any]:
    name = deployed.physical_id(function_prefix(FUNCTIONS[0]), "AWS::Lambda::Function")
    return deployed.client("lambda").get_function(FunctionName=name)["Configuration"]


def _public_access_block(deployed: Deployed) -> Any:
    name = deployed.physical_id(f"Storage{METRICS_BUCKET.logical_id}", "AWS::S3::Bucket")
    try:
        block = deployed.client("s3").get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except deployed.client("s3").exceptions.ClientError:
        return False
    return all(block.values())


def _glue_table(deployed: Deployed) -> Any:
    database = deployed.declared("AnalyticsDatabase", "AWS::Glue::Database")["DatabaseInput"]["Name"]
    table = deployed.declared("AnalyticsDailyMetricsTable", "AWS::Glue::Table")["TableInput"]["Name"]
    try:
        deployed.client("glue").get_table(DatabaseName=database, Name=table)
    except deployed.client("glue").exceptions.EntityNotFoundException:
        return False
    return True


def _alarm_topic_key(deployed: Deployed) -> Any:
    key_id = deployed.physical_id("MonitoringNotificationsKey", "AWS::KMS::Key")
    kms = deployed.client("kms")
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] and kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]


def _athena_workgroup(deployed: Deployed) -> Any:
    name = deployed.declared("AnalyticsWorkGroup", "AWS::Athena::WorkGroup")["Name"]
    # moto answers an unknown workgroup with an empty response rather than an error.
    return "WorkGroup" in deployed.client("athena").get_work_group(WorkGroup=name)


EMULATOR_GAPS = {
    # moto 5.2.5 dynamodb Table.create_from_cloudformation_json reads neither property.
    "table TimeToLiveSpecification": _ttl,
    "table PointInTimeRecoverySpecification": _pitr,
    # moto 5.2.5 LambdaFunction.create_from_cloudformation_json copies only Description, MemorySize, Publish,
    # Timeout, VpcConfig, Environment and ReservedConcurrentExecutions.
    "function Architectures": lambda deployed: _function(deployed)["Architectures"] == ["arm64"],
    "function Layers": lambda deployed: len(_function(deployed).get("Layers", [])) == 1,
    # moto 5.2.5 FakeBucket.create_from_cloudformation_json ignores PublicAccessBlockConfiguration.
    "bucket PublicAccessBlockConfiguration": _public_access_block,
    # moto 5.2.5's CloudFormation skips AWS::Glue::* and AWS::Athena::WorkGroup (NOT_MODELLED_BY_EMULATOR): the
    # emulator's Glue catalog and Athena hold neither after the deploy.
    "glue Database and Table": _glue_table,
    "athena WorkGroup": _athena_workgroup,
    # moto 5.2.5 keeps a key's KeyPolicy from the template as an object, and DescribeKey then fails parsing it
    # (a 500); the key's rotation and policy are checked in the template (tests/infra/test_monitoring.py).
    "kms Key": _alarm_topic_key,
    # moto 5.2.5 keeps a stack's Outputs when it is created directly, not when a change set creates it (as
    # `cdk deploy` does): describe_stacks then has none.
    "stack Outputs": lambda deployed: {f"{bus.logical_id}Name" for bus in BUSES} <= set(deployed.result.outputs),
}


@pytest.mark.parametrize("gap", sorted(EMULATOR_GAPS))
@pytest.mark.xfail(
    strict=True, reason="moto's CloudFormation does not apply this property or resource (checked in the template)"
)
def test_emulator_gap(deployed: Deployed, gap: str) -> None:
    assert EMULATOR_GAPS[gap](deployed)


def test_operator_commands_in_the_docs_run_against_the_deployed_stack(deployed: Deployed, tmp_path) -> None:
    """Every `doc-test: deployed` block of README.md and docs/ (outputs, secrets, rotation, logs, the operator
    policy, teardown's listings and secret deletion) runs as written against the rehearsed stack. moto's
    CloudFormation skips AWS::SecretsManager::Secret, so the two secrets are first created as CloudFormation
    would, with the names and generated values the template declares."""
    import secrets as random_values

    from tests.docs.blocks import deployed_blocks, emulator_environment, run_block

    manager = deployed.client("secretsmanager")
    for resource in deployed.template["Resources"].values():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            manager.create_secret(Name=resource["Properties"]["Name"], SecretString=random_values.token_hex(32))
    blocks = deployed_blocks()
    assert blocks, "the docs have operator commands marked doc-test: deployed"
    environment = emulator_environment(deployed.endpoint_url)
    for block in blocks:
        outcome = run_block(block, block.code, environment, cwd=tmp_path)
        assert outcome.failure is None, f"{block.id} {outcome.failure}:\n{block.code}\n--- output ---\n{outcome.output[-4000:]}"
