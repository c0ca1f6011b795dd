"""`make skeleton`: one layout of this repository, copied out as a new standalone project.

    python scripts/skeleton.py --layout divisional --dest ../my_blog --name my_blog

The source is the tree git tracks here, the one the tests prove, read by rules
rather than from a list: a file added to the repository flows into every
skeleton, unless a rule below says it exists only to compare the two layouts.
Three packages come out: the chosen layout as NAME (the app), shared_models as
NAME_domain and shared_web as NAME_web. Python is renamed token by token and the
layout machinery is collapsed on its syntax tree; templates, configs and docs
go through one ordered text mapping. The result is formatted with ruff, checked
with ast.parse, and refused if a trace of the old names is left.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import io
import keyword
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tokenize
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
# Run as a script: make the repository importable, whatever the current folder.
sys.path.insert(0, str(REPOSITORY))

from deploy import LAYOUTS  # noqa: E402

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
    "scripts/skeleton.py",  # this generator, and its test
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
        (r"^LAYOUT=functional (\.venv/bin/celery)", r"\1"),
        (r"PYTEST_ARGS=\"-k parity\"", 'PYTEST_ARGS="-k sessions"'),
        (r" Every behaviour test runs on both\nlayouts\.", ""),
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
        (r"serve both layouts until", "serve the site until"),
        (r"    ports = \{layout: .*?\n    # Both layouts share one database: .*?\n", ""),
        (
            r"    servers = \[\n.*?\n    \]\n    print\(\)\n"
            r"    for layout, port in ports\.items\(\):\n        print\(.*?\)\n",
            "    servers = [\n"
            "        subprocess.Popen(\n"
            '            flask(LAYOUTS[0], "run", "--debug", "--host", HOST, "--port",'
            " str(FIRST_PORT))\n"
            "        )\n"
            "    ]\n"
            '    print(f"\\n  http://{HOST}:{FIRST_PORT}/")\n',
        ),
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


class SkeletonError(Exception):
    """The skeleton cannot be written; the message says why."""


@dataclass(frozen=True)
class Names:
    """Every name the new project uses where this repository says Inkpot."""

    layout: str
    package: str

    @property
    def other_layout(self) -> str:
        return next(layout for layout in LAYOUTS if layout != self.layout)

    @property
    def domain(self) -> str:
        return f"{self.package}_domain"

    @property
    def web(self) -> str:
        return f"{self.package}_web"

    @property
    def display(self) -> str:
        """`my_blog` → "My Blog": what pages, emails and docs call the product."""
        return " ".join(part.capitalize() for part in self.package.split("_") if part)

    @property
    def host(self) -> str:
        """`my_blog` → "my-blog": a host name has no underscore."""
        return self.package.replace("_", "-")

    def identifiers(self) -> dict[str, str]:
        """Python names: the packages, whichever layout a kept file imports."""
        return {
            f"{self.layout}_layout": self.package,
            f"{self.other_layout}_layout": self.package,
            DOMAIN: self.domain,
            WEB: self.web,
        }

    def text(self) -> list[tuple[str, str]]:
        """(pattern, replacement) in order: the most specific first."""
        package = re.escape(self.package)
        return [
            # A layout picked by name, `{layout}_layout` or `LAYOUT=...`, is the one app now.
            (r"\{[\w.\[\]'\"]*layout[\w'\"\]]*\}_layout", self.package),
            (r'"\$\{LAYOUT:-\w+\}_layout"', self.package),
            (
                rf"(?<![a-zA-Z0-9])(?:{self.layout}|{self.other_layout})_layout(?![a-zA-Z0-9])",
                self.package,
            ),
            (rf"\b{DOMAIN}\b", self.domain),
            (rf"\b{WEB}\b", self.web),
            # Host names and mail domains cannot have an underscore.
            (r"\binkpot(?=\.example|\.git\b|\\\.example)", self.host),
            (r"(?<=@)inkpot\b", self.host),
            # An HTTP header's name has words joined by hyphens: X-My-Blog-Language.
            (r"(?<=X-)Inkpot(?=-)", self.display.replace(" ", "-")),
            (r"Inkpot(?=[A-Z])", self.display.replace(" ", "")),
            (r"Inkpot", self.display),
            (r"INKPOT", self.package.upper()),
            (r"inkpot", self.package),
            # Keep a double rename from running together: `my_blog_domain`, never twice.
            (rf"{package}_domain_domain", self.domain),
        ]


# ---------------------------------------------------------------------------
# Checking the request


def dependency_import_names() -> set[str]:
    """The top-level modules every installed distribution provides (flask, sqlalchemy, ...)."""
    return {name.lower() for name in importlib.metadata.packages_distributions()}


RESERVED_FOLDERS = {"deploy", "tests", "scripts", "bench", "docs", "instance", "run", "build"}


def check_name(name: str) -> None:
    """Refuse a package name Python or this project could not import as its own."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or not name.isidentifier():
        raise SkeletonError(
            f"NAME={name!r} is not a Python package name: use lowercase letters, digits "
            "and underscores, starting with a letter (e.g. my_blog)."
        )
    if "layout" in name:
        raise SkeletonError(
            f"NAME={name!r}: a name with 'layout' in it would read as the layout choice "
            "this copy removes; choose another name."
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise SkeletonError(f"NAME={name!r} is a Python keyword; choose another name.")
    taken = {
        "the standard library": {module.lower() for module in sys.stdlib_module_names},
        "an installed dependency": dependency_import_names(),
        "a folder of the project": RESERVED_FOLDERS,
    }
    for candidate in (name, f"{name}_domain", f"{name}_web"):
        for owner, modules in taken.items():
            if candidate in modules:
                raise SkeletonError(
                    f"NAME={name!r}: {candidate!r} is already a module of {owner}; "
                    "importing it would pick the wrong one. Choose another name."
                )


def check_destination(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise SkeletonError(f"DEST={dest} is not an empty folder; give a new or empty one.")
    if dest.resolve().is_relative_to(REPOSITORY):
        raise SkeletonError(f"DEST={dest} is inside this repository; give a folder outside it.")


# ---------------------------------------------------------------------------
# Which files, under which paths


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPOSITORY, capture_output=True, check=True
    ).stdout.decode()
    return sorted(path for path in listed.split("\0") if path and (REPOSITORY / path).is_file())


def left_out(path: str, names: Names) -> bool:
    if path.startswith(f"{names.other_layout}_layout/"):
        return True
    return any(fnmatch(path, pattern) for pattern in LEFT_OUT)


def rename_text(text: str, names: Names) -> str:
    for pattern, replacement in names.text():
        text = re.sub(pattern, lambda _match, new=replacement: new, text)
    return text


# ---------------------------------------------------------------------------
# Python: token renames, then the layout machinery collapsed on the syntax tree


def rename_python(source: str, names: Names) -> str:
    """Identifiers by the identifier map; strings and comments by the text mapping."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        if token.type == tokenize.NAME:
            renamed = rename_identifier(token.string, names)
            if renamed != token.string:
                edits.append((start, end, renamed))
        elif token.type in (tokenize.STRING, tokenize.COMMENT):
            renamed = collapse_prose(rename_text(token.string, names), names)
            if renamed != token.string:
                edits.append((start, end, renamed))
    for start, end, text in reversed(edits):
        source = source[:start] + text + source[end:]
    return source


def rename_identifier(name: str, names: Names) -> str:
    """`InkpotClient` → `MyBlogClient`, `shared_web` → `my_blog_web`, `inkpot_x` → `my_blog_x`."""
    if name in names.identifiers():
        return names.identifiers()[name]
    for old, new in names.identifiers().items():
        name = name.replace(old, new)
    name = name.replace("both_layouts", "the_app").replace("files_layout", "files_app")
    camel = names.display.replace(" ", "")
    return (
        name.replace("Inkpot", camel)
        .replace("INKPOT", names.package.upper())
        .replace("inkpot", names.package)
    )


LAYOUT_NAMES = {"layout", "LAYOUTS", "layout_module"}


def layout_parameters(trees: dict[str, ast.Module]) -> dict[tuple[str, str], int]:
    """Where each top-level function or dataclass, by (file, name), takes its `layout`."""
    found: dict[tuple[str, str], int] = {}
    for path, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                positional = [*node.args.posonlyargs, *node.args.args]
                for position, argument in enumerate(positional):
                    if argument.arg == "layout":
                        found[path, node.name] = position
            elif isinstance(node, ast.ClassDef) and any(
                "dataclass" in ast.unparse(decorator) for decorator in node.decorator_list
            ):
                fields = [item for item in node.body if isinstance(item, ast.AnnAssign)]
                for position, item in enumerate(fields):
                    if isinstance(item.target, ast.Name) and item.target.id == "layout":
                        found[path, node.name] = position
    return found


def module_file(module: str, files: set[str]) -> str | None:
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


def called_definition(path: str, tree: ast.Module, call: ast.Call, files: set[str]):
    """(file, name) of the top-level function or class a call reaches, if this repo defines it."""
    imported: dict[str, str] = {}  # local name -> dotted origin
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                imported[local] = alias.name if alias.asname else local
    if isinstance(call.func, ast.Name):
        name = call.func.id
        if name in imported:
            module, _, name = imported[name].rpartition(".")
            target = module_file(module, files)
            return (target, name) if target else None
        return (path, name)
    if isinstance(call.func, ast.Attribute):
        parts = []
        value = call.func.value
        while isinstance(value, ast.Attribute):
            parts.insert(0, value.attr)
            value = value.value
        if not isinstance(value, ast.Name) or value.id not in imported:
            return None
        dotted = ".".join([imported[value.id], *parts])
        target = module_file(dotted, files)
        return (target, call.func.attr) if target else None
    return None


class Source:
    """A module's text with edits keyed on its syntax tree (positions in UTF-8 bytes)."""

    def __init__(self, text: str):
        self.data = text.encode()
        self.line_starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.edits: list[tuple[int, int, bytes]] = []

    def start(self, node: ast.AST) -> int:
        return self.line_starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.AST) -> int:
        return self.line_starts[node.end_lineno - 1] + node.end_col_offset

    def replace(self, node: ast.AST, text: str) -> None:
        self.edits.append((self.start(node), self.end(node), text.encode()))

    def remove_span(self, start: int, end: int) -> None:
        self.edits.append((start, end, b""))

    def segment(self, node: ast.AST) -> str:
        return self.data[self.start(node) : self.end(node)].decode()

    def remove_lines(self, node: ast.AST) -> None:
        """The whole lines a node spans."""
        start = self.line_starts[node.lineno - 1]
        self.edits.append((start, self.line_starts[node.end_lineno], b""))

    def remove_line(self, node: ast.AST) -> None:
        """The whole lines of a statement, with its decorators and the comment just above it."""
        first = node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([first, *(decorator.lineno for decorator in node.decorator_list)])
        while first > 1 and self.line(first - 1).lstrip().startswith(b"#"):
            first -= 1
        self.edits.append((self.line_starts[first - 1], self.line_starts[node.end_lineno], b""))

    def line(self, number: int) -> bytes:
        return self.data[self.line_starts[number - 1] : self.line_starts[number]]

    def remove_item(self, items: list[ast.AST], index: int, closing: int) -> None:
        """One item of a comma-separated list; `closing` is where the list ends."""
        item = items[index]
        start, end = self.start(item), self.end(item)
        following = self.start(items[index + 1]) if index + 1 < len(items) else None
        if following is not None:
            end = following
        elif index > 0:
            start = self.end(items[index - 1])
        else:
            rest = self.data[end:closing]
            end += len(rest) - len(rest.lstrip(b" \t\n,"))
        self.edits.append((start, end, b""))

    def text(self) -> str:
        # The widest edit wins: a removed statement takes the edits inside it along.
        kept: list[tuple[int, int, bytes]] = []
        for edit in sorted(set(self.edits), key=lambda edit: (edit[0], -edit[1])):
            if kept and edit[0] < kept[-1][1]:
                continue
            kept.append(edit)
        data = self.data
        for start, end, new in reversed(kept):
            data = data[:start] + new + data[end:]
        return data.decode()


def argument_spans(node: ast.arguments) -> list[tuple[str, ast.AST, ast.AST]]:
    """(name, first node, last node) of each parameter, in source order."""
    positional = [*node.posonlyargs, *node.args]
    defaults = [None] * (len(positional) - len(node.defaults)) + list(node.defaults)
    spans = [
        (argument.arg, argument, default or argument)
        for argument, default in zip(positional, defaults, strict=True)
    ]
    if node.vararg:
        spans.append((node.vararg.arg, node.vararg, node.vararg))
    for argument, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
        spans.append((argument.arg, argument, default or argument))
    if node.kwarg:
        spans.append((node.kwarg.arg, node.kwarg, node.kwarg))
    return spans


def callable_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def is_layout_parametrize(decorator: ast.AST) -> bool:
    """`@pytest.mark.parametrize("layout", ...)`."""
    return (
        isinstance(decorator, ast.Call)
        and callable_name(decorator) == "parametrize"
        and bool(decorator.args)
        and isinstance(decorator.args[0], ast.Constant)
        and decorator.args[0].value == "layout"
    )


def collapse_layouts(
    path: str,
    text: str,
    names: Names,
    takes_layout: dict[tuple[str, str], int],
    all_files: set[str],
) -> str:
    """Remove what picks a layout, pass after pass until nothing changes: one app now."""
    # Arguments first, once: a call keeps its other arguments, whatever a later pass finds.
    source = Source(text)
    tree = ast.parse(text)
    files = {file for file, _ in takes_layout} | set(all_files)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            reached = called_definition(path, tree, node, files)
            if reached in takes_layout:
                remove_layout_argument(source, node, takes_layout[reached])
    text = source.text()
    for _ in range(20):
        tree = ast.parse(text)
        source = Source(text)
        layout_arguments(tree, source, names)
        if not source.edits:
            layout_loops(tree, source)
        if not source.edits:
            layout_statements(tree.body, source)
        if not source.edits:
            return text
        text = source.text()
    raise SkeletonError("the layout collapse does not settle")


def layout_arguments(tree: ast.Module, source: Source, names: Names) -> None:
    """Imports, calls, parameters, fixtures and settings that name a layout."""
    aliases = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and is_layout_parametrize(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "deploy":
            kept = [alias.name for alias in node.names if alias.name not in LAYOUT_NAMES]
            if len(kept) != len(node.names):
                lines = [f"from deploy import {', '.join(kept)}"] if kept else []
                if any(alias.name == "layout_module" for alias in node.names):
                    lines.insert(0, f"import {names.package}")
                if lines:
                    source.replace(node, "\n".join(lines))
                else:
                    source.remove_lines(node)
        elif isinstance(node, ast.Call) and callable_name(node) == "layout_module":
            source.replace(node, names.package)
        elif isinstance(node, ast.Call) and callable_name(node) == "fixture":
            for item in node.keywords:
                if item.arg == "params" and names_a_layout(item.value):
                    items = sorted([*node.args, *node.keywords], key=source.start)
                    source.remove_item(items, items.index(item), source.end(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in LAYOUT_NAMES or (
                node.name.startswith("test_") and "layout" in node.name and names_a_layout(node)
            ):
                source.remove_line(node)  # the machinery itself, or a test of choosing a layout
                continue
            for decorator in node.decorator_list:
                if is_layout_parametrize(decorator) or (
                    isinstance(decorator, ast.Name) and decorator.id in aliases
                ):
                    source.remove_lines(decorator)
            spans = argument_spans(node.args)
            for index, (name, _, _) in enumerate(spans):
                if name == "layout":
                    remove_parameter(source, spans, index, source.start(node.body[0]))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                target = getattr(item, "target", None)
                if isinstance(item, ast.AnnAssign) and getattr(target, "id", None) == "layout":
                    source.remove_line(item)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in {"LAYOUT", "layout"}:
                    start, end = source.start(key), source.end(value)
                    rest = source.data[end:]
                    end += len(rest) - len(rest.lstrip(b" \t,"))
                    source.remove_span(start, end)
        elif isinstance(node, ast.List | ast.Tuple) and duplicate_names(node, names):
            # ["functional_layout_session", "divisional_layout_session"] are one name now.
            seen = set()
            for index, item in enumerate(node.elts):
                if item.value in seen:
                    source.remove_item(node.elts, index, source.end(node))
                seen.add(item.value)
        elif isinstance(node, ast.List):
            # ["serve", "--layout", "functional"]: the option and its value go together.
            for index, item in enumerate(node.elts[:-1]):
                if isinstance(item, ast.Constant) and item.value == "--layout":
                    value = node.elts[index + 1]
                    if index + 2 < len(node.elts):
                        span = source.start(item), source.start(node.elts[index + 2])
                    elif index > 0:  # last: take the comma before it, not a trailing one
                        span = source.end(node.elts[index - 1]), source.end(value)
                    else:
                        span = source.start(item), source.end(value)
                    source.remove_span(*span)
        elif (
            isinstance(node, ast.ListComp)
            and iterates_layouts(node.generators)
            and not names_a_layout(node.elt)
        ):
            # [f(layout) for layout in LAYOUTS] is [f()] once the arguments are gone.
            source.replace(node, f"[{source.segment(node.elt)}]")


def layout_loops(tree: ast.Module, source: Source) -> None:
    """`for layout in LAYOUTS:` runs its body once, for the one app."""
    for node in ast.walk(tree):
        if isinstance(node, ast.For) and iterates_layouts([node]):
            if any(names_a_layout(statement) for statement in node.body):
                continue  # the body's own arguments go first
            start = source.line_starts[node.lineno - 1]
            end = source.line_starts[node.end_lineno]
            body = source.data[source.line_starts[node.body[0].lineno - 1] : end].decode()
            indent = " " * (node.body[0].col_offset - node.col_offset)
            dedented = "".join(line.removeprefix(indent) for line in body.splitlines(keepends=True))
            source.edits.append((start, end, dedented.encode()))


def duplicate_names(node: ast.List | ast.Tuple, names: Names) -> bool:
    """A list of strings naming the app twice, once per layout before the rename."""
    values = [getattr(item, "value", None) for item in node.elts]
    if not all(isinstance(value, str) for value in values):
        return False
    return any(values.count(value) > 1 and names.package in value for value in values)


def layout_statements(body: list[ast.stmt], source: Source) -> bool:
    """Statements left naming a layout go; True when the whole body would go."""
    removed = 0
    for statement in body:
        compound = isinstance(statement, ast.If | ast.For | ast.While | ast.With | ast.Try)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if layout_statements(statement.body, source):
                source.remove_line(statement)
                removed += 1
            continue
        if compound:
            head = [getattr(statement, "test", None), getattr(statement, "iter", None)]
            head += [getattr(statement, "target", None)]
            head += [item.context_expr for item in getattr(statement, "items", [])]
            if any(part is not None and names_a_layout(part) for part in head):
                source.remove_line(statement)
                removed += 1
                continue
            emptied = layout_statements(statement.body, source)
            if emptied and not getattr(statement, "orelse", None):
                source.remove_line(statement)
                removed += 1
            continue
        if names_a_layout(statement):
            source.remove_line(statement)
            removed += 1
    return bool(body) and removed == len(body)


def is_layout_name(name: str) -> bool:
    return name in LAYOUT_NAMES or bool(re.fullmatch(r"layouts?_\w+|\w+_layouts?", name))


def names_a_layout(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and is_layout_name(child.id):
            return True
        if isinstance(child, ast.Attribute) and child.attr == "layout":
            return True
        if isinstance(child, ast.Constant) and re.search(r"\bLAYOUT\b|--layout", str(child.value)):
            return True
    return False


def iterates_layouts(generators: list) -> bool:
    """`for layout in LAYOUTS` or over a tuple of the layouts' names."""
    for generator in generators:
        target, iterable = generator.target, generator.iter
        if not (isinstance(target, ast.Name) and target.id == "layout"):
            continue
        if isinstance(iterable, ast.Name) and iterable.id == "LAYOUTS":
            return True
        if isinstance(iterable, ast.Tuple) and all(
            isinstance(item, ast.Constant) and item.value in LAYOUTS for item in iterable.elts
        ):
            return True
    return False


def remove_parameter(source: Source, spans: list, index: int, closing: int) -> None:
    start, last = source.start(spans[index][1]), spans[index][2]
    if index + 1 < len(spans):
        end = source.start(spans[index + 1][1])
        while source.data[end - 1 : end] == b"*":  # *args, **kwargs: keep their stars
            end -= 1
    elif index > 0:
        start = source.end(spans[index - 1][2])
        end = source.end(last)
    else:
        end = source.end(last)
        rest = source.data[end:closing]
        end += len(rest) - len(rest.lstrip(b" \t\n,"))
    source.remove_span(start, end)


def remove_layout_argument(source: Source, call: ast.Call, position: int) -> None:
    """The argument a call passes to a `layout` parameter, by keyword or at its position."""
    items = sorted([*call.args, *call.keywords], key=source.start)
    for keyword_argument in call.keywords:
        if keyword_argument.arg == "layout":
            source.remove_item(items, items.index(keyword_argument), source.end(call))
            return
    if any(isinstance(argument, ast.Starred) for argument in call.args[: position + 1]):
        return
    if position < len(call.args):
        source.remove_item(items, items.index(call.args[position]), source.end(call))


def drop_unused_imports(text: str) -> str:
    tree = ast.parse(text)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    source = Source(text)
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            if not bound & used:
                source.remove_lines(node)
    return source.text()


def layout_leftovers(path: str, text: str) -> list[str]:
    """Where a module still names a layout after the collapse: the generator's rules missed it."""
    found = []
    for node in ast.walk(ast.parse(text)):
        name = None
        if isinstance(node, ast.Name) and node.id in LAYOUT_NAMES:
            name = node.id
        elif isinstance(node, ast.Attribute) and node.attr == "layout":
            name = f".{node.attr}"
        elif isinstance(node, ast.arg) and node.arg == "layout":
            name = node.arg
        elif isinstance(node, ast.FunctionDef) and reads_a_missing_param(node):
            name = "request.param, in a fixture no longer parametrised"
        if name:
            found.append(f"{path}:{node.lineno}: {name}")
    return found


def reads_a_missing_param(function: ast.FunctionDef) -> bool:
    """A fixture that reads request.param once its params=LAYOUTS is gone."""
    fixtures = [
        decorator for decorator in function.decorator_list if "fixture" in ast.unparse(decorator)
    ]
    if not fixtures or any(
        isinstance(decorator, ast.Call) and any(k.arg == "params" for k in decorator.keywords)
        for decorator in fixtures
    ):
        return False
    return any(
        isinstance(node, ast.Attribute)
        and node.attr == "param"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
        for node in ast.walk(function)
    )


# ---------------------------------------------------------------------------
# Prose and configs


def collapse_prose(text: str, names: Names) -> str:
    """Sentences about choosing between the layouts, said of the one app."""
    replacements = [
        (r"\s*\(\{[^{}]*layout[^{}]*\} layout\)", ""),
        (r"-\{[\w.]*layout\}", ""),
        # A fixture's params were the layouts: f"stack-{request.param}" names its folder.
        (r"-\{request\.param\}", ""),
        (r"(?:export )?LAYOUT='?\w*'?\\n", ""),
        (r" --layout \{?\w+\}?", ""),
        (r"\{(?:[\w.]+\.)?layout\} ", ""),
        (r" --layout", ""),
        (r"serve-(?:LAYOUT|functional|divisional)\b", "serve"),
        (r"\b([Tt]he) (?:functional|divisional) stack\b", r"\1 stack"),
        (r"the layout LAYOUT=functional\|divisional names", "the app"),
        (r"the layout LAYOUT names", "the app"),
        (r"[Aa] layout, a run directory", "a run directory"),
        (r",? shared by both layouts", ""),
        (r" \(both layouts share one schema\)", ""),
        (r"The (?:functional|divisional) layout's app", "The app"),
        (r"[Bb]oth layouts share", "the app uses"),
        (r"[Bb]oth layouts bind", "the app binds"),
        (r"[Bb]oth layouts:", "the app:"),
        (r"[Bb]oth sites", "the site"),
        (r"\bboth\nlayouts\b", "the\napp"),  # keeps the line break, and the line short
        (r"\b[Aa] layout served", "The app served"),
        (r" for one layout", ""),
        (r",? small enough for about half a minute per layout", ", about half a minute"),
        (r"that layout's templates", "its templates"),
        (r"\bits\nlayout's email templates", "its\nemail templates"),
        (r",? in the (?:functional|divisional) layout,", ""),
        (r"[Tt]he two layouts", "the app"),
        (r"[Tt]he layout's app", "the app"),
        (r"both layouts", "the app"),
        (r"every layout", "the app"),
        (r"either layout", "the app"),
        (r"each layout", "the app"),
        (r"[Aa] layout's app", "the app"),
        (r"[Tt]he layout's ", "the app's "),
        (r"[Tt]he layout LAYOUT names", "the app"),
        (r"LAYOUT=functional\|divisional", names.package),
    ]
    for pattern, replacement in replacements:
        text = re.sub(pattern, lambda match, new=replacement: same_case(match, new), text)
    return text


def same_case(match: re.Match, replacement: str) -> str:
    """The replacement, capitalised when what it replaces starts a sentence."""
    new = match.expand(replacement)
    return new[:1].upper() + new[1:] if match.group(0)[:1].isupper() else new


def makefile(text: str, names: Names, copied: set[str]) -> str:
    """The repository's Makefile without the layout variable and targets of left-out scripts."""
    blocks = re.split(r"\n(?=\n)", text)
    kept = []
    dropped_targets = []
    for block in blocks:
        recipe_paths = re.findall(r"(?:scripts|bench|deploy)/[\w./-]+\.py", block)
        if any(path not in copied for path in recipe_paths):
            dropped_targets += re.findall(r"^(\w[\w-]*):", block, flags=re.MULTILINE)
            continue
        kept.append(block)
    text = "\n".join(kept)
    for variable in MAKE_VARIABLES_LEFT_OUT:
        text = re.sub(rf"^{variable} \?=.*\n", "", text, flags=re.MULTILINE)
        text = re.sub(rf" --\w+ \$\({variable}\)", "", text)
        text = re.sub(rf"-\$\({variable}\)", "", text)
    for target in dropped_targets:
        text = re.sub(rf"(^\.PHONY:.*?) {target}\b", r"\1", text, flags=re.MULTILINE)
    return collapse_prose(rename_text(text, names), names)


def pyproject(text: str, names: Names) -> str:
    text = rename_text(text, names)
    text = re.sub(
        r'^description = ".*"$',
        f"description = \"{names.display}: a multi-tenant blog host in Flask's {names.layout}"
        ' blueprint layout."',
        text,
        flags=re.MULTILINE,
    )
    # Code lines stay at 100 (ruff format); a line of prose naming the project may be
    # longer than it was with "Inkpot" in it, so only E501 allows some room.
    text = text.replace(
        "[tool.ruff.lint]\n",
        "[tool.ruff.lint.pycodestyle]\nmax-line-length = 120\n\n[tool.ruff.lint]\n",
    )
    packages = f'"{names.package}*", "{names.domain}*", "{names.web}*"'
    return re.sub(r"^include = \[.*\]$", f"include = [{packages}]", text, flags=re.MULTILINE)


# ---------------------------------------------------------------------------
# Writing it


def generate(layout: str, dest: Path, package: str) -> list[str]:
    """Write the skeleton into dest; returns the paths written, sorted."""
    if layout not in LAYOUTS:
        raise SkeletonError(f"LAYOUT={layout!r}: choose one of {', '.join(LAYOUTS)}.")
    check_name(package)
    check_destination(dest)
    names = Names(layout, package)
    sources = [path for path in tracked_files() if not left_out(path, names)]
    copied = set(sources)
    outputs: dict[str, bytes] = {}
    python: dict[str, str] = {}
    for path in sources:
        data = (REPOSITORY / path).read_bytes()
        if path in SENTENCES:
            data = rewrite_sentences(path, data.decode(), layout).encode()
        target = rename_text(path, names)
        if path.endswith(".py"):
            python[target] = rename_python(data.decode(), names)
        elif path == "Makefile":
            outputs[target] = makefile(data.decode(), names, copied).encode()
        elif path == "pyproject.toml":
            outputs[target] = pyproject(data.decode(), names).encode()
        elif is_text(data):
            outputs[target] = collapse_prose(rename_text(data.decode(), names), names).encode()
        else:
            outputs[target] = data
    compile_catalogues(outputs)
    trees = {path: ast.parse(text) for path, text in python.items()}
    takes_layout = layout_parameters(trees)
    leftovers = []
    for path, text in python.items():
        collapsed = collapse_layouts(path, text, names, takes_layout, set(python))
        if collapsed != text and path.endswith("__init__.py"):
            collapsed = drop_unused_imports(collapsed)  # ruff leaves a package's imports be
        leftovers += layout_leftovers(path, collapsed)
        outputs[path] = collapsed.encode()
    if leftovers:
        raise SkeletonError(
            "These lines still pick a layout, and no rule of scripts/skeleton.py collapses "
            "them:\n  " + "\n  ".join(leftovers)
        )
    readme_source = (REPOSITORY / "README.md").read_text()
    if "README.md" in SENTENCES:
        readme_source = rewrite_sentences("README.md", readme_source, layout)
    outputs["README.md"] = readme(names, sorted(outputs), readme_source).encode()
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(outputs):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(outputs[path])
        source = REPOSITORY / path
        if source.exists() and os.access(source, os.X_OK):
            target.chmod(0o755)
    executable = [path for path in sources if os.access(REPOSITORY / path, os.X_OK)]
    for path in executable:
        (dest / rename_text(path, names)).chmod(0o755)
    try:
        tidy(dest)
        check(dest, names)
    except (SkeletonError, subprocess.CalledProcessError):
        for child in dest.iterdir():  # leave DEST as empty as it was, for the next try
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        raise
    return sorted(outputs)


def compile_catalogues(outputs: dict[str, bytes]) -> None:
    """Compile each .mo again from its renamed .po: the copied ones still say Inkpot."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for path in [path for path in outputs if path.endswith(".mo")]:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(io.BytesIO(outputs[path.removesuffix(".mo") + ".po"])))
        outputs[path] = compiled.getvalue()


def rewrite_sentences(path: str, text: str, layout: str) -> str:
    for pattern, replacement, *only in SENTENCES[path]:
        if only and only[0] != layout:
            continue
        text, count = re.subn(
            pattern,
            # \1 names a group; any other backslash is the text's own.
            lambda match, new=replacement: re.sub(r"\\(\d)", lambda g: match[int(g[1])], new),
            text,
            flags=re.DOTALL | re.MULTILINE,
        )
        if count == 0:
            raise SkeletonError(
                f"{path} no longer says {pattern!r}: update SENTENCES in scripts/skeleton.py."
            )
    return text


def is_text(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def ruff() -> str:
    beside = Path(sys.executable).parent / "ruff"
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        raise SkeletonError("ruff is needed to format the skeleton: run `make install` first.")
    return found


def tidy(dest: Path) -> None:
    """Imports left unused and lines left short by the collapse, as ruff writes them."""
    for command in (
        # Unsafe fixes only for what the collapse itself leaves: an import or a variable
        # nothing uses any more (the repository's own code has none of those).
        [
            "check",
            "--fix",
            "--unsafe-fixes",
            "--quiet",
            "--select",
            "F401,F541,F841,I001",
            "--exit-zero",
            ".",
        ],
        ["format", "--quiet", "."],
    ):
        subprocess.run([ruff(), command[0], "--no-cache", *command[1:]], cwd=dest, check=True)


def check(dest: Path, names: Names) -> None:
    """Refuse a skeleton that would not parse or still names what it came from."""
    forbidden = re.compile(
        rf"(?i:inkpot|functional_layout|divisional_layout|\b{names.other_layout}\b|{DOMAIN}|{WEB})"
        r"|\bLAYOUTS?\b",
    )
    problems = []
    for path in sorted(dest.rglob("*")):
        if not path.is_file() or ".ruff_cache" in path.parts:
            continue
        relative = path.relative_to(dest)
        if forbidden.search(str(relative)):
            problems.append(f"{relative}: its path")
        data = path.read_bytes()
        if not is_text(data):
            continue
        text = data.decode()
        if path.suffix == ".py":
            try:
                problems += missing_imports(dest, relative, ast.parse(text))
            except SyntaxError as error:
                problems.append(f"{relative}:{error.lineno}: {error.msg}")
        for number, line in enumerate(text.splitlines(), 1):
            if forbidden.search(line):
                problems.append(f"{relative}:{number}: {line.strip()}")
    if problems:
        raise SkeletonError("The copy is not right yet:\n  " + "\n  ".join(problems))


def kept_readme_sections(source: str, names: Names) -> str:
    """This README's sections that hold for the new project, renamed, in their order."""
    sections = re.split(r"^(?=## )", source, flags=re.MULTILINE)[1:]
    kept = [
        section
        for section in sections
        if section.splitlines()[0].removeprefix("## ").strip() not in README_LEFT_OUT
    ]
    return collapse_prose(rename_text("".join(kept), names), names).rstrip() + "\n"


def missing_imports(dest: Path, relative: Path, tree: ast.Module) -> list[str]:
    """Imports of the project's own modules that the copy left out (a left-out script, say)."""
    roots = {path.name for path in dest.iterdir() if path.is_dir()}
    missing = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            base = dest / module.replace(".", "/")
            if module.split(".")[0] in roots and not (
                base.with_suffix(".py").is_file() or base.is_dir()
            ):
                missing.append(f"{relative}:{node.lineno}: imports {module}, which is left out")
    return missing


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", required=True, help="functional or divisional")
    parser.add_argument("--dest", required=True, type=Path, help="a new or empty folder")
    parser.add_argument("--name", required=True, help="the new project's package, e.g. my_blog")
    arguments = parser.parse_args(argv)
    try:
        paths = generate(arguments.layout, arguments.dest, arguments.name)
    except SkeletonError as error:
        print(f"make skeleton: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {len(paths)} files into {arguments.dest}/. Next: cd {arguments.dest} && make run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
