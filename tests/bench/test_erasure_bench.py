"""The erasure bench run small (§8): it measures a real erasure, and its section replaces itself in a report
without touching the rest. No timed assertions."""

from __future__ import annotations

from bench.erasure import BUDGET, HEADING, ErasureBench, budget_row, measure_erasure, splice

REPORT = """# wom benchmarks

## Budgets (SPEC §8)

| budget | measured | verdict |
| --- | --- | --- |
| One write per event | 1 | **met** |

## 6. Scale on paper

the scale section
"""


def test_one_small_erasure_is_measured_against_the_customers_items():
    bench = measure_erasure(sizes=((1, 3),))
    [run] = bench.runs
    assert run.customer_items > 0 and run.items_read > 0
    assert not run.scanned and set(run.calls) <= {"BatchWriteItem", "GetItem", "Query", "TransactWriteItems"}
    assert run.erased["advocates"] == 2 and run.erased["conversions"] == 3
    assert run.read_ratio == run.items_read / run.customer_items
    budget, measured, verdict = budget_row(bench)
    assert budget == BUDGET and "no Scan" in measured and verdict in ("met", "missed")

    once = splice(REPORT, bench)
    assert once.count(HEADING) == 1 and once.count(f"| {BUDGET} |") == 1
    assert "| One write per event | 1 | **met** |" in once and "the scale section" in once
    # Spliced again: replaced in place, nothing added, nothing else changed.
    assert splice(once, bench) == once
    other = ErasureBench(runs=(run.__class__(**{**run.__dict__, "items_read": run.customer_items * 2, "read_ratio": 2.0}),), measured_at=bench.measured_at)
    again = splice(once, other)
    assert again.count(HEADING) == 1 and "**missed**" in again and "the scale section" in again
