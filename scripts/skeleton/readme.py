"""The copy's README: its own introduction, commands and tree, then the sections that apply."""

from __future__ import annotations

import re
import textwrap

from scripts.skeleton.names import Names
from scripts.skeleton.rename import rename_text
from scripts.skeleton.rules import README_LEFT_OUT
from scripts.skeleton.texts import collapse_prose


def kept_readme_sections(source: str, names: Names) -> str:
    """This README's sections that hold for the new project, renamed, in their order."""
    sections = re.split(r"^(?=## )", source, flags=re.MULTILINE)[1:]
    kept = [
        section
        for section in sections
        if section.splitlines()[0].removeprefix("## ").strip() not in README_LEFT_OUT
    ]
    return collapse_prose(rename_text("".join(kept), names), names).rstrip() + "\n"


def readme(names: Names, paths: list[str], source: str) -> str:
    """The new project's README: what is where, the two commands, where deploying is explained."""
    app_parts = sorted(
        {
            path.split("/")[1] + "/"
            for path in paths
            if path.startswith(f"{names.package}/") and path.count("/") > 1
        }
    )
    layout_words = {
        "functional": "Flask's functional blueprint layout: views/, forms/ and templates/ "
        "each split by area, one static/.",
        "divisional": "Flask's divisional blueprint layout: one package per area, each with "
        "its views.py, forms.py, templates/ and static/.",
    }
    column = " " * 17
    tree = "\n".join(
        [
            f"{names.package + '/':<17}the Flask app: create_app() in __init__.py, and",
            *textwrap.wrap(
                " ".join(app_parts), 80, initial_indent=column, subsequent_indent=column
            ),
            f"{names.domain + '/':<17}the domain, which knows nothing of HTTP: models, accounts,",
            f"{column}publishing, queries, audit, CLI commands, migrations, demo data",
            f"{names.web + '/':<17}what the app sets up around its views, bound by",
            f"{column}{names.web}.init_app(app): configuration, extensions, sign-in,",
            f"{column}error pages, throttling, email, the API's plumbing, logs, metrics",
            f"{'deploy/':<17}gunicorn, nginx and supervisor configs; stack.py runs them locally",
            f"{'tests/':<17}the pytest suite; shared helpers in tests/support/",
            f"{'bench/':<17}the load benchmark, `make bench` (bench/README.md)",
            f"{'scripts/':<17}what `make run` runs",
            f"{'docs/':<17}SECURITY.md: what the app guarantees, and the tests that prove it",
        ]
    )
    introduction = textwrap.fill(
        f"{names.display} is a multi-tenant blog host in Flask: anyone signs up and gets a "
        "blog, writes posts in Markdown from a control panel, and an admin moderates. It is "
        f"laid out in {layout_words[names.layout]}",
        80,
    )
    return f"""# {names.display}

{introduction}

## The two commands

You need Python 3.11+ and `make`; nothing else.

```sh
make run    # creates .venv, migrates, seeds demo data, serves http://127.0.0.1:5001/
make test   # creates .venv and runs the test suite
```

Demo accounts (password `{names.package}-demo`): `ada@example.com`,
`grace@example.com`, `linus@example.com` (writers) and `admin@example.com`
(admin). Emails are written to `instance/outbox/` as `.eml` files, and their
links printed in the console.

## What is where

```
{tree}
```

`{names.domain}` never imports Flask's request; views read the request, call
the domain, and render or redirect.

{kept_readme_sections(source, names)}"""
