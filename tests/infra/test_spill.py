"""The spill queue in the template (infra/constructs/spill.py): the queue and its dead letters, the replay's event
source mapping, who may send to and read from the queue, the alarms on both queues and the outputs."""

from __future__ import annotations

from typing import Any

from infra.constructs.spill import SPILL_BATCH_SIZE, SPILL_BATCHING_WINDOW, SPILL_MAX_CONCURRENCY
from shared.platform.deployment import FUNCTIONS
from shared.platform.resources import EVENTS_TABLE, REFERRALS_TABLE, SPILL_MAX_RECEIVES, SPILL_QUEUE
from tests.infra.conftest import Synthesized
from tests.infra.test_functions import (
    actions,
    function_resource,
    granted_by_resource,
    resource_keys,
    role_of,
    statements_of,
    table_logical_id,
)

REPLAY = next(definition for definition in FUNCTIONS if definition.name == "replay")
TRACKING = next(definition for definition in FUNCTIONS if definition.name == "tracking")
FOURTEEN_DAYS = 14 * 86_400


def spill_queue_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id("AWS::SQS::Queue", "SpillQueue")


def dead_letters_id(synthesized: Synthesized) -> str:
    return synthesized.logical_id("AWS::SQS::Queue", "SpillDeadLetters")


def queue(synthesized: Synthesized, logical_id: str) -> dict[str, Any]:
    return synthesized.template_json["Resources"][logical_id]["Properties"]


def queue_policy_statements(synthesized: Synthesized, logical_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": logical_id}]
    ]
    return policy


def replay_mapping(synthesized: Synthesized) -> dict[str, Any]:
    replay_id, _ = function_resource(synthesized, REPLAY)
    (mapping,) = [
        m["Properties"]
        for m in synthesized.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": replay_id}
    ]
    return mapping


def test_both_queues_are_encrypted_and_keep_messages_fourteen_days(synthesized: Synthesized) -> None:
    for logical_id in (spill_queue_id(synthesized), dead_letters_id(synthesized)):
        properties = queue(synthesized, logical_id)
        assert properties["SqsManagedSseEnabled"] is True, logical_id
        assert "KmsMasterKeyId" not in properties, "SQS-managed keys: no KMS key to grant"
        assert properties["MessageRetentionPeriod"] == FOURTEEN_DAYS, logical_id


def test_both_queues_refuse_anything_but_tls(synthesized: Synthesized) -> None:
    for logical_id in (spill_queue_id(synthesized), dead_letters_id(synthesized)):
        assert queue_policy_statements(synthesized, logical_id) == [
            {
                "Action": "sqs:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Resource": {"Fn::GetAtt": [logical_id, "Arn"]},
            }
        ]


def test_the_spill_queue_moves_a_message_to_its_dead_letters_after_the_max_receives(synthesized: Synthesized) -> None:
    properties = queue(synthesized, spill_queue_id(synthesized))
    assert properties["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters_id(synthesized), "Arn"]},
        "maxReceiveCount": SPILL_MAX_RECEIVES,
    }
    assert SPILL_MAX_RECEIVES == 10  # about an hour of retrying at the visibility timeout below
    # The dead letters end the line: nothing redrives them but the operator.
    assert "RedrivePolicy" not in queue(synthesized, dead_letters_id(synthesized))


def test_the_visibility_timeout_is_six_replay_timeouts_and_the_batching_window(synthesized: Synthesized) -> None:
    """AWS: at least six times the function's timeout plus MaximumBatchingWindowInSeconds, so a batch that Lambda
    is still retrying is never delivered again meanwhile."""
    mapping = replay_mapping(synthesized)
    visibility = queue(synthesized, spill_queue_id(synthesized))["VisibilityTimeout"]
    assert visibility >= 6 * REPLAY.timeout_seconds + mapping["MaximumBatchingWindowInSeconds"]
    assert visibility == 365


def test_the_replay_reads_the_spill_queue_in_small_bounded_batches_reporting_failures(synthesized: Synthesized) -> None:
    mapping = replay_mapping(synthesized)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [spill_queue_id(synthesized), "Arn"]}
    # Only the messages the handler reports come back (functions/replay uses Powertools' BatchProcessor).
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == SPILL_BATCH_SIZE == 10
    assert mapping["MaximumBatchingWindowInSeconds"] == SPILL_BATCHING_WINDOW.to_seconds() == 5
    # Bounded, so a backlog after an outage does not throttle the table again (Lambda's minimum is 2).
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": SPILL_MAX_CONCURRENCY}
    assert 2 <= SPILL_MAX_CONCURRENCY <= 5
    # An SQS source has no stream settings: retries are the queue's redrive, failures its dead letters.
    assert not {"StartingPosition", "DestinationConfig", "MaximumRetryAttempts", "BisectBatchOnFunctionError"} & set(mapping)
    consumers = [
        m for m in synthesized.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [spill_queue_id(synthesized), "Arn"]}
    ]
    assert len(consumers) == 1, "the replay is the spill queue's one consumer"


def test_the_mapping_is_created_after_the_replay_role_may_read_the_queue(synthesized: Synthesized) -> None:
    """Lambda checks the role's SQS permissions when the mapping is created: the function (which the mapping
    references) waits for its role's policy."""
    replay_id, replay = function_resource(synthesized, REPLAY)
    role_id = role_of(synthesized, REPLAY)
    (policy_id,) = [
        logical_id
        for logical_id, policy in synthesized.resources("AWS::IAM::Policy").items()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    assert policy_id in replay["DependsOn"]
    assert replay_mapping(synthesized)["FunctionName"] == {"Ref": replay_id}


def sqs_grants(synthesized: Synthesized) -> dict[str, dict[str, set[str]]]:
    """Every function's SQS actions, by resource key."""
    granted: dict[str, dict[str, set[str]]] = {}
    for definition in FUNCTIONS:
        for statement in statements_of(synthesized, role_of(synthesized, definition)):
            sqs_actions = {a for a in actions(statement) if a.startswith("sqs:")}
            for key in resource_keys(statement) if sqs_actions else ():
                granted.setdefault(definition.name, {}).setdefault(key, set()).update(sqs_actions)
    return granted


def test_only_tracking_sends_to_the_spill_queue_and_only_replay_reads_it(synthesized: Synthesized) -> None:
    spill = spill_queue_id(synthesized)
    by_function = {name: grants[spill] for name, grants in sqs_grants(synthesized).items() if spill in grants}
    assert by_function == {
        "tracking": {"sqs:SendMessage"},
        "replay": {"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"},
    }
    # The tracking function may send to no other queue, and nobody may touch the dead letters (the move back is
    # the operator's, with their own credentials).
    assert sqs_grants(synthesized)["tracking"] == {spill: {"sqs:SendMessage"}}
    assert sqs_grants(synthesized)["replay"] == {spill: by_function["replay"]}
    assert not [name for name, grants in sqs_grants(synthesized).items() if dead_letters_id(synthesized) in grants]


def test_the_tracking_function_is_told_the_spill_queue_and_the_replay_is_not(synthesized: Synthesized) -> None:
    for definition in FUNCTIONS:
        variables = function_resource(synthesized, definition)[1]["Properties"]["Environment"]["Variables"]
        if definition is TRACKING:
            assert variables[SPILL_QUEUE.env_var] == {"Ref": spill_queue_id(synthesized)}  # a queue's Ref is its URL
        else:
            assert SPILL_QUEUE.env_var not in variables, definition.name


def test_the_replay_writes_events_and_markers_and_reads_codes_only(synthesized: Synthesized) -> None:
    """shared/tracking/repository.py replay_new (a conditional Put of a share or view) and replay_hit (an Update of
    the click and a Put of its marker in one TransactWriteItems, authorised per item action), and
    shared/campaigns/targets.py (GetItem of a pending event's code and campaign)."""
    granted = granted_by_resource(synthesized, REPLAY)
    assert granted.pop(table_logical_id(synthesized, EVENTS_TABLE)) == {"dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert granted.pop(table_logical_id(synthesized, REFERRALS_TABLE)) == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert granted.pop(spill_queue_id(synthesized)) == {
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"
    }
    (logs,) = granted.values()
    assert logs == {"logs:CreateLogStream", "logs:PutLogEvents"}


def alarm(synthesized: Synthesized, name: str) -> dict[str, Any]:
    (found,) = [a["Properties"] for a in synthesized.resources("AWS::CloudWatch::Alarm").values() if a["Properties"]["AlarmName"] == name]
    return found


def test_the_spill_queues_age_and_its_dead_letters_are_alarmed(synthesized: Synthesized) -> None:
    age = alarm(synthesized, "Wom-SpillOldestMessage")
    assert (age["Namespace"], age["MetricName"], age["Statistic"], age["Threshold"]) == (
        "AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", 900
    )
    assert age["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [spill_queue_id(synthesized), "QueueName"]}}]
    dead = alarm(synthesized, "Wom-SpillDeadLetters")
    assert (dead["Namespace"], dead["MetricName"], dead["Statistic"], dead["Threshold"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 0
    )
    assert dead["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters_id(synthesized), "QueueName"]}}]
    assert "the replay's given-up spilled events" in dead["AlarmDescription"]
    assert dead["AlarmDescription"].endswith("See docs/operations.md#dead-letters.")
    # The replay function's own errors and throttles, like every function's.
    replay_id, _ = function_resource(synthesized, REPLAY)
    errors = alarm(synthesized, "Wom-ReplayErrors")
    assert errors["MetricName"] == "Errors" and errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": replay_id}}]
    assert alarm(synthesized, "Wom-ReplayThrottles")["MetricName"] == "Throttles"


def test_the_queue_urls_are_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template_json["Outputs"]
    assert outputs["SpillQueueUrl"]["Value"] == {"Ref": spill_queue_id(synthesized)}
    assert outputs["SpillDeadLettersUrl"]["Value"] == {"Ref": dead_letters_id(synthesized)}
    assert "redrive" in outputs["SpillDeadLettersUrl"]["Description"]
