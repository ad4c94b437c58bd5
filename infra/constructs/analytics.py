"""Athena over the daily metrics objects (SPEC §5): a Glue database and table, and an Athena workgroup.

The table reads the metrics job's objects where they are written (shared.metrics.daily.object_key):
``s3://<metrics bucket>/metrics/daily/campaign_id=<id>/dt=<YYYY-MM-DD>/metrics.json``, one JSON Lines object each.
Partitions are projected, not catalogued: no crawler, no MSCK REPAIR, no partition to add when a campaign or a
day appears. ``campaign_id`` is injected (ids are unknown in advance), so Athena requires every query to name
its campaign ids with ``=`` or ``IN (...)`` literals; ``dt`` is a date range from PROJECTION_START to today.
Query results go to the same bucket under ATHENA_RESULTS_PREFIX, encrypted, by a workgroup whose settings
clients cannot override. How to query it: docs/athena.md.
"""

from __future__ import annotations

import re

from aws_cdk import Size, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.archive.lines import FIELDS as RAW_EVENT_FIELDS
from shared.platform.resources import ARCHIVE_PREFIX, ATHENA_RESULTS_PREFIX, COHORT_METRICS_PREFIX, DAILY_METRICS_PREFIX
from shared.metrics.daily import FIELDS
from shared.metrics.cohorts import FIELDS as COHORT_FIELDS

# Names: the database and workgroup carry the stack's name (two stacks in one account and region do not
# collide); the table's name is fixed, its database already says whose it is.
DATABASE_SUFFIX = "_metrics"
WORKGROUP_SUFFIX = "-metrics"
TABLE_NAME = "daily_metrics"
RAW_EVENTS_TABLE_NAME = "raw_events"
COHORTS_TABLE_NAME = "customer_cohorts"
# The cohort objects' folders (shared.metrics.cohorts.object_key): campaign_id=…/month=…/.
COHORT_PARTITION_KEYS: tuple[tuple[str, str], ...] = (("campaign_id", "string"), ("month", "string"))
# The object's fields that are partition keys, in path order (object_key writes campaign_id=…/dt=…/). A column
# may not repeat a partition key in Athena, so campaign_id is a partition key only; `date` stays a column (the
# same day as dt, as the object says it).
PARTITION_KEYS: tuple[tuple[str, str], ...] = (("campaign_id", "string"), ("dt", "string"))
# The first day `dt` projects: before the first wom deployment (2026-11), so no metrics day is ever outside.
# It only matters to a query without a `dt` condition, which reads every day from here to today.
PROJECTION_START = "2026-01-01"
# Athena cancels a query past this many bytes scanned. A campaign-day object is under 1 KB, so this is about a
# million campaign-days: far above any sane query, low enough to stop a runaway one early.
BYTES_SCANNED_CUTOFF = Size.gibibytes(1)

JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
TEXT_INPUT_FORMAT = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def glue_database_name(stack_name: str) -> str:
    """Glue folds database names to lower case, and Athena wants [a-z0-9_]: Wom -> wom_metrics."""
    return re.sub(r"[^a-z0-9_]", "_", stack_name.lower()) + DATABASE_SUFFIX


def athena_workgroup_name(stack_name: str) -> str:
    return stack_name + WORKGROUP_SUFFIX


def table_columns() -> list[tuple[str, str]]:
    """The object's fields (shared.metrics.daily.FIELDS), in order, less those that are partition keys."""
    partition_names = {name for name, _ in PARTITION_KEYS}
    return [(name, glue_type) for name, glue_type in FIELDS if name not in partition_names]


def cohort_columns() -> list[tuple[str, str]]:
    """The cohort object's fields (shared.metrics.cohorts.FIELDS), in order, less those that are partition keys."""
    partition_names = {name for name, _ in COHORT_PARTITION_KEYS}
    return [(name, glue_type) for name, glue_type in COHORT_FIELDS if name not in partition_names]


def _date_projection(key: str, date_format: str, start: str, unit: str) -> dict[str, str]:
    """A partition key projected as a range of dates (days or months) from `start` to today."""
    return {
        f"projection.{key}.type": "date",
        f"projection.{key}.format": date_format,
        f"projection.{key}.range": f"{start},NOW",
        f"projection.{key}.interval": "1",
        f"projection.{key}.interval.unit": unit,
    }


def cohorts_projection(location: str) -> dict[str, str]:
    """Cohorts by campaign (injected, as for the daily table) and first-purchase month (a monthly date range)."""
    return {
        "projection.enabled": "true",
        "projection.campaign_id.type": "injected",
        **_date_projection("month", "yyyy-MM", PROJECTION_START[:7], "MONTHS"),
        "storage.location.template": location + "campaign_id=${campaign_id}/month=${month}/",
    }


def projection_parameters(location: str) -> dict[str, str]:
    """Partition projection: `location` is the table's location (ends with /); ${…} are Athena's, not ours."""
    return {
        "projection.enabled": "true",
        "projection.campaign_id.type": "injected",
        **_date_projection("dt", "yyyy-MM-dd", PROJECTION_START, "DAYS"),
        "storage.location.template": location + "campaign_id=${campaign_id}/dt=${dt}/",
    }


def raw_events_projection(location: str) -> dict[str, str]:
    """The raw event archive's one partition key, `dt`, projected as a date range: every day is a folder."""
    return {
        "projection.enabled": "true",
        **_date_projection("dt", "yyyy-MM-dd", PROJECTION_START, "DAYS"),
        "storage.location.template": location + "dt=${dt}/",
    }


class Analytics(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, metrics_bucket: s3.IBucket) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        location = f"s3://{metrics_bucket.bucket_name}/{DAILY_METRICS_PREFIX}"

        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=glue_database_name(stack.stack_name),
                description="wom: daily referral metrics per campaign, for Athena",
            ),
        )
        self.table = self._json_table(
            "DailyMetricsTable",
            TABLE_NAME,
            "One row per campaign per day (the metrics job's objects). Partitions are projected: "
            "name campaign ids with = or IN (...), and filter on dt.",
            location,
            projection_parameters(location),
            PARTITION_KEYS,
            table_columns(),
        )
        raw_location = f"s3://{metrics_bucket.bucket_name}/{ARCHIVE_PREFIX}"
        self.raw_events_table = self._json_table(
            "RawEventsTable",
            RAW_EVENTS_TABLE_NAME,
            "The raw event archive: one row per recorded share, view, click request, conversion, refund and "
            "reward change (gzip JSON Lines). Partitions are projected: filter on dt.",
            raw_location,
            {"compressionType": "gzip", **raw_events_projection(raw_location)},
            (("dt", "string"),),
            list(RAW_EVENT_FIELDS),
        )
        cohorts_location = f"s3://{metrics_bucket.bucket_name}/{COHORT_METRICS_PREFIX}"
        self.cohorts_table = self._json_table(
            "CohortsTable",
            COHORTS_TABLE_NAME,
            "Customer value by first-purchase month: referred against not-referred customers, net revenue per "
            "customer and repeat-purchase rate at 30/90/180/365 days. Name campaign ids with = or IN (...).",
            cohorts_location,
            cohorts_projection(cohorts_location),
            COHORT_PARTITION_KEYS,
            cohort_columns(),
        )
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=athena_workgroup_name(stack.stack_name),
            description="wom: queries over the daily metrics and raw events tables; results encrypted in the metrics bucket",
            state="ENABLED",
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                # Clients may not send results elsewhere, unencrypted, or past the cutoff.
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF.to_bytes(),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{metrics_bucket.bucket_name}/{ATHENA_RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                    # Athena refuses to write results if the bucket has changed hands.
                    expected_bucket_owner=stack.account,
                ),
            ),
        )

    def _json_table(
        self,
        construct_id: str,
        name: str,
        description: str,
        location: str,
        parameters: dict[str, str],
        partition_keys: tuple[tuple[str, str], ...],
        columns: list[tuple[str, str]],
    ) -> glue.CfnTable:
        """An external JSON Lines table over `location`, its partitions projected by `parameters`."""
        stack = Stack.of(self)
        return glue.CfnTable(
            self,
            construct_id,
            catalog_id=stack.account,
            database_name=self.database.ref,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=description,
                table_type="EXTERNAL_TABLE",
                parameters={"EXTERNAL": "TRUE", "classification": "json", **parameters},
                partition_keys=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in partition_keys],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(name=n, type=t) for n, t in columns],
                    location=location,
                    input_format=TEXT_INPUT_FORMAT,
                    output_format=TEXT_OUTPUT_FORMAT,
                    serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=JSON_SERDE),
                ),
            ),
        )

    @property
    def database_name(self) -> str:
        return self.database.ref

    @property
    def table_name(self) -> str:
        return self.table.ref

    @property
    def raw_events_table_name(self) -> str:
        return self.raw_events_table.ref

    @property
    def cohorts_table_name(self) -> str:
        return self.cohorts_table.ref

    @property
    def workgroup_name(self) -> str:
        return self.workgroup.ref
