"""No post body can make rendering slow: Markdown's cost grows with its length, never faster.

Python-Markdown's link handling was quadratic on runs of `[`: a 100,000-character
body (the largest allowed) held a worker for minutes. The cost is counted here in
Python function calls, which a machine's speed does not change: four times the
text must cost about four times the calls (a quadratic parser costs sixteen).
"""

import sys

import pytest

from shared_models.models import POST_BODY_MAX
from shared_models.publishing import render_markdown

# Shapes that once made a Markdown parser backtrack; each repeated to a given length.
PATHOLOGICAL = {
    "brackets": "[",
    "images": "![",
    "open links": "[a",
    "reference links": "[a][",
    "nested emphasis": "*_",
    "unclosed strong": "**a",
    "empty link targets": "[](",
    "angle brackets": "<a",
    "backslashes": "\\",
    "entities": "&#1;",
    "table rows": "|x|y|\n",
    "blockquotes": ">",
    "list items": "- ",
}
GROWTH = 4
# Linear cost gives a ratio of GROWTH; a parser worse than linear gives GROWTH² or more.
MAX_RATIO = GROWTH * 1.5


def body(shape: str, length: int) -> str:
    text = (PATHOLOGICAL[shape] * length)[:length]
    return "| a | b |\n|---|---|\n" + text if shape == "table rows" else text


def python_calls(source: str) -> int:
    """How many Python and C functions rendering this source calls."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        render_markdown(source)
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("shape", PATHOLOGICAL)
def test_rendering_cost_grows_linearly_with_the_body(shape):
    small = python_calls(body(shape, 5_000))
    large = python_calls(body(shape, 5_000 * GROWTH))

    assert large / small < MAX_RATIO, f"{shape}: {small:,} calls, then {large:,}"


@pytest.mark.parametrize("shape", PATHOLOGICAL)
def test_a_body_of_the_largest_size_renders_to_safe_text(shape):
    html = render_markdown(body(shape, POST_BODY_MAX))

    assert html.strip()
    assert "<script" not in html
