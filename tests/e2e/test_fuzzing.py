"""Fuzzing local mode over real HTTP (issue 11): schemathesis generates requests from `GET /openapi.json` for every
operation, valid and invalid, one by one and as linked sequences (ids that exist); a hypothesis fuzzer of its own
throws hostile JSON at the signed and public JSON routes, signed so it gets past the signature check. Every answer
must be below 500 and conform to the document (status, content type, headers, body schema).

Bounded for CI on two busy cores: a fixed number of examples per operation, deterministic generation (the same
requests every run), no example database. The tally of what was sent is printed at the end of the session.
"""

from __future__ import annotations

import json

import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode

from functions.admin.openapi import openapi_dict
from shared.platform.deployment import ROUTES
from tests.e2e.conftest import _free_port, local_mode_environment, start_local_mode, stop_local_mode
from tests.e2e.fuzzing import FUZZING_SESSION, AuthorizingSession, credentials
from tests.e2e.support import Api, LocalMode

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 50
STATEFUL_STEPS = 60
# unsupported_method: API Gateway HTTP APIs answer 404 (not 405) for a method a path has no route for, and local
# mode does the same. positive_data_acceptance: rules a JSON schema cannot carry (an occurred_at window around now,
# a cursor the listing handed out, a destination's public host) answer a documented 400 to schema-valid input.
EXCLUDED_CHECKS = ("unsupported_method", "positive_data_acceptance")
_AUTH = {(route.method, route.path): route.auth for route in ROUTES}


@pytest.fixture(scope="session")
def session() -> AuthorizingSession:
    return FUZZING_SESSION


@pytest.fixture(scope="module")
def local_mode(tmp_path_factory: pytest.TempPathFactory):
    """A local mode of the fuzzer's own: its linked sequences list campaigns and patch what they find (pausing a
    campaign, moving its destination), which must not reach the campaign the other e2e tests share."""
    logs = tmp_path_factory.mktemp("wom-run-fuzzing")
    local = start_local_mode(local_mode_environment(_free_port(), _free_port(), logs / "data"), logs, "--fresh")
    yield local
    stop_local_mode(local)


def _load_schema() -> schemathesis.BaseSchema:
    # Built in this process at collection time (the port of local mode is not known yet); the first test checks the
    # served document is this very one. (schemathesis' from_fixture does not run under pytest 9.)
    loaded = schemathesis.openapi.from_dict(openapi_dict())
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES_PER_OPERATION,
        deterministic=True,
        database="none",
    )
    return loaded


schema = _load_schema()


@pytest.fixture(scope="module")
def api_schema(local_mode: LocalMode) -> schemathesis.BaseSchema:
    served = Api(local_mode.base_url).get("/openapi.json").json()
    assert served == json.loads(json.dumps(openapi_dict())), "the document local mode serves is not the one fuzzed"
    schema.config.update(base_url=local_mode.base_url)
    return schema


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case: schemathesis.Case, api_schema: schemathesis.BaseSchema, local_mode: LocalMode, session: AuthorizingSession):
    headers = credentials(_AUTH.get((case.method.upper(), case.path), "none"))
    case.call_and_validate(base_url=local_mode.base_url, session=session, headers=headers, excluded_checks=_excluded())


def _excluded() -> list:
    from schemathesis.checks import CHECKS

    return [CHECKS.get_one(name) for name in EXCLUDED_CHECKS]


def test_linked_operations_answer_as_documented(api_schema: schemathesis.BaseSchema, session: AuthorizingSession):
    """Sequences that follow the document's links: create a campaign, enrol, follow the link, list and fulfil."""

    class LinkedCalls(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict:
            return {"session": session, "headers": credentials(_AUTH.get((case.method.upper(), case.path), "none"))}

        def validate_response(self, response, case, additional_checks=(), **kwargs) -> None:  # noqa: ANN001
            case.validate_response(response, excluded_checks=_excluded())

    # Which rules can run depends on what the shared local server answers (a campaign id taken by an earlier test
    # answers 409, not 201), so a replayed sequence may draw differently: no shrinking (a failure is reported as
    # found), and one fresh run if Hypothesis still meets such a sequence. A failing check fails either run.
    run = settings(
        max_examples=STATEFUL_STEPS // 4, stateful_step_count=8, deadline=None, database=None,
        phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck),
    )
    try:
        LinkedCalls.run(settings=run)
    except FlakyStrategyDefinition:
        LinkedCalls.run(settings=run)


# --- a hypothesis fuzzer of hostile JSON, signed -------------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e200, 1e-200, 10**38, -(10**38), 2**53 + 1]),
    st.text(max_size=40),
    st.sampled_from(["", "²", "١٧", "0999-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00", "\x00", "'; DROP TABLE"]),
)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
_CONVERSION_FIELDS = (
    "order_id", "amount", "currency", "customer_id", "customer_email", "click_id", "referral_code", "occurred_at", "metadata", "refund_id",
    "campaign_id", "email", "consent",
)
# A review's fields (issue 19) among them: the same fuzzer posts to the review route.
_FIELDS = (*_CONVERSION_FIELDS, "decision", "note")


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    """Mostly well-formed objects with the right field names and hostile values; sometimes deep nesting, NaN, or junk."""
    kind = draw(st.sampled_from(["fields", "fields", "fields", "deep", "constant", "junk"]))
    if kind == "deep":
        depth = draw(st.integers(min_value=20, max_value=3000))
        return ('{"metadata":' + "[" * depth + "]" * depth + "}").encode()
    if kind == "constant":
        return ('{"amount": %s}' % draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "1" * 5000]))).encode()
    if kind == "junk":
        return draw(st.binary(max_size=64))
    fields = draw(st.lists(st.sampled_from(_FIELDS), unique=True, max_size=len(_FIELDS)))
    body = {name: draw(_JSON) for name in fields}
    return json.dumps(body, allow_nan=True).encode()


@pytest.mark.parametrize(
    ("path", "route"),
    [(p, p) for p in ("/v1/conversions", "/v1/refunds", "/v1/enrolments", "/v1/events")] + [("/v1/rewards/rwd_fuzzed/review", "/v1/rewards/{reward_id}/review")],
)
@settings(max_examples=EXAMPLES_PER_OPERATION * 2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(body=hostile_bodies())
def test_hostile_json_gets_a_4xx_in_the_error_shape(local_mode: LocalMode, session: AuthorizingSession, path: str, route: str, body: bytes):
    headers = {"Content-Type": "application/json", **credentials(_AUTH[("POST", route)])}
    response = session.post(f"{local_mode.base_url}{path}", data=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message"} and all(isinstance(v, str) for v in error.values())
        assert response.status_code != 401, f"the signature was not accepted: {error}"


def test_no_fuzzed_request_was_answered_with_a_5xx(session: AuthorizingSession):
    """Runs after the fuzzers (pytest keeps file order): a 5xx any check let through still fails the run."""
    assert sum(session.statuses.values()) > 0
    assert session.server_errors == []
