"""§9: the cohort job (SPEC §5) — items read for one month's customer-value cohorts against that month's
customers, at three sizes of cohort with the same unrelated data around it, and no Scan.

Inside moto, the real services record four template customers: in the measured month a referred one (a first
purchase through the bench advocate's code, a repeat and a partial refund) and a not-referred one (a first purchase
and a repeat the next month); in the month before, one of each. Each template's items in the referrals table (its
ledger head, its cohort member, its customer index references and the rest the conversions wrote under its customer
key) are then copied under fresh customer keys: half the measured month's customers are copies of the referred one,
half of the not-referred one, and the same 5,000 customers of the month before are around every size. Then the
real job (`shared.metrics.job`, `run_cohorts` for the measured month, as `{"month": …}` invokes it) runs with a
DynamoLedger on its client, as of a day past the last horizon (every figure computed). Items read are the ledger's
(ScannedCount of every Query plus the items GetItem returns, the rule of §4 and §8); read units from item sizes.
The bench checks that the object it wrote counts every customer of the month.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import boto3
from moto import mock_aws

from bench import traffic
from bench.dynamo_ledger import DynamoLedger
from bench.environment import counted_logs, create_stack_resources, handler_environment, patched_environ
from bench.splice import splice_section
from local.emulator import REGION, keep_moto_close_to_dynamodb
from shared import wiring
from shared.conversions.models import ConversionRequest, RefundRequest
from shared.metrics.cohorts import object_key
from shared.platform.dynamo import dynamodb_client
from shared.platform.privacy import customer_key
from shared.platform.resources import METRICS_BUCKET, REFERRALS_TABLE, TABLES

READ_BUDGET = 1.05
MONTH = "2026-03"
BEFORE = "2026-02"
CAMPAIGN_CREATED = datetime(2026, 1, 5, 9, tzinfo=UTC)
AS_OF = datetime(2027, 4, 1, 6, tzinfo=UTC)  # March's last horizon (365 days) reached
# Customers of the measured month (referred and not), and of the month before around them.
SIZES = (100, 1_000, 5_000)
QUICK_SIZES = (20,)
UNRELATED = 5_000
QUICK_UNRELATED = 40


@dataclass(frozen=True)
class CohortRun:
    customers: int  # the measured month's customers, referred and not
    unrelated_customers: int  # the month before's
    table_items: int  # every item of every table before the run
    items_read: int
    read_units: float
    calls: dict[str, int]
    cohorts_written: int

    @property
    def read_ratio(self) -> float:
        return self.items_read / self.customers

    @property
    def units_per_customer(self) -> float:
        return self.read_units / self.customers

    @property
    def scanned(self) -> bool:
        return "Scan" in self.calls


@dataclass(frozen=True)
class CohortBench:
    runs: tuple[CohortRun, ...]
    measured_at: datetime

    @property
    def worst_ratio(self) -> float:
        return max(run.read_ratio for run in self.runs)


def _at(clock: list[datetime], day: date) -> None:
    clock[0] = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=12)


def _buy(order_id: str, customer_id: str, amount: int, **attribution: str) -> None:
    body = {"order_id": order_id, "amount": amount, "currency": "USD", "customer_id": customer_id, **attribution}
    wiring.conversions().record_conversion(ConversionRequest.model_validate(body), body)


def _refund(refund_id: str, order_id: str, amount: int) -> None:
    body = {"refund_id": refund_id, "order_id": order_id, "amount": amount}
    wiring.conversions().record_refund(RefundRequest.model_validate(body), body)


def _templates(clock: list[datetime], code: str) -> dict[str, str]:
    """The four template customers through the real service; their customer keys by (month, referred or not)."""
    _at(clock, date(2026, 2, 10))
    _buy("feb-referred-1", "feb-referred", 3_000, referral_code=code)
    _at(clock, date(2026, 2, 12))
    _buy("feb-direct-1", "feb-direct", 2_000)
    _at(clock, date(2026, 3, 3))
    _buy("mar-referred-1", "mar-referred", 6_000, referral_code=code)
    _at(clock, date(2026, 3, 5))
    _buy("mar-direct-1", "mar-direct", 4_000)
    _at(clock, date(2026, 3, 20))
    _buy("mar-referred-2", "mar-referred", 2_500)
    _at(clock, date(2026, 3, 25))
    _refund("mar-referred-1-refund", "mar-referred-1", 1_000)
    _at(clock, date(2026, 4, 10))
    _buy("mar-direct-2", "mar-direct", 1_500)
    return {name: customer_key(wiring.email_hash_key(), name) for name in ("feb-referred", "feb-direct", "mar-referred", "mar-direct")}


def _items_of(client: Any, customer_key: str) -> list[dict[str, Any]]:
    """Every referrals-table item that names the customer's key (setup only: this client is not measured)."""
    found = []
    for page in client.get_paginator("scan").paginate(TableName=REFERRALS_TABLE.local_name):
        found += [item for item in page["Items"] if customer_key in json.dumps(item)]
    return found


def _copies(items: list[dict[str, Any]], customer_key: str, count: int, label: str) -> list[dict[str, Any]]:
    """`count` customers like the template, each under its own key (a key of the same shape as a real one)."""
    text = json.dumps(items)
    out = []
    for n in range(count):
        fresh = hashlib.sha256(f"bench-cohort-{label}-{n}".encode()).hexdigest()[: len(customer_key)]
        out += json.loads(text.replace(customer_key, fresh))
    return out


def _moto_tables() -> dict[str, Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    return {table.local_name: backend.get_table(table.local_name) for table in TABLES}


def _store(items: list[dict[str, Any]]) -> None:
    """The copies straight into moto's tables: setup, not measured, and a twelfth of the time BatchWriteItem takes
    in process (which would make the 5,000-customer run alone a minute)."""
    referrals = _moto_tables()[REFERRALS_TABLE.local_name]
    for item in items:
        referrals.put_item(item)


def _table_items() -> int:
    return sum(len(table) for table in _moto_tables().values())


def _run(customers: int, unrelated: int, log_level: str) -> CohortRun:
    keep_moto_close_to_dynamodb()
    clock = [CAMPAIGN_CREATED]
    with patched_environ(handler_environment(log_level)), mock_aws(), counted_logs():
        wiring.reset()
        inspector = create_stack_resources()
        wiring.use_clock(lambda: clock[0])
        seed = traffic.seed_campaign()
        templates = _templates(clock, seed.code)
        copies: list[dict[str, Any]] = []
        for (name, count) in (("mar-referred", customers // 2 - 1), ("mar-direct", customers - customers // 2 - 1), ("feb-referred", unrelated // 2 - 1), ("feb-direct", unrelated - unrelated // 2 - 1)):
            key = templates[name]
            template = _items_of(inspector, key)
            if not any(item["sk"]["S"].startswith("MEMBER#") for item in template):
                raise RuntimeError(f"the bench's template customer {name} joined no cohort")
            copies += _copies(template, key, count, name)
        _store(copies)
        table_items = _table_items()
        ledger = DynamoLedger(dynamodb_client(), inspector, TABLES)
        summary = wiring.metrics_job().run_cohorts([MONTH], AS_OF)
        tally = ledger.since(0)
        body = json.loads(boto3.client("s3").get_object(Bucket=METRICS_BUCKET.local_name, Key=object_key(traffic.CAMPAIGN_ID, MONTH))["Body"].read())
        wiring.reset()
    counted = body["referred"]["customers"] + body["not_referred"]["customers"]
    if counted != customers or body["referred"]["net_revenue_per_customer"]["d365"] is None:
        raise RuntimeError(f"the cohort object counts {counted} customers, not the {customers} the bench made")
    return CohortRun(
        customers=customers,
        unrelated_customers=unrelated,
        table_items=table_items,
        items_read=tally.items_read,
        read_units=tally.read_units,
        calls=tally.operations,
        cohorts_written=summary["cohorts_written"],
    )


def measure_cohorts(log_level: str = "INFO", sizes: tuple[int, ...] = SIZES, unrelated: int = UNRELATED) -> CohortBench:
    return CohortBench(runs=tuple(_run(customers, unrelated, log_level) for customers in sizes), measured_at=datetime.now(UTC))


# --- BENCHMARKS.md ------------------------------------------------------------------------------------

BUDGET = f"Cohort job: items read for a month's cohorts ≤ {READ_BUDGET} × that month's customers (referred and not), at every size, no Scan"
HEADING = "## 9. Cohort job"


def budget_row(bench: CohortBench) -> tuple[str, str, str]:
    scans = any(run.scanned for run in bench.runs)
    units = [run.units_per_customer for run in bench.runs]
    measured = (
        f"worst ratio **{bench.worst_ratio:.3f}** over {', '.join(f'{r.customers:,}' for r in bench.runs)} customers "
        f"(among up to {max(r.table_items for r in bench.runs):,} table items); read units per customer "
        f"{min(units):.4f}–{max(units):.4f}; " + ("a Scan was made" if scans else "no Scan")
    )
    return BUDGET, measured, "met" if bench.worst_ratio <= READ_BUDGET and not scans else "missed"


def section(bench: CohortBench, add) -> None:  # noqa: ANN001 - bench.report's line adder
    add(HEADING + "\n")
    add(f"Measured {bench.measured_at:%Y-%m-%d %H:%M} UTC.\n")
    add("**Method.** " + " ".join(__doc__.split("\n\n", 1)[1].split()) + "\n")
    rows = [
        [
            f"{r.customers:,}", f"{r.unrelated_customers:,}", f"{r.table_items:,}", f"{r.items_read:,}", f"**{r.read_ratio:.3f}**",
            f"{r.read_units:g}", f"{r.units_per_customer:.4f}", ", ".join(f"{count} {name}" for name, count in sorted(r.calls.items())), str(r.cohorts_written),
        ]
        for r in bench.runs
    ]
    header = ["month's customers", "customers of the month before", "table items", "items read", "read ÷ customers", "read units", "read units per customer", "calls", "objects written"]
    add("| " + " | ".join(header) + " |\n|" + "|".join(" --- " for _ in header) + "|\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n")
    fixed = sorted({r.items_read - r.customers for r in bench.runs})
    steps = [(b.read_units - a.read_units) / (b.customers - a.customers) for a, b in zip(bench.runs, bench.runs[1:]) if b.customers > a.customers]
    add(
        "A month's cohorts are one partition each (the not-referred customers', and each campaign's referred ones), so the "
        "job queries those partitions and nothing else: the items read are the month's customers plus the campaign list "
        f"(the only fixed part: {' or '.join(str(f) for f in fixed)} item{'s' if fixed != [1] else ''} here), whatever else the "
        "table holds. Read units per customer fall as the cohort grows because the campaign list is read strongly "
        "consistent (1 unit) and each query rounds up to whole units"
        + (
            f"; each customer added between sizes adds {', '.join(f'{step:.4f}' for step in steps)} units, their member item "
            "read eventually consistent (half a unit per 4 KB).\n"
            if steps
            else ".\n"
        )
    )


def splice(report: str, bench: CohortBench) -> str:
    """BENCHMARKS.md with this section and its budget row replaced (or added): `python -m bench --only cohorts`."""
    out: list[str] = []
    section(bench, out.append)
    return splice_section(report, budget_row(bench), HEADING, out)
