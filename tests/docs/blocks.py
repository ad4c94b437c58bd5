"""The examples in README.md and docs/*.md, as tests: every fenced shell and Python block is found by its file
and its fence's language, and run the way a reader would paste it.

How a block says how it runs: an HTML comment (invisible on GitHub) on the line just above its fence.

- `<!-- doc-test: local -->` — needs local mode: run against a `wom run` of the test session (fresh data,
  default tokens and secrets). Its `127.0.0.1:8000` / `localhost:8000` and `127.0.0.1:4566` are rewritten to the
  ports that `wom run` listens on, and WOM_PORT / WOM_EMULATOR_PORT name them for `wom` commands.
- `<!-- doc-test: deployed -->` — an operator's command against a deployed stack: run in tests/deploy against
  the deploy rehearsal (the real `cdk deploy` into moto server), with AWS_ENDPOINT_URL pointing there.
- `<!-- doc-test: skip: <reason> -->` — cannot run here (a real `cdk deploy` into an AWS account, a snippet
  that is one piece of the reader's own program); the reason is required and says where it is tested instead.
- No comment: runs on its own, from the repository's root, with nothing started for it.

Shell blocks (`sh`, `bash`, `shell`) run with `bash -e -o pipefail`; Python blocks (`python`, `py`) with the
project's interpreter. A block fails on a non-zero exit, or when it prints wom's error shape (`"error":
{"code": …}`): pasted examples must succeed. An unlabeled block that looks like a command fails too: label it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/*.md")
SHELL = frozenset({"sh", "bash", "shell"})
PYTHON = frozenset({"python", "py", "python3"})
MODES = ("standalone", "local", "deployed", "skip")
BLOCK_TIMEOUT_SECONDS = 180
LOCAL_API, LOCAL_EMULATOR = 8000, 4566

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<body>.*?)\s*-->\s*$")
_ERROR_SHAPE = re.compile(r'"error"\s*:\s*\{\s*"code"')
# An unlabeled block whose first line starts like one of these is a command someone forgot to label.
_COMMAND_START = re.compile(r"^\s*(\$ |\.venv/bin/|curl |aws |npx |make |wom |python3? |export |openssl )")


@dataclass(frozen=True)
class Block:
    path: str
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    mode: str
    reason: str | None = None
    problem: str | None = None  # a block the harness refuses (unknown directive, skip without reason, unlabeled command)

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.language in SHELL | PYTHON


def documents(root: Path = ROOT) -> list[Path]:
    found: list[Path] = []
    for pattern in DOCUMENTS:
        found += sorted(root.glob(pattern))
    return found


def _directive(lines: list[str], fence_index: int) -> tuple[str, str | None, str | None]:
    """(mode, reason, problem) from the comment just above a fence (blank lines between are allowed)."""
    index = fence_index - 1
    while index >= 0 and not lines[index].strip():
        index -= 1
    match = _DIRECTIVE.match(lines[index]) if index >= 0 else None
    if not match:
        return "standalone", None, None
    body = match["body"]
    mode, _, reason = body.partition(":")
    mode, reason = mode.strip(), reason.strip() or None
    if mode not in MODES:
        return "standalone", None, f"unknown doc-test directive {body!r} (one of {', '.join(MODES)})"
    if mode == "skip" and not reason:
        return "skip", None, "a skipped block must say why: <!-- doc-test: skip: <reason> -->"
    if mode != "skip" and reason:
        return mode, None, f"only skip takes a reason, not {body!r}"
    return mode, reason, None


def blocks_of(path: Path, root: Path = ROOT) -> Iterator[Block]:
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening or not opening["info"].strip() and not _closes_later(lines, index, opening):
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not (lines[end].strip().startswith(fence) and lines[end].strip().strip(fence[0]) == ""):
            body.append(lines[end][len(indent) :] if lines[end].startswith(indent) else lines[end].lstrip())
            end += 1
        language = (opening["info"].strip().split() or [""])[0].lower()
        mode, reason, problem = _directive(lines, index)
        code = textwrap.dedent("\n".join(body)) + "\n"
        if not language and code.strip() and _COMMAND_START.match(code.lstrip("\n").splitlines()[0]):
            problem = "an unlabeled block that looks like a command: label its fence sh (or python)"
        yield Block(str(path.relative_to(root)), index + 1, language, code, mode, reason, problem)
        index = end + 1


def _closes_later(lines: list[str], index: int, opening: re.Match) -> bool:
    return any(line.strip() == opening["fence"] for line in lines[index + 1 :])


def all_blocks(root: Path = ROOT) -> list[Block]:
    return [block for path in documents(root) for block in blocks_of(path, root)]


# --- running them -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    returncode: int
    output: str

    @property
    def failure(self) -> str | None:
        if self.returncode != 0:
            return f"exited with {self.returncode}"
        if _ERROR_SHAPE.search(self.output):
            return "printed wom's error shape"
        return None


def base_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """A reader's shell in the repository: no AWS_ or WOM_ settings of the caller, the project's tools first."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WOM_"))}
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), environment.get("PATH", "")])
    environment.update(extra)
    return environment


def local_text(code: str, api_port: int, emulator_port: int) -> str:
    for host in ("127.0.0.1", "localhost"):
        code = code.replace(f"{host}:{LOCAL_API}", f"{host}:{api_port}").replace(f"{host}:{LOCAL_EMULATOR}", f"{host}:{emulator_port}")
    return code


def run_block(block: Block, code: str, environment: Mapping[str, str], cwd: Path = ROOT) -> Outcome:
    if block.language in SHELL:
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    else:
        command = [sys.executable, "-c", code]
    completed = subprocess.run(command, cwd=cwd, env=dict(environment), capture_output=True, text=True, timeout=BLOCK_TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    return Outcome(completed.returncode, completed.stdout + completed.stderr)


def deployed_blocks(root: Path = ROOT) -> list[Block]:
    return [block for block in all_blocks(root) if block.mode == "deployed" and block.runs and not block.problem]


def emulator_environment(endpoint_url: str) -> dict[str, str]:
    """An operator's shell pointed at the emulator holding the rehearsed stack (fake credentials)."""
    return base_environment(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
