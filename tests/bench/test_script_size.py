"""The bench's §7: wom.js's size in the budget table and its own section."""

from __future__ import annotations

from bench.script_size import ScriptFile, ScriptSize, budget_row, section


def sizes(gzipped: int) -> ScriptSize:
    return ScriptSize((
        ScriptFile("wom.min.js", "GET /wom.js", "every page", 4000, gzipped),
        ScriptFile("wom-advocate.min.js", "GET /wom-advocate.js", "advocate pages", 1500, 800),
    ))


def test_the_budget_row_compares_what_every_page_pays_with_2_kb():
    budget, measured, verdict = budget_row(sizes(1900))
    assert "2,048 B gzipped" in budget and "**1,900 B** gzipped (4,000 B raw)" in measured and verdict == "met"
    assert budget_row(sizes(2049))[2] == "missed"
    assert budget_row(sizes(2048))[2] == "met"


def test_the_section_lists_each_file_and_the_advocate_pages_total():
    out: list[str] = []
    section(sizes(1900), out.append)
    text = "\n".join(out)
    assert "| `wom.min.js` | `GET /wom.js` | every page | 4,000 B | **1,900 B** |" in text
    assert "pays 2,700 B in all" in text
