"""Lambda functions, their log groups, roles and permissions, derived from shared.platform.deployment.FUNCTIONS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.buses import BUSES
from infra.constructs.storage import table_of
from infra.permissions import ACCESS
from shared.platform.budget import BUDGETS
from shared.platform.deployment import FUNCTIONS, SCHEDULES, FunctionDefinition
from shared.platform.resources import (
    EVENTS_TABLE,
    HASH_KEY_SECRET,
    METRICS_BUCKET,
    REFERRALS_TABLE,
    REWARDS_BUS,
    SALTS_TABLE,
    SECRETS,
    TABLES,
    QUEUES,
    BusDefinition,
    IndexDefinition,
    QueueDefinition,
)
from shared.platform.settings import ENV_VARS
from tests.infra.conftest import Synthesized

FUNCTION_IDS = [definition.name for definition in FUNCTIONS]


def function_resource(synthesized: Synthesized, definition: FunctionDefinition) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, resource)
        for logical_id, resource in synthesized.resources("AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"] == definition.handler
    ]
    assert len(matches) == 1, f"expected one function with handler {definition.handler}, found {len(matches)}"
    return matches[0]


def role_of(synthesized: Synthesized, definition: FunctionDefinition) -> str:
    role = function_resource(synthesized, definition)[1]["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, "the role must be one created in this stack"
    return role["Fn::GetAtt"][0]


def statements_of(synthesized: Synthesized, role_logical_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    role = synthesized.template_json["Resources"][role_logical_id]["Properties"]
    for inline in role.get("Policies", []):
        statements.extend(inline["PolicyDocument"]["Statement"])
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def resource_keys(statement: dict[str, Any]) -> list[str]:
    """One key per resource (CDK merges statements with the same actions): a table's logical id, else its JSON."""
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return [r["Fn::GetAtt"][0] if isinstance(r, dict) and "Fn::GetAtt" in r and r["Fn::GetAtt"][1] == "Arn" else json.dumps(r) for r in resources]


def table_logical_id(synthesized: Synthesized, table_definition) -> str:
    return synthesized.logical_id("AWS::DynamoDB::Table", f"Storage{table_definition.logical_id}")


def index_resource_key(synthesized: Synthesized, index: IndexDefinition) -> str:
    """resource_keys' key for one index's ARN: <table ARN>/index/<name>."""
    table_arn = {"Fn::GetAtt": [table_logical_id(synthesized, table_of(index)), "Arn"]}
    return json.dumps({"Fn::Join": ["", [table_arn, f"/index/{index.name}"]]})


def bus_logical_id(synthesized: Synthesized, bus: BusDefinition) -> str:
    return synthesized.logical_id("AWS::Events::EventBus", f"Buses{bus.logical_id}")


def bucket_objects_key(synthesized: Synthesized, prefix: str) -> str:
    """resource_keys' key for the objects under one prefix of the metrics bucket: <bucket ARN>/<prefix>*."""
    bucket_arn = {"Fn::GetAtt": [synthesized.logical_id("AWS::S3::Bucket", "StorageMetricsBucket"), "Arn"]}
    return json.dumps({"Fn::Join": ["", [bucket_arn, f"/{prefix}*"]]})


def queue_logical_id(synthesized: Synthesized, queue: QueueDefinition) -> str:
    return synthesized.logical_id("AWS::SQS::Queue", queue.logical_id)


def dead_letter_queue_id(synthesized: Synthesized, function_name: str) -> str:
    return synthesized.logical_id("AWS::SQS::Queue", f"Jobs{function_name.capitalize()}DeadLetters")


def granted_by_resource(synthesized: Synthesized, definition: FunctionDefinition) -> dict[str, set[str]]:
    granted: dict[str, set[str]] = {}
    for statement in statements_of(synthesized, role_of(synthesized, definition)):
        for key in resource_keys(statement):
            granted.setdefault(key, set()).update(actions(statement))
    return granted


def test_one_function_per_definition(synthesized: Synthesized) -> None:
    assert len(synthesized.resources("AWS::Lambda::Function")) == len(FUNCTIONS)


@pytest.mark.parametrize("definition", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_runtime_architecture_and_sizes(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    properties = function_resource(synthesized, definition)[1]["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == definition.memory_mb
    assert properties["Timeout"] == definition.timeout_seconds
    assert len(properties["Layers"]) == 1, "the dependency layer"


def test_dependency_layer_matches_the_functions(synthesized: Synthesized) -> None:
    (layer,) = synthesized.resources("AWS::Lambda::LayerVersion").values()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert "boto3" not in layer["Properties"]["Description"], "the runtime provides boto3"


@pytest.mark.parametrize("definition", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_logs_to_its_own_log_group_with_retention(
    synthesized: Synthesized, definition: FunctionDefinition
) -> None:
    properties = function_resource(synthesized, definition)[1]["Properties"]
    log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
    # JSON, Lambda's own lines only at WARN and above (no START/END/REPORT per request), the app at wom:logLevel.
    assert {k: v for k, v in properties["LoggingConfig"].items() if k != "LogGroup"} == {
        "LogFormat": "JSON", "SystemLogLevel": "WARN", "ApplicationLogLevel": "INFO"
    }
    log_group = synthesized.template_json["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30
    # No log-retention custom resource (it would need a Lambda the emulator cannot run).
    assert not [r for r in synthesized.template_json["Resources"].values() if r["Type"] == "Custom::LogRetention"]


@pytest.mark.parametrize("definition", FUNCTIONS, ids=FUNCTION_IDS)
def test_function_environment(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    variables = function_resource(synthesized, definition)[1]["Properties"]["Environment"]["Variables"]
    for table in ACCESS[definition.name].table_definitions:
        assert variables[table.env_var] == {"Ref": table_logical_id(synthesized, table)}
    for table in set(TABLES) - set(ACCESS[definition.name].table_definitions):
        assert table.env_var not in variables
    # A bus by its name, which PutEvents takes as EventBusName (GetAtt, not Ref: see Buses.bus_name).
    for bus in ACCESS[definition.name].buses:
        assert variables[bus.env_var] == {"Fn::GetAtt": [bus_logical_id(synthesized, bus), "Name"]}
    for bus in set(BUSES) - set(ACCESS[definition.name].buses):
        assert bus.env_var not in variables
    bucket_id = synthesized.logical_id("AWS::S3::Bucket", "StorageMetricsBucket")
    assert (variables.get(METRICS_BUCKET.env_var) == {"Ref": bucket_id}) == (METRICS_BUCKET in ACCESS[definition.name].bucket_definitions)
    # Which function it is: its clients' time limits (shared/platform/budget.py has a budget for each).
    assert variables[ENV_VARS["function_name"]] == definition.name
    assert BUDGETS[definition.name].timeout_seconds == definition.timeout_seconds
    # Told the URL of exactly the queues it sends to (a queue's Ref is its URL); a consumer's mapping knows its own.
    for queue in QUEUES:
        if queue in ACCESS[definition.name].sends_to:
            assert variables[queue.env_var] == {"Ref": queue_logical_id(synthesized, queue)}
        else:
            assert queue.env_var not in variables
    assert variables["POWERTOOLS_SERVICE_NAME"] == "wom"
    assert variables["POWERTOOLS_LOG_LEVEL"] == variables["LOG_LEVEL"] == "INFO"
    assert variables[ENV_VARS["hot_event_days"]] == "35"
    assert variables[ENV_VARS["cors_origins"]] == ""
    # Told the ARN of exactly the secrets it may read, each a Secrets Manager secret of the stack.
    for secret in SECRETS:
        assert (secret.arn_env_var in variables) == (secret in ACCESS[definition.name].reads_secrets), secret.name
        if secret.arn_env_var in variables:
            secret_id = variables[secret.arn_env_var]["Ref"]
            resource = synthesized.template_json["Resources"][secret_id]
            assert resource["Type"] == "AWS::SecretsManager::Secret" and resource["Properties"]["Name"].endswith("/" + secret.name)


def test_one_distinct_role_per_function(synthesized: Synthesized) -> None:
    roles = [role_of(synthesized, definition) for definition in FUNCTIONS]
    assert len(set(roles)) == len(FUNCTIONS)
    for role_id in roles:
        role = synthesized.template_json["Resources"][role_id]["Properties"]
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]
        assert "ManagedPolicyArns" not in role, "no AWS managed policy (AWSLambdaBasicExecutionRole is too broad)"


def test_no_statement_uses_a_wildcard(synthesized: Synthesized) -> None:
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not [action for action in actions(statement) if "*" in action]
            assert statement["Resource"] != "*"


@pytest.mark.parametrize("definition", FUNCTIONS, ids=FUNCTION_IDS)
def test_role_grants_exactly_the_declared_access(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    access = ACCESS[definition.name]
    granted = granted_by_resource(synthesized, definition)

    log_group_id = function_resource(synthesized, definition)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    expected = {log_group_id: {"logs:CreateLogStream", "logs:PutLogEvents"}}
    for table, table_actions in access.tables.items():
        expected[table_logical_id(synthesized, table)] = set(table_actions)
    for index, index_actions in access.indexes.items():
        expected[index_resource_key(synthesized, index)] = set(index_actions)
    for bus in access.buses:
        expected[bus_logical_id(synthesized, bus)] = {"events:PutEvents"}
    for prefixes in access.bucket_writes.values():
        expected |= {bucket_objects_key(synthesized, prefix): {"s3:PutObject"} for prefix in prefixes}
    for prefixes in access.bucket_reads.values():
        for prefix in prefixes:
            expected.setdefault(bucket_objects_key(synthesized, prefix), set()).add("s3:GetObject")
        expected[synthesized.logical_id("AWS::S3::Bucket", "StorageMetricsBucket")] = {"s3:ListBucket"}
    for table in access.stream_reads:
        expected[json.dumps({"Fn::GetAtt": [table_logical_id(synthesized, table), "StreamArn"]})] = {
            "dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"
        }
        # Batches given up go to the archive's failure queue.
        expected[synthesized.logical_id("AWS::SQS::Queue", "ArchiveFailures")] = {"sqs:SendMessage"}
    if definition.name in {schedule.function for schedule in SCHEDULES}:
        # Its failed asynchronous runs go to the job's dead-letter queue (the on-failure destination).
        expected[dead_letter_queue_id(synthesized, definition.name)] = {"sqs:SendMessage"}
    for queue in access.sends_to:
        expected.setdefault(queue_logical_id(synthesized, queue), set()).add("sqs:SendMessage")
    for queue in access.consumes:
        expected.setdefault(queue_logical_id(synthesized, queue), set()).update(
            {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"}
        )
    secret_grants = {key: value for key, value in granted.items() if "secretsmanager" in " ".join(value)}
    assert {key: value for key, value in granted.items() if key not in secret_grants} == expected
    assert sorted(secret_grants) == sorted(key for key in secret_grants if any(f"/{s.name}-??????" in key for s in access.reads_secrets))
    assert len(secret_grants) == len(access.reads_secrets)
    assert all(value == {"secretsmanager:GetSecretValue"} for value in secret_grants.values())


def test_tracking_role_cannot_read_secrets_or_scan(synthesized: Synthesized) -> None:
    (tracking,) = [definition for definition in FUNCTIONS if definition.name == "tracking"]
    granted = {
        action
        for statement in statements_of(synthesized, role_of(synthesized, tracking))
        for action in actions(statement)
    }
    assert not [action for action in granted if action.startswith("secretsmanager:")]
    assert not granted & {"dynamodb:Scan", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:DeleteTable"}
    assert granted == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        # Its spilled events, to the spill queue only (tests/infra/test_spill.py).
        "sqs:SendMessage",
    }
    # It reads codes and campaigns from the referrals table and writes nothing there: the salts have their own.
    by_resource = granted_by_resource(synthesized, tracking)
    assert by_resource[table_logical_id(synthesized, REFERRALS_TABLE)] == {"dynamodb:GetItem"}
    assert by_resource[table_logical_id(synthesized, SALTS_TABLE)] == {"dynamodb:GetItem", "dynamodb:PutItem"}


def test_privacy_role_erases_through_the_referrals_table_and_the_due_index_only(synthesized: Synthesized) -> None:
    (privacy,) = [definition for definition in FUNCTIONS if definition.name == "privacy"]
    granted = granted_by_resource(synthesized, privacy)
    # Reads by key and by one partition (a customer's index, an advocate's records), never a Scan.
    assert granted.pop(table_logical_id(synthesized, REFERRALS_TABLE)) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    }
    (due,) = [index for index in REFERRALS_TABLE.indexes if index.name == "due"]
    assert granted.pop(index_resource_key(synthesized, due)) == {"dynamodb:Query"}
    assert granted.pop(table_logical_id(synthesized, SALTS_TABLE)) == {"dynamodb:DeleteItem", "dynamodb:GetItem"}
    assert granted.pop(dead_letter_queue_id(synthesized, "privacy")) == {"sqs:SendMessage"}
    # No secret (it works from the customer key the receipt holds), no event, no bucket, no events table.
    (logs,) = granted.values()
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_conversions_role_has_only_its_table_actions_and_secrets(synthesized: Synthesized) -> None:
    (conversions,) = [definition for definition in FUNCTIONS if definition.name == "conversions"]
    granted = granted_by_resource(synthesized, conversions)
    events, referrals = (table_logical_id(synthesized, table) for table in (EVENTS_TABLE, REFERRALS_TABLE))
    # The click lookup, and each conversion's and refund's fact for the metrics job.
    assert granted.pop(events) == {"dynamodb:GetItem", "dynamodb:PutItem"}
    # Orders and refunds; the buyer's customer index (a reference, and a check of the customer's state); Query: the
    # advocate's hourly referral counters of the last 24 hours (fraud review's velocity), never a scan.
    assert granted.pop(referrals) == {"dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    secrets = {key: value for key, value in granted.items() if "secretsmanager" in key}
    # Wom-Signature, Stripe's and Shopify's webhook secrets, and the email hash key: nothing else.
    names = ("signing-secret", "stripe-webhook-secret", "shopify-secret", "email-hash-key")
    assert len(secrets) == len(names)
    assert all(sum(f"/{name}-??????" in key for key in secrets) == 1 for name in names)
    assert all(value == {"secretsmanager:GetSecretValue"} for value in secrets.values())
    (logs,) = [value for key, value in granted.items() if key not in secrets]
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_storefront_role_reads_and_enrols_in_the_referrals_table_only(synthesized: Synthesized) -> None:
    (storefront,) = [definition for definition in FUNCTIONS if definition.name == "storefront"]
    granted = granted_by_resource(synthesized, storefront)
    # The enrolment's transactions (conditional puts, the customer's state checked; a replaced consent updated), the
    # advocate, campaign and counters (gets), and the advocate's partition (Query: referrals and daily activity). No
    # delete, no scan, no index, no events table.
    assert granted.pop(table_logical_id(synthesized, REFERRALS_TABLE)) == {
        "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"
    }
    secrets = {key: value for key, value in granted.items() if "secretsmanager" in key}
    assert sorted(name for key in secrets for name in ("email-hash-key", "signing-secret", "status-token-key") if f"{name}-??????" in key) == [
        "email-hash-key", "signing-secret", "status-token-key"
    ]
    (logs,) = [value for key, value in granted.items() if key not in secrets]
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_only_the_storefront_function_reads_the_status_token_key(synthesized: Synthesized) -> None:
    readers = [definition.name for definition in FUNCTIONS if any("status-token-key-??????" in key for key in granted_by_resource(synthesized, definition))]
    assert readers == ["storefront"]


def test_rewards_role_has_its_table_actions_the_due_index_and_the_bus_only(synthesized: Synthesized) -> None:
    (rewards,) = [definition for definition in FUNCTIONS if definition.name == "rewards"]
    granted = granted_by_resource(synthesized, rewards)
    # Transactions are authorised per item action: no Query, Scan or BatchWriteItem on the table itself.
    assert granted.pop(table_logical_id(synthesized, REFERRALS_TABLE)) == {
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    }
    # Its work list, through the due index's own ARN (not index/*, so not the listing index).
    (due,) = [index for index in REFERRALS_TABLE.indexes if index.name == "due"]
    assert granted.pop(index_resource_key(synthesized, due)) == {"dynamodb:Query"}
    assert granted.pop(bus_logical_id(synthesized, REWARDS_BUS)) == {"events:PutEvents"}
    assert granted.pop(dead_letter_queue_id(synthesized, "rewards")) == {"sqs:SendMessage"}
    # The facts of reward changes, put in the events table; a rescore queries the campaign-days it rescores.
    assert granted.pop(table_logical_id(synthesized, EVENTS_TABLE)) == {"dynamodb:PutItem", "dynamodb:Query"}
    # And nothing else: its log group only (no secret).
    (logs,) = granted.values()
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_metrics_role_queries_days_and_writes_its_objects_only(synthesized: Synthesized) -> None:
    (metrics,) = [definition for definition in FUNCTIONS if definition.name == "metrics"]
    granted = granted_by_resource(synthesized, metrics)
    events, referrals = (table_logical_id(synthesized, table) for table in (EVENTS_TABLE, REFERRALS_TABLE))
    # A campaign-day is read by Query on its partitions: no Scan, no write to the events.
    assert granted.pop(events) == {"dynamodb:Query"}
    # The campaign list (Query), advocates' daily activity (puts), and set-aside campaign-days (put, delete).
    assert granted.pop(referrals) == {"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"}
    # Objects under metrics/daily/ only: no read, no delete, no other prefix (Athena's results are elsewhere).
    assert granted.pop(bucket_objects_key(synthesized, "metrics/daily/")) == {"s3:PutObject"}
    assert granted.pop(bucket_objects_key(synthesized, "metrics/cohorts/")) == {"s3:PutObject"}  # the cohort objects
    # The raw event archive, for a day older than the hot window: read and list under events/ only.
    assert granted.pop(bucket_objects_key(synthesized, "events/")) == {"s3:GetObject"}
    assert granted.pop(synthesized.logical_id("AWS::S3::Bucket", "StorageMetricsBucket")) == {"s3:ListBucket"}
    assert granted.pop(dead_letter_queue_id(synthesized, "metrics")) == {"sqs:SendMessage"}
    (logs,) = granted.values()
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_admin_queries_the_reward_listing_indexes_and_the_review_queue_only(synthesized: Synthesized) -> None:
    """By campaign (listing) and by advocate (advocate_rewards), and the due index, where held rewards wait on their
    campaign's review queue."""
    (admin,) = [definition for definition in FUNCTIONS if definition.name == "admin"]
    granted = granted_by_resource(synthesized, admin)
    indexes = [index for index in REFERRALS_TABLE.indexes if index.name in ("listing", "advocate_rewards", "due")]
    index_grants = {key: value for key, value in granted.items() if "/index/" in key}
    assert len(indexes) == 3
    assert index_grants == {index_resource_key(synthesized, index): {"dynamodb:Query"} for index in indexes}
    # A review leaves facts for the metrics job in the events table, and reads nothing of it.
    assert granted[table_logical_id(synthesized, EVENTS_TABLE)] == {"dynamodb:PutItem"}


def test_hash_key_is_readable_only_by_its_readers(synthesized: Synthesized) -> None:
    (policy,) = synthesized.resources("AWS::SecretsManager::ResourcePolicy").values()
    (deny,) = policy["Properties"]["ResourcePolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "secretsmanager:GetSecretValue"
    readers = [{"Fn::GetAtt": [role_of(synthesized, d), "Arn"]} for d in FUNCTIONS if HASH_KEY_SECRET in ACCESS[d.name].reads_secrets]
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": readers}}
