"""Splicing one measured section into an existing BENCHMARKS.md (`python -m bench --only …`): its budget row and
its section are replaced (or added), every other figure is left as it was measured."""

from __future__ import annotations

BUDGETS_HEADING = "## Budgets (SPEC §8)"


def splice_section(report: str, row: tuple[str, str, str], heading: str, block: list[str]) -> str:
    """`row`: (budget, measured, verdict); `block`: the section's lines as its writer added them, `heading` first."""
    lines = report.rstrip("\n").split("\n")
    budget, measured, verdict = row
    line = f"| {budget} | {measured} | **{verdict}** |"
    existing = [i for i, text in enumerate(lines) if text.startswith(f"| {budget} |")]
    if existing:
        lines[existing[0]] = line
    else:
        table = next(i for i, text in enumerate(lines) if text.startswith("|") and i > lines.index(BUDGETS_HEADING))
        end = next(i for i in range(table, len(lines) + 1) if i == len(lines) or not lines[i].startswith("|"))
        lines.insert(end, line)
    return splice_block("\n".join(lines), heading, block)


def splice_block(report: str, heading: str, block: list[str]) -> str:
    """The section under `heading` replaced by `block` (or added at the end), the rest left as it is."""
    lines = report.rstrip("\n").split("\n")
    section = "\n".join(block).rstrip("\n").split("\n")
    if heading in lines:
        begin = lines.index(heading)
        end = next((i for i in range(begin + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[begin:end] = section + ([""] if end < len(lines) else [])
    else:
        lines += ["", *section]
    return "\n".join(lines) + "\n"
