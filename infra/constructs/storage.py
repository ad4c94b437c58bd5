"""DynamoDB tables (with their indexes) and the metrics bucket, built from shared.platform.resources (local mode builds
from the same)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge
from infra.config import StackConfig
from shared.platform.resources import ARCHIVE_PREFIX, ATHENA_RESULTS_PREFIX, METRICS_BUCKET, TABLES, BucketDefinition, IndexDefinition, TableDefinition

# Athena's query results are copies of answers already seen; the metrics themselves never expire.
ATHENA_RESULTS_EXPIRY = Duration.days(30)
# Raw event archive objects move to Glacier Instant Retrieval (a sixth of Standard's storage price, the same
# millisecond reads, $0.03 a GB read) once they are past the hot window's use: by then they are read only by
# a query of old history or a recompute. Glacier IR bills at least 128 KiB an object and 90 days, so only
# objects above that size move, and only when the retention leaves them 90 days there.
ARCHIVE_COLD_AFTER_DAYS = 90
ARCHIVE_COLD_MIN_DAYS = 90
ARCHIVE_COLD_MIN_OBJECT_BYTES = 128 * 1024


def archive_lifecycle(retention_days: int) -> list[s3.LifecycleRule]:
    """Expire archived raw events after wom:rawEventRetentionDays (every object: a rule of its own, since a rule's
    size filter would hold back its expiration too); a cheaper class in between where it pays."""
    rules = [s3.LifecycleRule(id="ExpireRawEvents", prefix=ARCHIVE_PREFIX, expiration=Duration.days(retention_days))]
    if retention_days >= ARCHIVE_COLD_AFTER_DAYS + ARCHIVE_COLD_MIN_DAYS:
        rules.append(
            s3.LifecycleRule(
                id="RawEventsToGlacierInstantRetrieval",
                prefix=ARCHIVE_PREFIX,
                object_size_greater_than=ARCHIVE_COLD_MIN_OBJECT_BYTES,
                transitions=[s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transition_after=Duration.days(ARCHIVE_COLD_AFTER_DAYS))],
            )
        )
    return rules


def table_of(index: IndexDefinition) -> TableDefinition:
    """The one table in shared.platform.resources.TABLES that declares ``index``."""
    owners = [table for table in TABLES if index in table.indexes]
    if len(owners) != 1:
        raise ValueError(f"index {index.name!r} is declared by {len(owners)} tables in shared.platform.resources, not one")
    return owners[0]


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, destroy_data: bool = False, config: StackConfig | None = None) -> None:
        """`destroy_data` (wom:removalPolicy=destroy, for test stacks): `cdk destroy` deletes the tables and the
        bucket with its objects instead of keeping them."""
        super().__init__(scope, construct_id)
        self._removal = RemovalPolicy.DESTROY if destroy_data else RemovalPolicy.RETAIN
        config = config or StackConfig()
        self._lifecycle_rules = [
            s3.LifecycleRule(id="ExpireAthenaResults", prefix=ATHENA_RESULTS_PREFIX, expiration=ATHENA_RESULTS_EXPIRY),
            *archive_lifecycle(config.raw_event_retention_days),
        ]
        # Table (not TableV2): it synthesizes AWS::DynamoDB::Table, which the emulator's CloudFormation models.
        self.tables: dict[str, dynamodb.Table] = {
            definition.logical_id: self._table(definition) for definition in TABLES
        }
        self.metrics_bucket = s3.Bucket(
            self,
            METRICS_BUCKET.logical_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=self._removal,
            # A bucket must be empty to be deleted: CDK's provider empties it first (test stacks only).
            auto_delete_objects=destroy_data,
            lifecycle_rules=self._lifecycle_rules,
        )
        # CloudFormation's schema types ObjectSizeGreaterThan as a string; CDK writes a number.
        for index, rule in enumerate(self._lifecycle_rules):
            if rule.object_size_greater_than is not None:
                self.metrics_bucket.node.default_child.add_property_override(  # type: ignore[union-attr]
                    f"LifecycleConfiguration.Rules.{index}.ObjectSizeGreaterThan", str(rule.object_size_greater_than)
                )
        acknowledge(
            self.metrics_bucket,
            "AwsSolutions-S1",
            (
                "The metrics bucket holds derived, non-personal daily aggregates and the raw event archive "
                "(no customer id, email, IP, user agent or hash of one), written by the stack's own roles only. Per-request access "
                "logs would add a second bucket and a log object per request for no audit value; operators "
                "who need object-level audit can enable CloudTrail S3 data events."
            ),
        )

    def table(self, definition: TableDefinition) -> dynamodb.Table:
        return self.tables[definition.logical_id]

    def bucket(self, definition: BucketDefinition) -> s3.Bucket:
        if definition != METRICS_BUCKET:
            raise KeyError(f"the stack has no bucket {definition.logical_id!r}")
        return self.metrics_bucket

    def index_arn(self, index: IndexDefinition) -> str:
        """The ARN of one index (``<table ARN>/index/<name>``): grants on it reach that index and no other."""
        return f"{self.table(table_of(index)).table_arn}/index/{index.name}"

    def _table(self, definition: TableDefinition) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            definition.logical_id,
            partition_key=dynamodb.Attribute(name=definition.partition_key, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=definition.sort_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=definition.point_in_time_recovery
            ),
            time_to_live_attribute=definition.ttl_attribute,
            stream=dynamodb.StreamViewType[definition.stream_view_type] if definition.stream_view_type else None,
            removal_policy=self._removal,
        )
        if not definition.point_in_time_recovery:
            if not definition.no_backup_reason:
                raise ValueError(f"{definition.logical_id} goes without point-in-time recovery: say why (no_backup_reason)")
            acknowledge(table, "AwsSolutions-DDB3", definition.no_backup_reason)
        for index in definition.indexes:
            # On demand like the table (no capacity to set); every attribute projected, so a query needs no
            # second read of the table.
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(name=index.partition_key, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=index.sort_key, type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table
