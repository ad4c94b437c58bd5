"""The cohort-job bench run small (§9): it measures the real job's reads against the month's customers, they do not
grow with the rest of the table, and its section replaces itself in a report without touching the rest. No timed
assertions."""

from __future__ import annotations

from bench.cohorts import BUDGET, HEADING, CohortBench, budget_row, measure_cohorts, splice

REPORT = """# wom benchmarks

## Budgets (SPEC §8)

| budget | measured | verdict |
| --- | --- | --- |
| One write per event | 1 | **met** |

## 8. Erasure of one customer

the erasure section
"""


def test_the_cohort_job_reads_the_month_s_customers_and_not_the_table():
    small, large = measure_cohorts(sizes=(10, 40), unrelated=20).runs
    crowded = measure_cohorts(sizes=(10,), unrelated=200).runs[0]
    for run in (small, large, crowded):
        assert not run.scanned and set(run.calls) == {"Query"} and run.cohorts_written == 1
        # The month's customers, plus the campaign list's one item.
        assert run.items_read == run.customers + 1 and run.read_ratio == run.items_read / run.customers
        assert run.read_units > 0
    assert crowded.table_items > small.table_items + 500
    assert (crowded.items_read, crowded.read_units, crowded.calls) == (small.items_read, small.read_units, small.calls)
    assert large.items_read - small.items_read == 30


def test_the_section_and_budget_row_splice_into_a_report():
    bench = measure_cohorts(sizes=(40,), unrelated=10)
    budget, measured, verdict = budget_row(bench)
    assert budget == BUDGET and "no Scan" in measured and verdict == "met"

    once = splice(REPORT, bench)
    assert once.count(HEADING) == 1 and once.count(f"| {BUDGET} |") == 1
    assert "| One write per event | 1 | **met** |" in once and "the erasure section" in once
    assert once.index("the erasure section") < once.index(HEADING)
    assert splice(once, bench) == once
    [run] = bench.runs
    worse = CohortBench(runs=(run.__class__(**{**run.__dict__, "items_read": run.customers * 2}),), measured_at=bench.measured_at)
    again = splice(once, worse)
    assert again.count(HEADING) == 1 and "**missed**" in again and "the erasure section" in again
