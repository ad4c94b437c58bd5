"""`make bench`: measures wom against the budgets of SPEC §8 and writes BENCHMARKS.md.

One module a measurement (calls, cold_start, latency, metrics_job, cost, scale), each returning plain
data that `report` renders with the method it was measured by. Benchmarks, not tests: nothing here
asserts a time; tests/bench checks the measuring code itself on tiny runs.
"""
