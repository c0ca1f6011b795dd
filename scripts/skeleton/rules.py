"""What the copy leaves out and which sentences it rewrites: the rules, in one place."""

from __future__ import annotations

DOMAIN, WEB = "shared_models", "shared_web"

# Files that exist only to compare the layouts, or only to describe Inkpot itself;
# the other layout's package is left out as well. Every other tracked file is copied.
LEFT_OUT = [
    "docs/LAYOUTS.md",  # the side-by-side comparison
    "scripts/compare_layouts.py",  # writes it
    "tests/test_layouts_doc.py",  # keeps it fresh
    "tests/test_parity.py",  # proves both layouts render the same HTML
    "docs/screenshots/*",  # Inkpot's pages, under Inkpot's name, for the comparison
    "scripts/screenshots.py",  # photographs every layout into docs/screenshots/
    "bench/results.json",  # Inkpot's measurements, not the new project's
    "bench/growth.json",
    "docs/bench.png",
    "scripts/skeleton/*",  # this generator, and its test
    "tests/test_skeleton.py",
    "README.md",  # written for the new project, with the sections below that still apply
]

# Where the repository explains choosing a layout in words, said of the one app.
# Each pattern must still match (the generator says so when one stops matching):
# edit the pattern together with the sentence.
SENTENCES: dict[str, list[tuple[str, ...]]] = {
    "deploy/README.md": [
        (
            r" Either layout runs\nthe same way: the env file's "
            r"`LAYOUT=functional\|divisional` picks it\.",
            "",
        ),
        (r", `LAYOUT`, sizes", ", sizes"),
        (r" with the env file's settings and `LAYOUT`", " with the env file's settings"),
        (r"make serve +# functional layout\nmake serve LAYOUT=divisional\n", "make serve\n"),
        (r", for the layout its\n`LAYOUT` names\.", "."),
        (r"# LAYOUT, MAIL_\*, and", "# MAIL_*, and"),
        (r"of the env file's LAYOUT is", "of the app is"),
        (r"static-locations --env-file /etc/inkpot/inkpot\.env \\", "static-locations \\"),
        (r"whenever you change `LAYOUT` or an area", "whenever an area"),
        # The functional layout has one static folder; the divisional one, one per area too.
        (
            r"the app's\n`/static/` and, in the divisional layout, each area's \(.*?\)\.",
            "the app's\n`/static/`.",
            "functional",
        ),
        (
            r"There is no env file here, so step 7\n +names the layout instead: .*?inkpot\.env`\. ",
            "",
        ),
    ],
    "shared_web/__init__.py": [
        (r"What both sites do alike", "What the app does"),
        (
            r"what every Inkpot app sets up the same way whatever its layout \(",
            "what Inkpot sets up around its views (",
        ),
        (
            r"so each layout's\s+create_app registers\s+it with one call instead of a copy\. "
            r".*?live\.",
            "so create_app registers\nit with one call.",
        ),
    ],
    "shared_web/config.py": [
        (
            r"# Both layouts share one instance folder, so `make run` serves them one database\.",
            "# The instance folder, beside the packages: the development database and key.",
        ),
        (r" *# Cookies ignore ports: both layouts served .*?the other\.\n", ""),
    ],
    "README.md": [
        (r"^make serve LAYOUT=divisional +# (needs nginx and Redis)", r"# make serve \1"),
        (r"Inkpot is meant to be copied, so it is safe", "It is safe"),
        (
            r"Both sites serve one JSON API under `/api/v1/`, their",
            "The site serves one JSON API under `/api/v1/`, its",
        ),
        (r"^(APP_ENV=development )LAYOUT=functional (\.venv/bin/celery)", r"\1\2"),
        (r"PYTEST_ARGS=\"-k parity\"", 'PYTEST_ARGS="-k sessions"'),
        (r" Every behaviour test runs on both\nlayouts\.", ""),
        # The copy has no copies of its own to test, and its own size and times.
        (r", then `make test-copies`\.", "."),
        (r"\| `make test-copies` \|.*?\n", ""),
        (r" and `make test-copies` \|", " |"),
        (r"`tests/test_skeleton\.py` makes a copy of each layout.*?\n\n", ""),
        (r"The whole suite is about [\d,]+ tests\. Measured .*?\n\n", ""),
        (r"supervisor keeping both up", "supervisor keeping the app and the worker up"),
        # The screenshots stay behind (scripts/screenshots.py draws both layouts).
        (
            r"\n\| home \| a post \| dashboard \|\n\| --- \| --- \| --- \|\n"
            r"\|[^\n]*zh-phone\.png\) \|\n",
            "\n",
        ),
        (
            r"one `translations/` in\nthe functional layout, one per area in the divisional "
            r"layout, and the domain's\nrule messages once, in `shared_models/translations/`, "
            r"for both\n\(`docs/LAYOUTS\.md` explains the choice\)\.",
            "one `translations/` for\nthe whole app, and the domain's rule messages in\n"
            "`shared_models/translations/`.",
            "functional",
        ),
        (
            r"one `translations/` in\nthe functional layout, one per area in the divisional "
            r"layout, and the domain's\nrule messages once, in `shared_models/translations/`, "
            r"for both\n\(`docs/LAYOUTS\.md` explains the choice\)\.",
            "one `translations/` per\narea, one for the app-wide templates, and the domain's "
            "rule messages in\n`shared_models/translations/`.",
            "divisional",
        ),
    ],
    ".ci/run": [(r"# make test runs the smoke tests of the copies .*?\nmake test-copies\n", "")],
    "deploy/inkpot.env.example": [(r"# functional or divisional: .*\nLAYOUT=\w+\n", "")],
    "deploy/env_file.py": [(r", and render\.py reads LAYOUT from\nit", "\nand to the worker")],
    "deploy/inkpot-flask": [
        (r" settings, for the layout the env file's LAYOUT names:", " settings:")
    ],
    "tests/conftest.py": [(r"\n\nThe `app` fixture is parametrised by layout.*?LAYOUTS\.", "")],
    "deploy/nginx/inkpot.conf": [
        (
            r"/static/ and, in the divisional layout, each area's own static folder\.",
            "/static/ folder.",
            "functional",
        )
    ],
    "deploy/supervisor/inkpot.conf": [(r", LAYOUT and the rest", " and the rest")],
    "tests/deploy/test_guide.py": [
        (r" *# Step 7 reads LAYOUT from it too\.\n.*?== env_file\n", "")
    ],
    "bench/README.md": [
        (r"; LAYOUT=divisional for the twin", ""),
        # The copy starts without the results files: `make bench` writes its own.
        (r"!\[Requests per second, per scenario\]\(\.\./docs/bench\.png\)\n\n", ""),
        # Inkpot's own measurements and what was learnt from them: the copy measures its own.
        (
            r"Measured on \d+ \w+ \d{4}.*?(?=### Fast by design)",
            "`make bench` prints the table and every budget, met or missed, and writes\n"
            "`bench/results.json` and `docs/bench.png`.\n\n",
        ),
    ],
    "bench/profile.py": [
        (r"# every page, functional layout", "# every page"),
        (r"--layout divisional ", ""),
    ],
    "scripts/translations.py": [
        (
            r"So `functional_layout/translations/` covers the whole\nfunctional app, "
            r"`divisional_layout/home/translations/` the home area only, and\n"
            r"`shared_models/translations/` the domain's rule messages, translated once for\n"
            r"both apps\.",
            "So `functional_layout/translations/` covers the whole\napp, and "
            "`shared_models/translations/` the domain's rule messages.",
            "functional",
        ),
        (
            r"So `functional_layout/translations/` covers the whole\nfunctional app, "
            r"`divisional_layout/home/translations/` the home area only, and\n"
            r"`shared_models/translations/` the domain's rule messages, translated once for\n"
            r"both apps\.",
            "So `divisional_layout/home/translations/` covers the home area\nonly, "
            "`divisional_layout/translations/` the app-wide templates, and\n"
            "`shared_models/translations/` the domain's rule messages.",
            "divisional",
        ),
    ],
    "scripts/serve_dev.py": [
        (
            r"the shared demo database, then serve both layouts until",
            "the demo database, then serve the site until",
        ),
        (r"then serve both layouts with", "then serve the site with"),
        (r"the functional layout's port; the divisional layout's is the next one ", "the port "),
        (r"    ports = \{layout: .*?\n", ""),
        (r" *# Both layouts share one database: .*?\n", ""),
        (
            r"        for layout, port in ports\.items\(\):\n.*?\n        print\(\)\n"
            r"        for layout, port in ports\.items\(\):\n            print\(.*?\)\n",
            "        servers.append(serve(LAYOUTS[0], options.host, options.port))\n"
            '        print(f"\\n  http://{options.host}:{options.port}/")\n',
        ),
        (r"A server stopped; stopping the others\.", "The server stopped."),
    ],
}

# Sections of README.md the new project's README leaves out: it writes its own
# introduction, commands and tree, and these are about comparing, copying or
# Inkpot's own measurements. Every other section is kept, renamed.
README_LEFT_OUT = {
    "The two commands",
    "What you get",
    "Two layouts, side by side",
    "Copy a layout",
    "Performance",
}

# Make targets whose recipe runs a left-out script have nothing to run.
MAKE_VARIABLES_LEFT_OUT = ("LAYOUT",)
