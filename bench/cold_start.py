"""§2: cold start. Each function's handler module imported in a fresh interpreter, beside `import boto3`
plus one client, measured in the same run; and which imports dominate (`python -X importtime`).

Every sample is its own `python -c` subprocess timing itself with perf_counter around the import only
(interpreter start-up excluded). Rounds interleave baseline and functions so drift hits them alike; one
discarded warm-up round first writes the bytecode caches.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass

from bench.environment import REPO_ROOT, handler_environment
from bench.stats import Spread
from shared.platform.deployment import FUNCTIONS

BASELINE = "import boto3\nboto3.client('dynamodb')"
_TIMER = "import time\n_t0 = time.perf_counter()\n{body}\nprint(time.perf_counter() - _t0)\n"
# Packages the Lambda Python runtime provides already compiled; the rest (layer and code asset) it
# compiles at every cold start, because both assets ship without bytecode (infra/bundling.py strips
# __pycache__) and /opt and /var/task are read-only.
ADDED_DEPTH = 4  # how deep into the handler's import tree the largest imports are listed
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six")


@dataclass(frozen=True)
class FunctionColdStart:
    function: str
    module: str
    import_seconds: Spread
    with_client_seconds: Spread  # the import, then the one DynamoDB client it creates on its first request
    ratio: float  # median import / median baseline, same run
    ratio_with_client: float
    top_packages: list[tuple[str, float, float]]  # (package, median self ms, share of all self time)
    added_ms: float  # the import's cumulative time when boto3 and a client come first: what it adds
    added_subtrees: list[tuple[str, float]]  # the largest imports inside that, cumulative ms (nested ones overlap)
    round_ratios: Spread  # import ÷ baseline of the same round: how noisy the ratio is
    ratio_fastest: float  # fastest import ÷ fastest baseline: the least noise-affected pair
    importtime_ms: float  # the sum of self times under -X importtime (which slows imports down somewhat)
    compile_ms: float  # what compiling its non-runtime modules from source costs (Lambda does it every cold start)
    compiled_modules: int


@dataclass(frozen=True)
class ColdStartResult:
    rounds: int
    importtime_runs: int
    baseline_seconds: Spread
    functions: list[FunctionColdStart]

    def function(self, name: str) -> FunctionColdStart:
        return next(f for f in self.functions if f.function == name)


def _environment(log_level: str) -> dict[str, str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    environment.update(handler_environment(log_level))
    environment["PYTHONPATH"] = str(REPO_ROOT)
    return environment


def _python(code: str, environment: dict[str, str], *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=True, timeout=120
    )


def _time(body: str, environment: dict[str, str]) -> float:
    return float(_python(_TIMER.format(body=body), environment).stdout.strip().splitlines()[-1])


def module_of(handler: str) -> str:
    return handler.rsplit(".", 1)[0]


def _with_client(module: str) -> str:
    return f"import {module}\nfrom shared.platform.dynamo import dynamodb_client\ndynamodb_client()"


@dataclass(frozen=True)
class ImportRow:
    self_us: float
    cumulative_us: float
    depth: int  # nesting under the import that pulled it in
    name: str


def parse_importtime(stderr: str) -> list[ImportRow]:
    """The `-X importtime` lines, in the order Python prints them (a module after everything it imported)."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        name = name.rstrip("\n")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append(ImportRow(float(self_us), float(cumulative_us), depth, name.strip()))
    return rows


def self_time_by_package(rows: list[ImportRow]) -> dict[str, float]:
    packages: dict[str, float] = defaultdict(float)
    for row in rows:
        packages[row.name.split(".")[0]] += row.self_us
    return dict(packages)


def subtree(rows: list[ImportRow], root: str) -> list[ImportRow]:
    """The import of `root` and everything it imported (the rows just before it, nested deeper)."""
    end = max(i for i, row in enumerate(rows) if row.name == root and row.depth == 0)
    start = end
    while start > 0 and rows[start - 1].depth > 0:
        start -= 1
    return rows[start : end + 1]


def _median_table(runs: list[dict[str, float]], top: int) -> tuple[list[tuple[str, float, float]], float]:
    names = {name for run in runs for name in run}
    medians = {name: statistics.median(run.get(name, 0.0) for run in runs) for name in names}
    total = sum(medians.values()) or 1.0
    ranked = sorted(medians.items(), key=lambda item: item[1], reverse=True)[:top]
    return [(name, us / 1000, us / total) for name, us in ranked], total / 1000


_COMPILE_PROBE = """
import json, sys, time, sysconfig
import {module}
skip = {skip!r}
stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
total, count = 0.0, 0
for name, mod in list(sys.modules.items()):
    path = getattr(mod, "__file__", None) or ""
    if not path.endswith(".py") or name.split(".")[0] in skip:
        continue
    if any(path.startswith(p) and "site-packages" not in path for p in stdlib):
        continue
    source = open(path, "rb").read()
    t0 = time.perf_counter()
    compile(source, path, "exec", dont_inherit=True)
    total += time.perf_counter() - t0
    count += 1
print(json.dumps([total * 1000, count]))
"""


def _compile_cost(module: str, environment: dict[str, str]) -> tuple[float, int]:
    out = _python(_COMPILE_PROBE.format(module=module, skip=RUNTIME_PACKAGES), environment).stdout
    total_ms, count = json.loads(out.strip().splitlines()[-1])
    return total_ms, count


def measure_cold_start(log_level: str = "INFO", rounds: int = 15, importtime_runs: int = 5, functions: tuple[str, ...] | None = None) -> ColdStartResult:
    """Every function of shared.platform.deployment.FUNCTIONS (a new one, such as the metrics job, is measured as it appears)."""
    environment = _environment(log_level)
    modules = {f.name: module_of(f.handler) for f in FUNCTIONS if functions is None or f.name in functions}
    for module in modules.values():  # warm-up: bytecode caches, page cache
        _time(_with_client(module), environment)
    _time(BASELINE, environment)

    baseline: list[float] = []
    imports: dict[str, list[float]] = {name: [] for name in modules}
    with_client: dict[str, list[float]] = {name: [] for name in modules}
    for _ in range(rounds):
        baseline.append(_time(BASELINE, environment))
        for name, module in modules.items():
            imports[name].append(_time(f"import {module}", environment))
            with_client[name].append(_time(_with_client(module), environment))

    base = statistics.median(baseline)
    functions = []
    for name, module in modules.items():
        alone = [parse_importtime(_python(f"import {module}", environment, "-X", "importtime").stderr) for _ in range(importtime_runs)]
        top_packages, importtime_ms = _median_table([self_time_by_package(run) for run in alone], 8)
        # After the baseline, the handler's import tree holds only what it adds to `import boto3` + a client.
        after = [
            subtree(parse_importtime(_python(f"{BASELINE}\nimport {module}", environment, "-X", "importtime").stderr), module)
            for _ in range(importtime_runs)
        ]
        added = [{row.name: row.cumulative_us for row in run if row.depth <= ADDED_DEPTH} for run in after]
        added_ms = statistics.median(run[module] for run in added) / 1000
        own = module.split(".")[0] + "."  # the function's own modules hold everything else: not informative
        subtrees, _ = _median_table([{n: us for n, us in run.items() if not n.startswith(own)} for run in added], 8)
        compile_ms, compiled = _compile_cost(module, environment)
        functions.append(
            FunctionColdStart(
                function=name,
                module=module,
                import_seconds=Spread.of(imports[name]),
                with_client_seconds=Spread.of(with_client[name]),
                ratio=statistics.median(imports[name]) / base,
                ratio_with_client=statistics.median(with_client[name]) / base,
                top_packages=top_packages,
                added_ms=added_ms,
                added_subtrees=[(name, ms) for name, ms, _ in subtrees],
                round_ratios=Spread.of(i / b for i, b in zip(imports[name], baseline, strict=True)),
                ratio_fastest=min(imports[name]) / min(baseline),
                importtime_ms=importtime_ms,
                compile_ms=compile_ms,
                compiled_modules=compiled,
            )
        )
    return ColdStartResult(rounds=rounds, importtime_runs=importtime_runs, baseline_seconds=Spread.of(baseline), functions=functions)

