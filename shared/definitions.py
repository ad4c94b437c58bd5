"""Resource definitions written once: the CDK stack and local mode both build from these.

Plain data on purpose: the Lambda functions import this module, so it must not pull in CDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FunctionName = Literal["tracking", "conversions", "admin", "rewards", "metrics"]
Auth = Literal["none", "admin"]


@dataclass(frozen=True)
class IndexDefinition:
    """A global secondary index with string keys, projecting every attribute. Sparse: only items that
    carry both key attributes are in it."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableDefinition:
    logical_id: str
    env_var: str
    partition_key: str
    sort_key: str
    ttl_attribute: str | None = None
    local_name: str = ""
    indexes: tuple[IndexDefinition, ...] = ()


@dataclass(frozen=True)
class BucketDefinition:
    logical_id: str
    env_var: str
    local_name: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway syntax: /r/{code}
    function: FunctionName
    auth: Auth = "none"

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


# Raw tracking events, partitioned by campaign, day and shard (see shared.keys); they expire.
EVENTS_TABLE = TableDefinition(
    logical_id="EventsTable",
    env_var="WOM_EVENTS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-events",
)

# The rewards job's work list: conversions, refunds and pending rewards carry (due_queue, due_at) until the
# job has dealt with them, so a run reads what is new or due and never the history.
DUE_INDEX = IndexDefinition(name="due", partition_key="due_queue", sort_key="due_at")
# Rewards listed by campaign and creation time for the admin API.
LISTING_INDEX = IndexDefinition(name="listing", partition_key="list_pk", sort_key="list_sk")

# Campaigns, advocates, codes, conversions, refunds, rewards and the visitor salts (which expire after 48 hours).
REFERRALS_TABLE = TableDefinition(
    logical_id="ReferralsTable",
    env_var="WOM_REFERRALS_TABLE",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
    local_name="wom-referrals",
    indexes=(DUE_INDEX, LISTING_INDEX),
)

TABLES: tuple[TableDefinition, ...] = (EVENTS_TABLE, REFERRALS_TABLE)

METRICS_BUCKET = BucketDefinition(logical_id="MetricsBucket", env_var="WOM_METRICS_BUCKET", local_name="wom-metrics")
# The daily metrics objects (SPEC §5): <prefix>campaign_id=<id>/dt=<YYYY-MM-DD>/metrics.json. The Glue table reads here.
DAILY_METRICS_PREFIX = "metrics/daily/"
# Where Athena's workgroup writes query results, in the same bucket, outside the table's location.
ATHENA_RESULTS_PREFIX = "athena-results/"


@dataclass(frozen=True)
class BusDefinition:
    logical_id: str
    env_var: str
    local_name: str
    source: str


# RewardApproved, RewardVoided and RewardAdjusted for the operator's fulfilment (SPEC §4).
REWARDS_BUS = BusDefinition(logical_id="RewardsBus", env_var="WOM_EVENT_BUS", local_name="wom-rewards", source="wom.rewards")

ROUTES: tuple[Route, ...] = (
    Route("GET", "/r/{code}", "tracking"),
    Route("HEAD", "/r/{code}", "tracking"),
    Route("GET", "/p.gif", "tracking"),
    Route("POST", "/v1/events", "tracking"),
    Route("OPTIONS", "/v1/events", "tracking"),
    # Signed by the storefront (Wom-Signature), checked in the function: no API Gateway authorizer.
    Route("POST", "/v1/conversions", "conversions"),
    Route("POST", "/v1/refunds", "conversions"),
    Route("GET", "/openapi.json", "admin"),
    Route("POST", "/v1/campaigns", "admin", auth="admin"),
    Route("GET", "/v1/campaigns/{campaign_id}", "admin", auth="admin"),
    Route("PATCH", "/v1/campaigns/{campaign_id}", "admin", auth="admin"),
    Route("POST", "/v1/campaigns/{campaign_id}/advocates", "admin", auth="admin"),
    Route("GET", "/v1/advocates/{advocate_id}", "admin", auth="admin"),
    Route("GET", "/v1/rewards", "admin", auth="admin"),
    Route("POST", "/v1/rewards/{reward_id}/fulfil", "admin", auth="admin"),
)


@dataclass(frozen=True)
class FunctionDefinition:
    name: FunctionName
    handler: str
    memory_mb: int
    timeout_seconds: int
    tables: tuple[TableDefinition, ...] = field(default_factory=tuple)
    description: str = ""
    buses: tuple[BusDefinition, ...] = field(default_factory=tuple)
    buckets: tuple[BucketDefinition, ...] = field(default_factory=tuple)


FUNCTIONS: tuple[FunctionDefinition, ...] = (
    FunctionDefinition(
        name="tracking",
        handler="functions.tracking.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=5,
        tables=(EVENTS_TABLE, REFERRALS_TABLE),
        description="Records shares, views and clicks; answers referral redirects and the pixel",
    ),
    FunctionDefinition(
        name="conversions",
        handler="functions.conversions.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=10,
        tables=(EVENTS_TABLE, REFERRALS_TABLE),
        description="Signed storefront posts: conversions with attribution, and refunds",
    ),
    FunctionDefinition(
        name="admin",
        handler="functions.admin.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=10,
        tables=(REFERRALS_TABLE,),
        description="Admin API: campaigns and advocates; serves the OpenAPI document",
    ),
    FunctionDefinition(
        name="rewards",
        handler="functions.rewards.handler.lambda_handler",
        memory_mb=512,
        timeout_seconds=300,
        tables=(EVENTS_TABLE, REFERRALS_TABLE),
        buses=(REWARDS_BUS,),
        description="Rewards job: creates, approves, voids and adjusts rewards; publishes reward events",
    ),
    FunctionDefinition(
        name="metrics",
        handler="functions.metrics.handler.lambda_handler",
        memory_mb=1024,
        timeout_seconds=900,
        tables=(EVENTS_TABLE, REFERRALS_TABLE),
        buckets=(METRICS_BUCKET,),
        description="Metrics job: daily funnel metrics per campaign to S3, advocates' daily shares and clicks",
    ),
)


@dataclass(frozen=True)
class ScheduleDefinition:
    """A job run by EventBridge Scheduler in AWS and by local mode's scheduler on this machine."""

    name: str
    function: FunctionName
    rate_minutes: int
    description: str = ""


SCHEDULES: tuple[ScheduleDefinition, ...] = (
    ScheduleDefinition(
        name="rewards",
        function="rewards",
        rate_minutes=15,
        description="Create rewards for new conversions, approve those past holding, void or adjust on refunds",
    ),
    ScheduleDefinition(
        name="metrics",
        function="metrics",
        rate_minutes=60,
        description="Recompute today's and yesterday's (UTC) daily metrics of every campaign",
    ),
)
