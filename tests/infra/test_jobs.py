"""Scheduled jobs from shared.platform.deployment.SCHEDULES, their dead-letter queues, and the event buses (their alarms:
test_monitoring.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.constructs.buses import BUSES
from infra.permissions import ACCESS
from shared.platform.deployment import FUNCTIONS, SCHEDULES, FunctionDefinition, ScheduleDefinition
from shared.platform.resources import BusDefinition
from tests.infra.conftest import Synthesized
from tests.infra.test_functions import (
    bus_logical_id,
    dead_letter_queue_id,
    function_resource,
    granted_by_resource,
    role_of,
    statements_of,
)

JOB_FUNCTIONS = [d for d in FUNCTIONS if d.name in {s.function for s in SCHEDULES}]
UNITS_IN_MINUTES = {"minute": 1, "minutes": 1, "hour": 60, "hours": 60, "day": 1440, "days": 1440}


def rate_in_minutes(expression: str) -> int:
    """rate(15 minutes) -> 15, rate(1 hour) -> 60 (the forms EventBridge Scheduler accepts)."""
    match = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression)
    assert match, f"not a rate expression: {expression}"
    return int(match[1]) * UNITS_IN_MINUTES[match[2]]


def schedule_resource(synthesized: Synthesized, schedule: ScheduleDefinition) -> dict[str, Any]:
    (resource,) = [
        resource
        for resource in synthesized.resources("AWS::Scheduler::Schedule").values()
        if json.loads(resource["Properties"]["Target"]["Input"]) == {"job": schedule.name}
    ]
    return resource["Properties"]


def definition_of(schedule: ScheduleDefinition) -> FunctionDefinition:
    (definition,) = [d for d in FUNCTIONS if d.name == schedule.function]
    return definition


def queue_arn(synthesized: Synthesized, function_name: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [dead_letter_queue_id(synthesized, function_name), "Arn"]}


def test_one_schedule_per_definition(synthesized: Synthesized) -> None:
    assert len(synthesized.resources("AWS::Scheduler::Schedule")) == len(SCHEDULES)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s.name for s in SCHEDULES])
def test_schedule_invokes_its_function_at_its_rate(synthesized: Synthesized, schedule: ScheduleDefinition) -> None:
    properties = schedule_resource(synthesized, schedule)
    assert rate_in_minutes(properties["ScheduleExpression"]) == schedule.rate_minutes
    assert properties["State"] == "ENABLED"
    assert properties["FlexibleTimeWindow"] == {"Mode": "OFF"}
    function_id = function_resource(synthesized, definition_of(schedule))[0]
    assert properties["Target"]["Arn"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert json.loads(properties["Target"]["Input"]) == {"job": schedule.name}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s.name for s in SCHEDULES])
def test_schedule_retries_are_bounded_then_dead_lettered(
    synthesized: Synthesized, schedule: ScheduleDefinition
) -> None:
    target = schedule_resource(synthesized, schedule)["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert target["DeadLetterConfig"] == {"Arn": queue_arn(synthesized, schedule.function)}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s.name for s in SCHEDULES])
def test_scheduler_role_may_only_invoke_the_function_and_dead_letter(
    synthesized: Synthesized, schedule: ScheduleDefinition
) -> None:
    role_id = schedule_resource(synthesized, schedule)["Target"]["RoleArn"]["Fn::GetAtt"][0]
    role = synthesized.template_json["Resources"][role_id]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    # Confused deputy: only this account's default schedule group may use the role.
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "schedule-group/default" in json.dumps(trust["Condition"]["StringEquals"]["aws:SourceArn"])
    assert "ManagedPolicyArns" not in role

    granted: dict[str, list[str]] = {}
    for statement in statements_of(synthesized, role_id):
        assert statement["Effect"] == "Allow"
        granted[json.dumps(statement["Resource"])] = (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    function_id = function_resource(synthesized, definition_of(schedule))[0]
    # The function itself, not <function ARN>:* (every version and alias), which grant_invoke would add.
    assert granted == {
        json.dumps({"Fn::GetAtt": [function_id, "Arn"]}): ["lambda:InvokeFunction"],
        json.dumps(queue_arn(synthesized, schedule.function)): ["sqs:SendMessage"],
    }


@pytest.mark.parametrize("definition", JOB_FUNCTIONS, ids=[d.name for d in JOB_FUNCTIONS])
def test_job_function_async_invocation_is_bounded_then_dead_lettered(
    synthesized: Synthesized, definition: FunctionDefinition
) -> None:
    function_id = function_resource(synthesized, definition)[0]
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": function_id},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {"OnFailure": {"Destination": queue_arn(synthesized, definition.name)}},
        },
    )
    # The function may deliver its failure records there (and only send: no receive, no queue attributes).
    assert granted_by_resource(synthesized, definition)[dead_letter_queue_id(synthesized, definition.name)] == {
        "sqs:SendMessage"
    }


def test_only_job_functions_have_an_async_invoke_config(synthesized: Synthesized) -> None:
    configs = synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
    configured = {config["Properties"]["FunctionName"]["Ref"] for config in configs}
    assert configured == {function_resource(synthesized, d)[0] for d in JOB_FUNCTIONS}


@pytest.mark.parametrize("definition", JOB_FUNCTIONS, ids=[d.name for d in JOB_FUNCTIONS])
def test_dead_letter_queue_is_encrypted_and_ssl_only(synthesized: Synthesized, definition: FunctionDefinition) -> None:
    queue_id = dead_letter_queue_id(synthesized, definition.name)
    queue = synthesized.template_json["Resources"][queue_id]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600, "the SQS maximum, to investigate"
    assert "RedrivePolicy" not in queue["Properties"], "a dead-letter queue is the end of the line"
    synthesized.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "sqs:*",
                            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ]
                )
            },
        },
    )


def test_one_dead_letter_queue_per_job_function(synthesized: Synthesized) -> None:
    jobs = [i for i in synthesized.resources("AWS::SQS::Queue") if i.startswith("Jobs")]
    assert len(jobs) == len(JOB_FUNCTIONS)


@pytest.mark.parametrize("bus", BUSES, ids=[b.logical_id for b in BUSES])
def test_bus_is_a_custom_bus_named_in_the_outputs(synthesized: Synthesized, bus: BusDefinition) -> None:
    bus_id = bus_logical_id(synthesized, bus)
    properties = synthesized.template_json["Resources"][bus_id]["Properties"]
    assert properties["Name"] not in ("", "default")
    assert bus.source in properties["Description"]
    assert synthesized.template_json["Outputs"][f"{bus.logical_id}Name"]["Value"] == {"Fn::GetAtt": [bus_id, "Name"]}


def test_rewards_function_publishes_to_the_rewards_bus_by_name(synthesized: Synthesized) -> None:
    (rewards,) = [d for d in FUNCTIONS if d.name == "rewards"]
    (bus,) = ACCESS["rewards"].buses
    assert bus.env_var == "WOM_EVENT_BUS" and bus.source == "wom.rewards"
    variables = function_resource(synthesized, rewards)[1]["Properties"]["Environment"]["Variables"]
    assert variables["WOM_EVENT_BUS"] == {"Fn::GetAtt": [bus_logical_id(synthesized, bus), "Name"]}
    role_id = role_of(synthesized, rewards)
    puts = [s for s in statements_of(synthesized, role_id) if "events:PutEvents" in json.dumps(s["Action"])]
    assert [s["Resource"] for s in puts] == [{"Fn::GetAtt": [bus_logical_id(synthesized, bus), "Arn"]}]


def test_every_bus_is_published_to(synthesized: Synthesized) -> None:
    assert len(synthesized.resources("AWS::Events::EventBus")) == len(BUSES) >= 1


@pytest.mark.parametrize("bus", BUSES, ids=[b.logical_id for b in BUSES])
def test_bus_archives_its_events_for_replay(synthesized: Synthesized, bus: BusDefinition) -> None:
    """A consumer rule added later can be given what it missed (docs/operations.md: aws events start-replay)."""
    bus_id = bus_logical_id(synthesized, bus)
    (archive_id, archive), *others = [
        (k, r["Properties"])
        for k, r in synthesized.resources("AWS::Events::Archive").items()
        if r["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    ]
    assert not others
    assert "EventPattern" not in archive, "everything the bus receives"
    assert archive["ArchiveName"] == f"Wom-{bus.logical_id}"
    # Bounded (0 would keep reward events, and the customer ids in them, past any erasure for good).
    assert archive["RetentionDays"] == 35
    assert synthesized.template_json["Outputs"][f"{bus.logical_id}ArchiveArn"]["Value"] == {
        "Fn::GetAtt": [archive_id, "Arn"]
    }
