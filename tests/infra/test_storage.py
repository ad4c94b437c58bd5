"""Tables from shared.definitions.TABLES, the metrics bucket, and the generated secrets."""

from __future__ import annotations

import pytest

from shared.definitions import TABLES, TableDefinition
from tests.infra.conftest import Synthesized
from tests.infra.test_functions import table_logical_id


@pytest.mark.parametrize("definition", TABLES, ids=[t.logical_id for t in TABLES])
def test_table(synthesized: Synthesized, definition: TableDefinition) -> None:
    table = synthesized.template_json["Resources"][table_logical_id(synthesized, definition)]
    assert table["Type"] == "AWS::DynamoDB::Table", "Table, not TableV2: the emulator has no GlobalTable"
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["KeySchema"] == [
        {"AttributeName": definition.partition_key, "KeyType": "HASH"},
        {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        [
            {"AttributeName": definition.partition_key, "AttributeType": "S"},
            {"AttributeName": definition.sort_key, "AttributeType": "S"},
        ],
        key=lambda a: a["AttributeName"],
    )
    if definition.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": definition.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties


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
