"""WomStack: a thin composition of one construct per concern."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.analytics import Analytics
from infra.constructs.archive import Archive
from infra.constructs.api import Api
from infra.constructs.buses import BUSES, Buses
from infra.constructs.functions import Functions
from infra.constructs.jobs import Jobs
from infra.constructs.monitoring import Monitoring, Watched
from infra.constructs.secrets import Secrets
from infra.constructs.spill import REPLAY_FUNCTION, Spill
from infra.constructs.storage import Storage
from infra.permissions import access_for
from shared.platform.deployment import FUNCTIONS
from shared.platform.resources import HASH_KEY_SECRET, METRICS_BUCKET, STATUS_TOKEN_KEY_SECRET, TABLES, SecretDefinition

# What an operator does with a secret other than the storefront signing secret or a platform's.
_SECRET_OUTPUTS: dict[SecretDefinition, str] = {
    STATUS_TOKEN_KEY_SECRET: "wom's key of advocates' status tokens: to rotate, put new,old (the first signs) and drop old after 30 days",
}


class WomStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        config = StackConfig.from_context(self)
        self.storage = Storage(self, "Storage", destroy_data=config.destroys_data, config=config)
        self.buses = Buses(self, "Buses", archive_retention_days=config.reward_event_archive_days)
        self.secrets = Secrets(
            self, tuple(dict.fromkeys(s for d in FUNCTIONS for s in access_for(d.name).reads_secrets)), destroy=config.destroys_data
        )
        # The queues first (functions are told their URLs and granted them), the replay's mapping once it exists.
        self.spill = Spill(self, "Spill")
        self.functions = Functions(
            self,
            "Functions",
            storage=self.storage,
            buses=self.buses,
            secrets=self.secrets,
            queues=self.spill.by_definition,
            config=config,
        )
        self.spill.deliver_to(self.functions.by_name[REPLAY_FUNCTION].function)
        self.api = Api(self, "Api", functions=self.functions.by_name, config=config)
        self.jobs = Jobs(self, "Jobs", functions=self.functions.by_name)
        self.archive = Archive(self, "Archive", storage=self.storage, writer=self.functions.by_name["archive"])
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            api=self.api.http_api,
            functions={name: function.function for name, function in self.functions.by_name.items()},
            storage=self.storage,
            dead_letter_queues={
                **{
                    f"{name.capitalize()}Job": Watched(f"the {name} job's runs", queue)
                    for name, queue in self.jobs.dead_letter_queues.items()
                },
                "ArchiveWriter": Watched("the archive writer's given-up batches (shard and sequence numbers to replay)", self.archive.failures),
                "Spill": Watched("the replay's given-up spilled events", self.spill.dead_letters),
            },
            spill_queue=self.spill.queue,
            config=config,
        )
        self.analytics = Analytics(self, "Analytics", metrics_bucket=self.storage.metrics_bucket)

        CfnOutput(self, "ApiUrl", value=self.api.url, description="Base URL of the wom HTTP API")
        for name, function in self.functions.by_name.items():
            CfnOutput(
                self,
                f"{name.capitalize()}LogGroupName",
                value=function.log_group.log_group_name,
                description=f"CloudWatch log group of the {name} function (aws logs tail / filter-log-events)",
            )
        CfnOutput(self, "ApiAccessLogGroupName", value=self.api.access_logs.log_group_name, description="The HTTP API's access log")
        for definition in TABLES:
            CfnOutput(self, definition.logical_id + "Name", value=self.storage.table(definition).table_name)
        CfnOutput(self, METRICS_BUCKET.logical_id + "Name", value=self.storage.metrics_bucket.bucket_name)
        CfnOutput(
            self,
            "GlueDatabaseName",
            value=self.analytics.database_name,
            description="Glue database of the daily metrics table (Athena: the query's database)",
        )
        CfnOutput(
            self,
            "GlueTableName",
            value=self.analytics.table_name,
            description="Daily metrics per campaign; name campaign ids with = or IN (...) and filter on dt",
        )
        CfnOutput(
            self,
            "RawEventsTableName",
            value=self.analytics.raw_events_table_name,
            description="Raw events, one line per request (docs/athena.md); filter on dt",
        )
        CfnOutput(
            self,
            "CohortsTableName",
            value=self.analytics.cohorts_table_name,
            description="Customer value by first-purchase month (docs/athena.md); name campaign ids with = or IN (...)",
        )
        CfnOutput(
            self,
            "ArchiveFailuresQueueUrl",
            value=self.archive.failures.queue_url,
            description="Batches of raw events the archive writer gave up on (shard and sequence numbers)",
        )
        CfnOutput(
            self,
            "SpillQueueUrl",
            value=self.spill.queue.queue_url,
            description="Tracked events whose write failed, until the replay function writes them (docs/operations.md)",
        )
        CfnOutput(
            self,
            "SpillDeadLettersUrl",
            value=self.spill.dead_letters.queue_url,
            description="Spilled events the replay gave up on: redrive them into the spill queue (docs/operations.md)",
        )
        CfnOutput(
            self,
            "AthenaWorkGroupName",
            value=self.analytics.workgroup_name,
            description="Run metrics queries in this workgroup: results encrypted in the metrics bucket",
        )
        for bus in BUSES:
            CfnOutput(
                self,
                bus.logical_id + "Name",
                value=self.buses.bus_name(bus),
                description=f"EventBridge bus of the events with source {bus.source}: add rules here",
            )
            CfnOutput(
                self,
                bus.logical_id + "ArchiveArn",
                value=self.buses.archive(bus).attr_arn,
                description="Replay its events to a rule added later: aws events start-replay (docs/operations.md)",
            )
        CfnOutput(self, "DashboardUrl", value=self.monitoring.dashboard_url, description="The wom CloudWatch dashboard")
        CfnOutput(
            self,
            "AlarmTopicArn",
            value=self.monitoring.notifications.topic.topic_arn,
            description="Every alarm notifies this SNS topic: subscribe to it (docs/operations.md)",
        )
        for secret in self.secrets.by_definition.values():
            if secret.definition == HASH_KEY_SECRET:
                continue  # nobody outside the stack needs it
            CfnOutput(
                self,
                secret.definition.logical_id + "Name",
                value=secret.secret_name,
                description=_SECRET_OUTPUTS.get(
                    secret.definition,
                    "Paste the platform's secret here (secretsmanager put-secret-value)"
                    if secret.definition.set_by_operator
                    else "Read it (secretsmanager get-secret-value) to configure storefronts' Wom-Signature",
                ),
            )
