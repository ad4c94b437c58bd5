"""One Lambda function per shared.platform.deployment.FUNCTIONS entry, each with its own role and log group."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import app_code, layer_code, layer_requirements
from infra.config import StackConfig
from infra.constructs.buses import Buses
from infra.constructs.secrets import Secrets
from infra.constructs.storage import Storage
from infra.nag import acknowledge
from infra.permissions import FunctionAccess, access_for
from shared.platform.deployment import FUNCTIONS, FunctionDefinition, FunctionName
from shared.platform.resources import QueueDefinition
from shared.platform.settings import ENV_VARS

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
SERVICE_NAME = "wom"
# What an SQS event source mapping, running as the function's role, does with its queue (and nothing more:
# no GetQueueUrl, no SendMessage, no PurgeQueue).
QUEUE_CONSUMER_ACTIONS = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")
# wom:logLevel (Python's names) as Lambda's application log level names them.
APPLICATION_LOG_LEVELS = {"WARNING": "WARN", "CRITICAL": "FATAL"}


class WomFunction(Construct):
    """A function, its log group (explicit, with retention) and a role that can do only what ACCESS grants.

    No AWS managed policy: AWSLambdaBasicExecutionRole would allow logs:CreateLogGroup and writing to
    any log group in the account, where this role may only write streams of its own log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: FunctionDefinition,
        access: FunctionAccess,
        code: lambda_.Code,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
        storage: Storage,
        buses: Buses,
        secrets: Secrets,
        queues: Mapping[QueueDefinition, sqs.IQueue],
        log_level: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.definition = definition
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=LOG_RETENTION,
            # Operational logs, already bounded by retention: nothing to keep once the stack is gone.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"wom {definition.name} function",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        for table_definition, actions in access.tables.items():
            self.role.add_to_policy(
                iam.PolicyStatement(actions=list(actions), resources=[storage.table(table_definition).table_arn])
            )
        for index, actions in access.indexes.items():
            self.role.add_to_policy(iam.PolicyStatement(actions=list(actions), resources=[storage.index_arn(index)]))
        for bus in access.buses:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["events:PutEvents"], resources=[buses.bus(bus).event_bus_arn])
            )
        for table_definition in access.stream_reads:
            # What the event source mapping (running as this role) needs of the stream, on the stream alone.
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
                    resources=[_stream_arn(storage.table(table_definition))],
                )
            )
        for bucket_definition, prefixes in access.bucket_reads.items():
            bucket = storage.bucket(bucket_definition)
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes])
            )
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[bucket.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
                )
            )
            _acknowledge_prefixes(self.role, bucket, prefixes, definition.name, "reads objects under")
        for bucket_definition, prefixes in access.bucket_writes.items():
            bucket = storage.bucket(bucket_definition)
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in prefixes])
            )
            _acknowledge_prefixes(self.role, bucket, prefixes, definition.name, "writes objects whose keys it makes under")
        for secret in access.reads_secrets:
            secrets.secret(secret).grant_read(self.role)
        for queue_definition in access.sends_to:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queues[queue_definition].queue_arn])
            )
        for queue_definition in access.consumes:
            self.role.add_to_policy(
                iam.PolicyStatement(actions=list(QUEUE_CONSUMER_ACTIONS), resources=[queues[queue_definition].queue_arn])
            )

        self.function = lambda_.Function(
            self,
            "Function",
            description=f"wom: {definition.description}" if definition.description else f"wom {definition.name}",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=definition.handler,
            code=code,
            layers=layers,
            memory_size=definition.memory_mb,
            timeout=Duration.seconds(definition.timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            environment=environment,
            # JSON, and Lambda's own lines only from WARN: no START/END/REPORT line per request (each costs ingestion).
            logging_format=lambda_.LoggingFormat.JSON,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            application_log_level_v2=lambda_.ApplicationLogLevel[APPLICATION_LOG_LEVELS.get(log_level, log_level)],
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            (
                "Python 3.13 is pinned on purpose and is a supported Lambda runtime: the dependency layer is "
                "built from CPython 3.13 arm64 wheels (pydantic-core is compiled per interpreter version), so "
                "moving to a newer runtime is a deliberate upgrade of RUNTIME and LAYER_PYTHON_VERSION together."
            ),
        )


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        storage: Storage,
        buses: Buses,
        secrets: Secrets,
        queues: Mapping[QueueDefinition, sqs.IQueue],
        config: StackConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        # One code asset for every function (handlers are module paths into it) and one dependency layer.
        code = app_code()
        requirements = layer_requirements()
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=layer_code(requirements),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"wom run-time dependencies: {', '.join(requirements)}"[:256],
        )
        self.by_name: dict[FunctionName, WomFunction] = {}
        for definition in FUNCTIONS:
            access = access_for(definition.name)
            self.by_name[definition.name] = WomFunction(
                self,
                definition.name.capitalize(),
                definition=definition,
                access=access,
                code=code,
                layers=[self.dependencies],
                environment=_environment(definition, access, storage, buses, secrets, queues, config),
                storage=storage,
                buses=buses,
                secrets=secrets,
                queues=queues,
                log_level=config.log_level,
            )


def _stream_arn(table: object) -> str:
    arn = table.table_stream_arn  # type: ignore[attr-defined]
    if arn is None:
        raise ValueError("a function reads the stream of a table that has none (shared.platform.resources stream_view_type)")
    return arn


def _acknowledge_prefixes(role: iam.Role, bucket: object, prefixes: tuple[str, ...], function_name: str, verb: str) -> None:
    stack = Stack.of(role)
    bucket_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))  # type: ignore[attr-defined]
    for prefix in prefixes:
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]",
            (
                f"The {function_name} function {verb} {prefix!r} (one object per campaign and day, or per stream "
                "batch and day): a key prefix is the narrowest grant that allows that, and it reaches no other "
                "part of the bucket."
            ),
        )


def _environment(
    definition: FunctionDefinition,
    access: FunctionAccess,
    storage: Storage,
    buses: Buses,
    secrets: Secrets,
    queues: Mapping[QueueDefinition, sqs.IQueue],
    config: StackConfig,
) -> dict[str, str]:
    """Names come from shared.platform.settings.ENV_VARS, the same table the functions read their settings through."""
    # Which function this is: its clients' time limits (shared/platform/budget.py).
    environment = {ENV_VARS["function_name"]: definition.name}
    environment |= {table.env_var: storage.table(table).table_name for table in access.table_definitions}
    environment |= {queue.env_var: queues[queue].queue_url for queue in access.sends_to}
    environment |= {bus.env_var: buses.bus_name(bus) for bus in access.buses}
    environment |= {bucket.env_var: storage.bucket(bucket).bucket_name for bucket in access.bucket_definitions}
    environment |= {
        ENV_VARS["hot_event_days"]: str(config.hot_event_days),
        ENV_VARS["cors_origins"]: ",".join(config.cors_origins),
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_LOG_LEVEL": config.log_level,
        "LOG_LEVEL": config.log_level,
    }
    if config.fallback_url:
        environment[ENV_VARS["fallback_url"]] = config.fallback_url
    if config.public_base_url:
        environment[ENV_VARS["public_base_url"]] = config.public_base_url
    environment |= {secret.arn_env_var: secrets.secret(secret).secret.secret_arn for secret in access.reads_secrets}
    return environment
