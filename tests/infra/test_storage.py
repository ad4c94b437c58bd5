"""Tables and their indexes from shared.platform.resources.TABLES, the metrics bucket, and the generated secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.platform.resources import ARCHIVE_PREFIX, ATHENA_RESULTS_PREFIX, DAILY_METRICS_PREFIX, EVENTS_TABLE, REFERRALS_TABLE, SALTS_TABLE, TABLES, TableDefinition
from tests.infra.conftest import REPO_ROOT, Synthesized
from tests.infra.test_functions import table_logical_id


@pytest.mark.parametrize("definition", TABLES, ids=[t.logical_id for t in TABLES])
def test_table(synthesized: Synthesized, definition: TableDefinition) -> None:
    table = synthesized.template_json["Resources"][table_logical_id(synthesized, definition)]
    assert table["Type"] == "AWS::DynamoDB::Table", "Table, not TableV2: the emulator has no GlobalTable"
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # Continuous backups where the table is the only copy: the referrals. Raw events are archived in S3 instead.
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": definition.point_in_time_recovery}
    assert definition.point_in_time_recovery == (definition.logical_id == "ReferralsTable")
    if definition.stream_view_type:
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    else:
        assert "StreamSpecification" not in properties
    assert properties["KeySchema"] == [
        {"AttributeName": definition.partition_key, "KeyType": "HASH"},
        {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
    ]
    key_attributes = {definition.partition_key, definition.sort_key} | {
        attribute for index in definition.indexes for attribute in (index.partition_key, index.sort_key)
    }
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"} for name in sorted(key_attributes)
    ]
    # Global secondary indexes: on demand with the table (no throughput of their own), every attribute projected.
    assert properties.get("GlobalSecondaryIndexes", []) == [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.partition_key, "KeyType": "HASH"},
                {"AttributeName": index.sort_key, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in definition.indexes
    ]
    if definition.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": definition.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties


def test_only_the_salts_and_events_tables_go_without_point_in_time_recovery(synthesized: Synthesized) -> None:
    """SPEC §6: a salt is destroyed 48 hours after its day began, and a backup must not keep it for 35 days; raw
    events are in the archive. The referrals table, the only copy of what it holds, keeps its backups."""
    recovery = {
        definition.logical_id: synthesized.template_json["Resources"][table_logical_id(synthesized, definition)]["Properties"][
            "PointInTimeRecoverySpecification"
        ]["PointInTimeRecoveryEnabled"]
        for definition in TABLES
    }
    assert recovery == {EVENTS_TABLE.logical_id: False, REFERRALS_TABLE.logical_id: True, SALTS_TABLE.logical_id: False}
    salts = synthesized.template_json["Resources"][table_logical_id(synthesized, SALTS_TABLE)]["Properties"]
    assert salts["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_referrals_table_has_the_due_and_listing_indexes(synthesized: Synthesized) -> None:
    """The rewards job's work list and the admin API's reward listing (the test above derives the rest)."""
    properties = synthesized.template_json["Resources"][table_logical_id(synthesized, REFERRALS_TABLE)]["Properties"]
    assert {index["IndexName"]: index["KeySchema"] for index in properties["GlobalSecondaryIndexes"]} == {
        "due": [{"AttributeName": "due_queue", "KeyType": "HASH"}, {"AttributeName": "due_at", "KeyType": "RANGE"}],
        "listing": [
            {"AttributeName": "list_pk", "KeyType": "HASH"},
            {"AttributeName": "list_sk", "KeyType": "RANGE"},
        ],
        "advocate_rewards": [
            {"AttributeName": "advocate_id", "KeyType": "HASH"},
            {"AttributeName": "list_sk", "KeyType": "RANGE"},
        ],
    }


def test_metrics_bucket_is_private_encrypted_and_ssl_only(synthesized: Synthesized) -> None:
    (bucket_id,) = synthesized.resources("AWS::S3::Bucket")
    bucket = synthesized.template_json["Resources"][bucket_id]
    assert bucket["DeletionPolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}

    (policy,) = synthesized.resources("AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    denies_plain_http = [
        statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny"
        and statement["Action"] == "s3:*"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies_plain_http) == 1


def test_hash_key_is_generated_retained_and_not_rotated(synthesized: Synthesized) -> None:
    secrets = synthesized.resources("AWS::SecretsManager::Secret")
    (hash_key,) = [s for s in secrets.values() if s["Properties"]["Name"].endswith("/email-hash-key")]
    assert hash_key["DeletionPolicy"] == "Retain"
    assert hash_key["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    assert not synthesized.resources("AWS::SecretsManager::RotationSchedule"), "rotation would orphan stored hashes"


def test_the_status_token_key_is_generated_and_retained(synthesized: Synthesized) -> None:
    secrets = synthesized.resources("AWS::SecretsManager::Secret")
    (key,) = [s for s in secrets.values() if s["Properties"]["Name"].endswith("/status-token-key")]
    # Kept when the stack goes: a new key would turn every advocate's page into a 401 until shops enrol again.
    assert key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32


def test_athena_results_and_raw_events_expire_and_the_metrics_do_not(synthesized: Synthesized) -> None:
    (bucket,) = synthesized.resources("AWS::S3::Bucket").values()
    rules = {rule["Id"]: rule for rule in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {"ExpireAthenaResults", "ExpireRawEvents", "RawEventsToGlacierInstantRetrieval"}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    results = rules["ExpireAthenaResults"]
    assert results["ExpirationInDays"] == 30 and results["Prefix"] == ATHENA_RESULTS_PREFIX
    # Every archived object expires at wom:rawEventRetentionDays, whatever its size (no size filter on this rule).
    assert rules["ExpireRawEvents"] == {"Id": "ExpireRawEvents", "Prefix": ARCHIVE_PREFIX, "ExpirationInDays": 400, "Status": "Enabled"}
    # Only objects big enough for Glacier IR's 128 KiB minimum move, after 90 days (then 310 days there, past its 90).
    cold = rules["RawEventsToGlacierInstantRetrieval"]
    assert cold["Prefix"] == ARCHIVE_PREFIX and cold["ObjectSizeGreaterThan"] == "131072"
    assert cold["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}] and "ExpirationInDays" not in cold
    assert not any(DAILY_METRICS_PREFIX.startswith(rule["Prefix"]) for rule in rules.values())


RETAINED_TYPES = {"AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret"}


def test_an_operators_stack_keeps_its_data_and_only_the_secrets_have_fixed_names(synthesized: Synthesized) -> None:
    """By default `cdk destroy` keeps the tables, the bucket and the secrets. Of those only the secrets have fixed
    names, so they alone stand in the way of the next `cdk deploy`: the teardown in docs/deploying.md deletes each."""
    resources = synthesized.template_json["Resources"]
    retained = {logical_id: r for logical_id, r in resources.items() if r.get("DeletionPolicy") == "Retain"}
    assert {r["Type"] for r in retained.values()} == RETAINED_TYPES
    fixed_names = sorted(r["Properties"]["Name"] for r in retained.values() if r["Type"] == "AWS::SecretsManager::Secret")
    assert fixed_names == ["wom/Wom/email-hash-key", "wom/Wom/shopify-secret", "wom/Wom/signing-secret", "wom/Wom/status-token-key", "wom/Wom/stripe-webhook-secret"]
    assert not any("TableName" in r["Properties"] or "BucketName" in r["Properties"] for r in retained.values())
    teardown = (REPO_ROOT / "docs" / "deploying.md").read_text().split("## Teardown", 1)[1]
    for name in fixed_names:
        assert f"--secret-id {name} --force-delete-without-recovery" in teardown


@pytest.fixture(scope="module")
def test_stack(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The stack with wom:removalPolicy=destroy, as a test stack deploys it."""
    from infra.app import build_app
    from tests.infra.conftest import cdk_json_context

    outdir = tmp_path_factory.mktemp("cdk.out.destroy")
    app, stack = build_app(context={**cdk_json_context(), "aws:cdk:bundling-stacks": [], "wom:removalPolicy": "destroy"}, outdir=str(outdir))
    assembly = app.synth()  # cdk-nag passes on this variant too
    return json.loads(Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path).read_text())


def test_a_test_stack_destroys_everything(test_stack: dict) -> None:
    """wom:removalPolicy=destroy: nothing is kept, the bucket is emptied before it is deleted, and the secrets go
    too (CloudFormation deletes them without a recovery window), so `cdk destroy` then `cdk deploy` starts clean."""
    resources = test_stack["Resources"]
    assert not [logical_id for logical_id, r in resources.items() if r.get("DeletionPolicy") == "Retain" or r.get("UpdateReplacePolicy") == "Retain"]
    assert {r["Type"] for r in resources.values() if r.get("DeletionPolicy") == "Delete"} >= RETAINED_TYPES
    assert [r["Type"] for r in resources.values() if r["Type"] == "Custom::S3AutoDeleteObjects"] == ["Custom::S3AutoDeleteObjects"]


@pytest.mark.parametrize("retention,cold", [(400, True), (180, True), (179, False), (30, False)])
def test_raw_events_move_to_a_cheaper_class_only_where_it_pays(retention: int, cold: bool) -> None:
    from infra.constructs.storage import archive_lifecycle

    rules = archive_lifecycle(retention)
    assert rules[0].expiration.to_days() == retention
    assert (len(rules) == 2) == cold
