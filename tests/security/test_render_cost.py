"""No post body can hold a worker: rendering costs what the body's length says, whatever its shape.

A Markdown renderer goes wrong in two ways. Its Python can loop over the text
once per character (Python-Markdown's links were quadratic on runs of `[`, and
a 100,000-character body took minutes): that shows in the number of Python
calls, which a machine's speed does not change. Or a single regex can backtrack
inside one `re` call, where no call is counted: mistune's pattern for raw HTML
attributes was exponential in tabs (148 characters took 8 seconds) and its
heading trim quadratic in trailing spaces. So what a save makes of a body (its
HTML and its excerpt) is also timed, against ordinary Markdown of the same
length: the two take turns, the best of a few rounds counts, so a busy machine
slows both alike. Each timing runs in a child process, stopped once it is
hopeless, so a regression fails instead of hanging.
"""

import gc
import math
import multiprocessing
import sys
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from shared_models import publishing
from shared_models.models import POST_BODY_MAX
from shared_models.publishing import render_markdown, rendered

# --- the shapes -------------------------------------------------------------------------

# A post as people write them, using every rule the renderer has, in every few lines.
ORDINARY = """## Notes from the garden

It rained all week, so the *tomatoes* finally took off. The **basil** did not:
see [last year's post](https://example.com/basil "Basil, again") for why, or the
`soil_ph` table below. AT&amp;T &copy; 2024, 3 < 4 and 5 > 4\\
on one line.

- Tomatoes: 12 plants, 3 varieties
- Basil: ~~6~~ 2 plants
  1. Genovese
  2. Thai

> A garden teaches patience
> and careful watchfulness.

```python
for bed in beds:
    water(bed, litres=2)
```

    an indented line of code

| Bed | pH  | Notes |
|:----|----:|:-----:|
| A   | 6.5 | fine  |
| B   | 7.2 | lime  |

Photos: ![The tomato bed](https://example.com/tomatoes.jpg) and more at
<https://example.com/photos>; write to <me@example.com>. See [the notes][notes].

[notes]: https://example.com/notes

Setext heading
--------------

***

"""

# Shapes that make a parser backtrack or scan the text again, by the rule they
# aim at (mistune's names), at least one for every rule the renderer enables:
# (start, what repeats, end). Raw HTML is read as text, but was the worst.
HOSTILE_BY_RULE = {
    "raw HTML (read as text)": {
        "raw HTML attributes with tabs": ("z <x", "\ta=b\tc", ""),
        "raw HTML attributes with line breaks": ("z <x", "\na=b\nc", ""),
        "raw HTML attributes with spaces": ("z <x", " a=b c", ""),
        "an HTML block's attributes": ("<x", "\ta=b\tc", "\n"),
        "quoted attributes holding tags": ("z ", "<a b=\"x'<a b='x\"", ""),
        "angle brackets": ("", "<a", ""),
        "unclosed tags": ("", "<a ", ""),
        "closing tags": ("", "</a", ""),
        "HTML comments": ("", "<!--", ""),
        "processing instructions": ("", "<?", ""),
        "declarations": ("", "<!A ", ""),
        "CDATA": ("", "<![CDATA[", ""),
        # Deep nesting made the sanitizer's HTML parser quadratic.
        "nested HTML blocks": ("", "<ul><li>", ""),
        "nested preformatted HTML": ("", "<pre>\n", ""),
        "less-than signs": ("", "<=", ""),
    },
    "atx_heading": {
        "a heading's trailing spaces": ("# a", " ", "x"),
        "a heading's trailing tabs": ("# a", "\t", "x"),
        "a heading's closing hashes": ("# a", " #", "x"),
        "headings": ("", "# a  #  \n", ""),
    },
    "setex_heading": {
        "setext underlines": ("a\n", "=", "x"),
        "setext headings": ("", "a\n-\n", ""),
    },
    "thematic_break": {
        "thematic breaks": ("", "-_*", ""),
        "spaced thematic breaks": ("", "* ", "x"),
    },
    "emphasis": {
        "nested emphasis": ("", "*_", ""),
        "unclosed strong": ("", "**a", ""),
        "closing emphasis": ("", "a*", ""),
        "underscores": ("", "_a", ""),
        "emphasis within strong": ("", "*a **", ""),
    },
    "strikethrough": {
        "strikethrough": ("", "~~a", ""),
        "tildes": ("", "~", "a"),
    },
    "link": {
        "brackets": ("", "[", ""),
        "open labels": ("", "[a", ""),
        "empty link targets": ("", "[](", ""),
        "images": ("", "![", ""),
        "open links": ("", "[a](", ""),
        "nested parentheses": ("[a](", "(", ""),
        "link destinations": ("", "[a](b ", ""),
        "link titles": ("[a](b '", "\\'", ""),
        "angle destinations": ("[a](<", "a", ""),
        "reference links": ("", "[a][", ""),
        "shortcut references": ("", "[a]", ""),
    },
    "link_close": {
        "closing brackets": ("", "]", ""),
    },
    "ref_link": {
        "reference definitions": ("", "[a]: b\n", ""),
        "a long reference label": ("[", "a", "]:"),
        "labels on many lines": ("", "[\n", ""),
    },
    "codespan": {
        "backticks": ("", "`", ""),
        "code spans of growing length": ("", "``a", ""),
        "unmatched code spans": ("", "`a``", ""),
    },
    "fenced_code": {
        "unclosed fences": ("", "```\n", ""),
        "unclosed tilde fences": ("", "~~~a\n", ""),
    },
    "indent_code": {
        "indented code": ("", "    a\n", ""),
        "a paragraph's lazy lines": ("a\n", "    b\n", ""),
    },
    "list": {
        "nested list markers": ("", "- ", ""),
        "nested list items": ("", "- a\n  ", ""),
        "list items": ("", "- a\n", ""),
        "loose list items": ("", "- a\n\n", ""),
        "ordered list markers": ("", "1. ", ""),
    },
    "block_quote": {
        "nested block quotes": ("", ">", ""),
        "quoted lines": ("", "> a\n", ""),
        "quoted lists": ("", "> - ", ""),
    },
    "blank_line": {
        "blank lines": ("a", " \n", "b"),
    },
    "table": {
        "table rows": ("| a | b |\n|---|---|\n", "|x|y|\n", ""),
        "table pipes": ("| a | b |\n|---|---|\n", "|", ""),
        "a wide table head": ("", "| a ", "\n|---|\n"),
        "table alignments": ("| a |\n", "|:-:", "\n"),
    },
    "nptable": {
        "tables without pipes at the edges": ("", "a|\n", ""),
    },
    "auto_link": {
        "autolinks": ("", "<a:", ""),
        "a long autolink": ("<a:", "b", ""),
    },
    "auto_email": {
        "email autolinks": ("", "<a@", ""),
        "a long email domain": ("<a@a", ".a", ""),
    },
    "escape": {
        "backslashes": ("", "\\", ""),
        "escaped punctuation": ("", "\\*", ""),
    },
    "linebreak": {
        "hard line breaks": ("", "a  \n", ""),
        "backslash line breaks": ("", "\\\n", ""),
        "spaces before a line break": ("a", " ", "\nb"),
    },
    "softbreak": {
        "soft line breaks": ("", "a\n", ""),
    },
    "text": {
        "character references": ("", "&#1;", ""),
        "unfinished entities": ("", "&amp", ""),
        "quotes": ("", "'\"", ""),
    },
}
HOSTILE = {name: shape for shapes in HOSTILE_BY_RULE.values() for name, shape in shapes.items()}

# The shapes whose Python calls are counted too, and whose HTML is checked.
COUNTED = [
    "brackets",
    "images",
    "open labels",
    "empty link targets",
    "reference links",
    "nested emphasis",
    "unclosed strong",
    "backslashes",
    "character references",
    "table rows",
    "nested block quotes",
    "nested list markers",
    "angle brackets",
]


def ordinary(length: int) -> str:
    return (ORDINARY * (length // len(ORDINARY) + 1))[:length]


def repeated(start: str, unit: str, end: str, length: int) -> str:
    """`unit` repeated between `start` and `end`, to a body of `length` characters."""
    middle = length - len(start) - len(end)
    return start + (unit * (middle // len(unit) + 1))[:middle] + end


def hostile(shape: str, length: int) -> str:
    return repeated(*HOSTILE[shape], length)


def test_every_rule_the_renderer_enables_has_hostile_shapes():
    # A rule a plugin or a mistune upgrade adds needs shapes above before it ships.
    parser = publishing._markdown
    enabled = {*parser.block.rules, *parser.inline.rules}

    assert enabled <= HOSTILE_BY_RULE.keys(), enabled - HOSTILE_BY_RULE.keys()


# --- timing -----------------------------------------------------------------------------

# At the largest size, the costliest shapes take about twelve times as long as
# ordinary Markdown (mistune makes a token of each of `*_*_…`, where prose is
# one). A quadratic shape takes hundreds of times as long, an exponential one
# forever.
MAX_RATIO = 30
ROUNDS = 5
# A render that takes this many times the ordinary text's time (per character) is
# not waited for: it has failed whatever the rest would show.
HOPELESS = 100
# Only the very first render, which has nothing to compare with, waits this long.
FIRST_RENDER_WAIT = 120


def _render_and_report(bodies: list[str], rounds: int, sender) -> None:
    # As timeit does: the garbage collector's pauses are not the rendering's cost.
    gc.collect()
    gc.disable()
    for _ in range(rounds):
        for index, body in enumerate(bodies):
            start = time.perf_counter()
            rendered(body)  # what a save makes of a body: its HTML and its excerpt
            sender.send((index, time.perf_counter() - start))


def best_times(bodies: list[str], good_enough: Callable[[list[float]], bool]) -> list[float]:
    """Each body's best rendering time, in seconds, over rounds in which they take turns.

    `bodies[0]` is the yardstick, ordinary Markdown. The renders run in a child
    process; after each round, `good_enough(best)` may end them early. A render
    that takes HOPELESS times the yardstick's time per character counts as taking
    forever, and the child is stopped.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_render_and_report, args=(bodies, ROUNDS, sender))
    child.start()
    sender.close()
    best = [math.inf] * len(bodies)
    try:
        for _ in range(ROUNDS):
            for body in bodies:
                wait = FIRST_RENDER_WAIT
                if best[0] < math.inf:
                    wait = HOPELESS * best[0] * len(body) / len(bodies[0])
                if not receiver.poll(wait):
                    return best
                index, seconds = receiver.recv()
                best[index] = min(best[index], seconds)
            if good_enough(best):
                break
        return best
    finally:
        child.kill()
        child.join()


def costs_at_most(ratio: float) -> Callable[[list[float]], bool]:
    """Whether body 1 costs at most `ratio` times body 0."""
    return lambda best: best[1] <= ratio * best[0]


# --- the largest body, every shape ------------------------------------------------------


@pytest.mark.parametrize("shape", HOSTILE)
def test_a_hostile_body_of_the_largest_size_costs_about_what_ordinary_markdown_does(shape):
    best = best_times(
        [ordinary(POST_BODY_MAX), hostile(shape, POST_BODY_MAX)], costs_at_most(MAX_RATIO)
    )

    assert costs_at_most(MAX_RATIO)(best), (
        f"{shape}: {best[1]:.2f} s, ordinary Markdown of the same length {best[0]:.2f} s"
    )


@pytest.mark.parametrize("shape", COUNTED)
def test_a_hostile_body_of_the_largest_size_renders_to_safe_text(shape):
    html = render_markdown(hostile(shape, POST_BODY_MAX))

    assert html.strip()
    assert "<script" not in html


# --- any short pattern, repeated --------------------------------------------------------

# What Markdown's rules (and HTML's) key on, and letters.
CHARACTERS = "<>=\t\n *_`[]()#|\\!\"'~-:.&;/ab1"
SMALL = 5_000
GROWTH = 4
# Linear cost keeps the cost per character as it was; quadratic multiplies it by
# GROWTH. Shapes far cheaper than ordinary Markdown count as costing a quarter of
# it, so that timing noise in nearly nothing cannot pass for growth.
MAX_GROWTH = 2.5
CHEAP = 0.25

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    # The same examples every run: a timing check whose inputs change from run to
    # run fails at random on a busy machine rather than on a change to the code.
    derandomize=True,
    # A failing pattern is short already; shrinking would time many more renders.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],
)


def growth(best: list[float]) -> float:
    """How much the cost per character grew from the small body to the large one.

    `best` holds the times of ordinary Markdown, the small body and the large one.
    Ordinary Markdown is the unit of cost per character, and only sets how cheap
    is cheap; it cancels out otherwise.
    """
    if math.inf in best:
        return math.inf
    ordinary_per_character = best[0] / (SMALL * GROWTH)
    small = max(best[1] / SMALL / ordinary_per_character, CHEAP)
    large = best[2] / (SMALL * GROWTH) / ordinary_per_character
    return large / small


@FUZZ
@given(
    start=st.text(alphabet=CHARACTERS, max_size=4),
    unit=st.text(alphabet=CHARACTERS, min_size=1, max_size=8),
    end=st.text(alphabet=CHARACTERS, max_size=4),
)
@example(start="z <x", unit="\ta=b\tc", end="")  # froze a worker with 28 repeats
@example(start="# a", unit=" ", end="x")  # quadratic: 6 seconds at 40,000 spaces
def test_a_repeated_pattern_costs_in_proportion_to_its_length(start, unit, end):
    bodies = [
        ordinary(SMALL * GROWTH),
        repeated(start, unit, end, SMALL),
        repeated(start, unit, end, SMALL * GROWTH),
    ]

    best = best_times(bodies, lambda best: growth(best) <= MAX_GROWTH)

    assert growth(best) <= MAX_GROWTH, (start, unit, end, best)


# --- Python calls -----------------------------------------------------------------------

# Counted, not timed: four times the text must cost about four times the calls (a
# quadratic parser costs sixteen), on any machine however busy.
MAX_CALL_RATIO = GROWTH * 1.5


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


@pytest.mark.parametrize("shape", COUNTED)
def test_rendering_calls_grow_linearly_with_the_body(shape):
    small = python_calls(hostile(shape, SMALL))
    large = python_calls(hostile(shape, SMALL * GROWTH))

    assert large / small < MAX_CALL_RATIO, f"{shape}: {small:,} calls, then {large:,}"
