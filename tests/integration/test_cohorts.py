"""Customer value by cohort (SPEC §5) under moto: a year of purchases with the clock moved, through the real handlers.

Every figure in the assertions is counted by hand from `a_year_of_customers`; its comments say which purchases and
refunds count at which horizon. January's horizons are reached on Jan 31 + 30, 90, 180 and 365 days: Mar 2, May 1,
Jul 30 and Jan 31 of the next year.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import boto3
import pytest

from shared import wiring
from shared.metrics.cohorts import object_key
from shared.platform.resources import METRICS_BUCKET, REFERRALS_TABLE
from tests.integration.test_conversion_routes import Clock
from tests.integration.test_metrics_job import buy, refund

NULLS = {"d30": None, "d90": None, "d180": None, "d365": None}


@pytest.fixture
def clock(api, aws) -> Clock:
    clock = Clock(datetime(2026, 1, 1, 8, tzinfo=UTC))
    wiring.use_clock(clock)
    return clock


def on(clock: Clock, month: int, day: int, year: int = 2026) -> Clock:
    clock.now = datetime(year, month, day, 12, tzinfo=UTC)
    return clock


@pytest.fixture
def a_year_of_customers(api, clock) -> str:
    rules = {"advocate": {"type": "flat", "value": 500}}
    assert api("POST", "/v1/campaigns", body={"campaign_id": "spring", "name": "Spring", "destination_url": "https://shop.example.com/", "rewards": rules})["statusCode"] == 201
    code = api("POST", "/v1/campaigns/spring/advocates", body={"customer_id": "ada"})["json"]["code"]
    # Referred in January (ada's code): r1 and r2.
    # r1: 10,000 on Jan 5; 4,000 on Jan 20 (day 15: a repeat by 30); 2,000 of the first refunded on Jan 25 (day 20);
    #     3,000 on Mar 1 (day 55). Net at 30: 12,000; at 90 and on: 15,000.
    # r2: 6,000 on Jan 10; 5,000 on Jul 1 (day 172: a repeat by 180). Net at 30 and 90: 6,000; at 180 and on: 11,000.
    # Referred: 2 customers; net per customer 9,000 / 10,500 / 13,000 / 13,000; repeat rate 0.5 / 0.5 / 1 / 1.
    buy(on(clock, 1, 5), "r1-a", "r1", 10_000, referral_code=code)
    buy(on(clock, 1, 10), "r2-a", "r2", 6_000, referral_code=code)
    buy(on(clock, 1, 20), "r1-b", "r1", 4_000)
    refund(on(clock, 1, 25), "r1-a-refund", "r1-a", 2_000)
    buy(on(clock, 3, 1), "r1-c", "r1", 3_000, referral_code=code)
    buy(on(clock, 7, 1), "r2-b", "r2", 5_000)
    # Not referred in January: n1, n2, n3 (unattributed first purchases, deployment-wide).
    # n1: 8,000 on Jan 7; 2,000 on Feb 20 (day 44). n2: 4,000 on Jan 15, all refunded Feb 1 (day 17). n3: 2,000 on
    # Jan 31. Net at 30: 8,000 + 0 + 2,000; at 90 and on: 10,000 + 0 + 2,000. 3 customers: 3,333.33 / 4,000 / 4,000 /
    # 4,000 per customer; repeat rate 0 / 1/3 / 1/3 / 1/3.
    buy(on(clock, 1, 7), "n1-a", "n1", 8_000)
    buy(on(clock, 1, 15), "n2-a", "n2", 4_000)
    buy(on(clock, 1, 31), "n3-a", "n3", 2_000)
    refund(on(clock, 2, 1), "n2-a-refund", "n2-a", 4_000)
    buy(on(clock, 2, 20), "n1-b", "n1", 2_000)
    # Neither: ada with her own code (a self-referral), and f1, whose first purchase was in February.
    buy(on(clock, 1, 8), "ada-a", "ada", 9_000, referral_code=code)
    buy(on(clock, 2, 3), "f1-a", "f1", 50_000, referral_code=code)
    return code


def cohort(month: str = "2026-01") -> bytes:
    return boto3.client("s3").get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key("spring", month))["Body"].read()


def computed(as_of: datetime, month: str = "2026-01") -> dict:
    summary = wiring.metrics_job().run_cohorts([month], as_of)
    assert summary["cohorts_written"] == 1
    body = cohort(month)
    assert body.endswith(b"}\n") and body.count(b"\n") == 1
    return json.loads(body)


def test_horizons_are_null_until_reached_then_exact(a_year_of_customers) -> None:
    before = computed(datetime(2026, 3, 1, 23, tzinfo=UTC))
    assert before["referred"] == {"customers": 2, "net_revenue_per_customer": NULLS, "repeat_purchase_rate": NULLS}
    assert before["not_referred"]["customers"] == 3
    assert before["ratio"] == {"net_revenue_per_customer": NULLS, "repeat_purchase_rate": NULLS}

    thirty = computed(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    assert thirty["referred"]["net_revenue_per_customer"] == {**NULLS, "d30": 9_000.0}
    assert thirty["not_referred"]["net_revenue_per_customer"] == {**NULLS, "d30": 3_333.33}
    assert thirty["ratio"]["net_revenue_per_customer"] == {**NULLS, "d30": 2.7}
    assert thirty["ratio"]["repeat_purchase_rate"] == NULLS  # nobody not referred repeated by 30: no ratio

    year = computed(datetime(2027, 1, 31, 1, tzinfo=UTC))
    assert year == {
        "campaign_id": "spring",
        "month": "2026-01",
        "currency": "USD",
        "referred": {
            "customers": 2,
            "net_revenue_per_customer": {"d30": 9_000.0, "d90": 10_500.0, "d180": 13_000.0, "d365": 13_000.0},
            "repeat_purchase_rate": {"d30": 0.5, "d90": 0.5, "d180": 1.0, "d365": 1.0},
        },
        "not_referred": {
            "customers": 3,
            "net_revenue_per_customer": {"d30": 3_333.33, "d90": 4_000.0, "d180": 4_000.0, "d365": 4_000.0},
            "repeat_purchase_rate": {"d30": 0.0, "d90": 0.333333, "d180": 0.333333, "d365": 0.333333},
        },
        "ratio": {
            "net_revenue_per_customer": {"d30": 2.7, "d90": 2.625, "d180": 3.25, "d365": 3.25},
            "repeat_purchase_rate": {"d30": None, "d90": 1.5, "d180": 3.0, "d365": 3.0},
        },
        "as_of": "2027-01-31",
    }
    february = computed(datetime(2027, 1, 31, 1, tzinfo=UTC), "2026-02")
    assert (february["referred"]["customers"], february["not_referred"]["customers"]) == (1, 0)


def test_a_recompute_is_byte_identical(a_year_of_customers) -> None:
    computed(datetime(2026, 8, 1, tzinfo=UTC))
    first = cohort()
    wiring.reset()
    computed(datetime(2026, 8, 1, 23, tzinfo=UTC))
    assert cohort() == first


def test_the_scheduled_run_recomputes_a_cohort_on_the_day_its_horizon_is_reached(a_year_of_customers) -> None:
    summary = wiring.metrics_job().run(datetime(2026, 5, 1, 3, tzinfo=UTC))  # January's 90 days
    assert summary["cohorts_written"] >= 1
    assert json.loads(cohort())["referred"]["net_revenue_per_customer"]["d90"] == 10_500.0
    # It reads the cohorts' ledgers, not the table: January's and the other months' few customers.
    assert summary["cohort_items_read"] <= 12


def ledger_items() -> list[dict]:
    from shared.platform.dynamo import deserialise

    items = [deserialise(i) for i in boto3.client("dynamodb").scan(TableName=REFERRALS_TABLE.local_name)["Items"]]
    return [i for i in items if i["pk"].startswith("COHORT#") or i["sk"] == "LEDGER"]


def test_an_erased_customer_s_ledger_goes_and_the_cohort_keeps_its_value(api, a_year_of_customers, clock) -> None:
    as_of = datetime(2027, 1, 31, 1, tzinfo=UTC)
    computed(as_of)
    before = cohort()
    ledgers = ledger_items()
    assert api("DELETE", "/v1/customers/r1")["statusCode"] == 202
    assert wiring.privacy_job().run(on(clock, 2, 1, 2027).now)["erasures_completed"] == 1
    after = ledger_items()
    gone = [i for i in ledgers if i not in after]
    # r1's head and member went; the cohort's ERASED counters hold what r1 added, with no key of r1.
    assert {(i["pk"].split("#")[0], i.get("kind")) for i in gone} == {("CUSTOMER", "ledger_head"), ("COHORT", "cohort_member")}
    erased = [i for i in after if i["sk"] == "ERASED"]
    assert len(erased) == 1 and erased[0]["customers"] == 1 and erased[0]["net_USD_d30"] == 12_000
    gone_key = next(i for i in gone if i["sk"] == "LEDGER")["pk"].removeprefix("CUSTOMER#")
    assert gone_key not in json.dumps(after, default=str)
    wiring.reset()
    computed(as_of)
    assert cohort() == before


def test_the_documented_ltv_query_agrees_with_the_objects(a_year_of_customers, tmp_path) -> None:
    from infra.constructs.analytics import cohort_columns
    from tests.support.athena import download, run_documented

    wiring.metrics_job().run_cohorts(["2026-01", "2026-02"], datetime(2027, 1, 31, 1, tzinfo=UTC))
    assert download("metrics/cohorts/campaign_id=spring/", tmp_path) == 2
    rows = run_documented(
        "tests/integration/test_cohorts.py runs this query", "customer_cohorts",
        f"{tmp_path}/metrics/cohorts/campaign_id=*/month=*/ltv.json", cohort_columns(), {"campaign_id": "VARCHAR", "month": "VARCHAR"},
    )
    january = json.loads(cohort("2026-01"))
    referred, not_referred = january["referred"]["net_revenue_per_customer"], january["not_referred"]["net_revenue_per_customer"]
    assert rows[0] == (
        "2026-01", 2, 3,
        *(referred[h] for h in ("d30", "d90", "d180", "d365")),
        *(not_referred[h] for h in ("d30", "d90", "d180", "d365")),
        january["ratio"]["net_revenue_per_customer"]["d365"], january["ratio"]["repeat_purchase_rate"]["d365"],
    )
    assert rows[0][3:7] == (9_000.0, 10_500.0, 13_000.0, 13_000.0)
    assert [row[:3] for row in rows[1:]] == [("2026-02", 1, 0)]
