"""SPEC §7: each function's storage calls fit its own timeout (shared/platform/budget.py), so a slow or throttling
table turns no answer and no replay batch into a Lambda timeout."""

from __future__ import annotations

from infra.permissions import ACCESS
from shared.platform.budget import BUDGETS, REPLAY_CALLS, budget_for
from shared.platform.deployment import FUNCTIONS, ROUTES

ROUTED = {route.function for route in ROUTES}


def test_every_function_has_limits_and_each_request_answers_inside_its_timeout():
    assert set(BUDGETS) == {f.name for f in FUNCTIONS}
    for function in FUNCTIONS:
        budget = budget_for(function.name)
        assert budget.timeout_seconds == function.timeout_seconds
        if function.name in ROUTED:
            # Storage failing any way it can, the answer still comes within 80 % of the timeout.
            assert budget.answer_within_seconds is not None and budget.answer_within_seconds <= 0.8 * function.timeout_seconds, function.name
        if ACCESS[function.name].table_definitions:
            # Each single DynamoDB call fits the timeout too (a job's run is bounded by its own time checks).
            assert budget.storage.worst_seconds < function.timeout_seconds, function.name


def test_the_tracking_function_tries_once_and_answers_within_three_of_its_five_seconds():
    tracking = budget_for("tracking")
    assert tracking.storage.max_attempts == 1 and tracking.spill is not None
    assert tracking.answer_within_seconds <= 3.0


def test_a_replay_batch_stops_calling_storage_before_its_timeout():
    replay = budget_for("replay")
    assert replay.storage == REPLAY_CALLS
    assert replay.answer_within_seconds is not None and replay.answer_within_seconds < replay.timeout_seconds


def test_the_emulator_keeps_the_attempts_and_relaxes_the_timeouts():
    tracking = budget_for("tracking").storage
    local = tracking.against_the_emulator()
    assert local.max_attempts == tracking.max_attempts
    assert local.read_timeout >= tracking.read_timeout and local.connect_timeout >= tracking.connect_timeout
