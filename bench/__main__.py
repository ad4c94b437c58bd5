"""`python -m bench` (what `make bench` runs): measure everything, then rewrite BENCHMARKS.md."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.environment import REPO_ROOT


@dataclass(frozen=True)
class Sizes:
    """How much to measure: the full run, or a quick one that only shows the bench works."""

    call_repetitions: int = 20
    cold_rounds: int = 21
    importtime_runs: int = 5
    latency_rounds: int = 5
    latency_per_round: int = 2000
    latency_warmup: int = 200
    scale_seconds: int = 10
    # (friends referred through each of the person's links, other customers around them) per erasure run
    erasure_histories: tuple[tuple[int, int], ...] = ((5, 100), (5, 1_000), (50, 100))
    archive_events: int = 2000
    archive_rounds: int = 5
    # customers of the measured month per cohort-job run, and of the month before around each
    cohort_customers: tuple[int, ...] = (100, 1_000, 5_000)
    cohort_unrelated: int = 5_000
    spill_requests: int = 200


QUICK = Sizes(
    call_repetitions=4, cold_rounds=2, importtime_runs=1, latency_rounds=2, latency_per_round=100, latency_warmup=20, scale_seconds=1,
    erasure_histories=((2, 10),), archive_events=100, archive_rounds=1, cohort_customers=(20,), cohort_unrelated=40, spill_requests=20,
)
# Sections that can be measured alone and spliced into an existing BENCHMARKS.md (`--only`), leaving the rest.
ALONE = ("erasure", "cohorts", "spill")


def _step(name: str) -> float:
    print(f"bench: {name} …", file=sys.stderr, flush=True)
    return time.perf_counter()


def run(sizes: Sizes):  # noqa: ANN201 - returns bench.report.Results
    from bench.archive import measure_archive
    from bench.calls import measure_calls
    from bench.cohorts import measure_cohorts
    from bench.cold_start import measure_cold_start
    from bench.erasure import measure_erasure
    from bench.spill import measure_spill
    from bench.latency import measure_latency
    from bench.metrics_job import measure_metrics_job
    from bench.report import Results
    from bench.scale import simulate_key_spread
    from bench.script_size import measure_script_size
    from bench.stack import read_stack_settings

    started = time.perf_counter()
    _step("synthesizing the stack for its settings")
    stack = read_stack_settings()
    log_level = stack.function("tracking").log_level
    _step("§1 DynamoDB calls per event (moto)")
    calls = measure_calls(log_level, sizes.call_repetitions)
    _step("§2 cold start (fresh interpreters)")
    cold = measure_cold_start(log_level, sizes.cold_rounds, sizes.importtime_runs)
    _step("§3 warm latency (stubbed DynamoDB)")
    latency = measure_latency(log_level, sizes.latency_rounds, sizes.latency_per_round, sizes.latency_warmup)
    _step("§4 metrics job")
    metrics = measure_metrics_job(log_level=log_level)
    _step("§5 the raw event archive (moto's stream)")
    archive = measure_archive(log_level, sizes.archive_events, sizes.archive_rounds)
    _step("§6 key spread")
    spread = simulate_key_spread(10_000, sizes.scale_seconds)
    _step("§7 wom.js size")
    script_size = measure_script_size()
    _step("§8 erasure")
    erasure = measure_erasure(log_level, sizes.erasure_histories)
    _step("§9 cohort job")
    cohort_job = measure_cohorts(log_level, sizes.cohort_customers, sizes.cohort_unrelated)
    _step("§10 the spill path")
    spill = measure_spill(log_level, sizes.spill_requests)
    return Results(
        generated_at=datetime.now(UTC),
        seconds=time.perf_counter() - started,
        quick=sizes == QUICK,
        stack=stack,
        calls=calls,
        cold_start=cold,
        latency=latency,
        metrics_job=metrics,
        spread=spread,
        script_size=script_size,
        erasure=erasure,
        archive=archive,
        cohorts=cohort_job,
        spill=spill,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny run that shows the bench works (figures are not meaningful)")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="where to write the report")
    parser.add_argument("--only", choices=ALONE, help="measure this section alone and replace it (and its budget row) in the existing report")
    args = parser.parse_args(argv)
    if args.only:
        return _only(args)

    from bench.report import render

    results = run(QUICK if args.quick else Sizes())
    args.output.write_text(render(results))
    print(f"bench: wrote {args.output} in {results.seconds:.0f} s", file=sys.stderr)
    return 0


def _only(args: argparse.Namespace) -> int:
    from bench import cohorts, erasure, spill
    from bench.stack import read_stack_settings

    started = _step("synthesizing the stack for its settings")
    stack = read_stack_settings()
    log_level = stack.function("tracking").log_level
    sizes = QUICK if args.quick else Sizes()
    report = args.output.read_text()
    if args.only == "erasure":
        _step("§8 erasure")
        report = erasure.splice(report, erasure.measure_erasure(log_level, sizes.erasure_histories))
    elif args.only == "cohorts":
        _step("§9 cohort job")
        report = cohorts.splice(report, cohorts.measure_cohorts(log_level, sizes.cohort_customers, sizes.cohort_unrelated))
    else:
        _step("§10 the spill path")
        measured = spill.measure_spill(log_level, sizes.spill_requests)
        tracking, replay = stack.function("tracking").memory_mb, stack.function("replay").memory_mb
        report = spill.splice(report, measured, tracking, replay, spill.healthy_click_from(report))
    args.output.write_text(report)
    print(f"bench: replaced the {args.only} section of {args.output} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
