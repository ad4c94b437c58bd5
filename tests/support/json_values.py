"""Any JSON value, for property tests that feed untrusted bodies to a parser."""

from __future__ import annotations

from hypothesis import strategies as st


def json_values(floats: bool = False) -> st.SearchStrategy:
    scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=40)
    if floats:
        scalars |= st.floats(allow_nan=False)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
        max_leaves=25,
    )
