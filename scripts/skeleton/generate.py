"""Writing the copy: every file renamed and collapsed, then formatted and checked."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from deploy import LAYOUTS
from scripts.skeleton import REPOSITORY
from scripts.skeleton.collapse import (
    collapse_layouts,
    drop_unused_imports,
    layout_leftovers,
    layout_parameters,
)
from scripts.skeleton.names import Names, SkeletonError, check_destination, check_name
from scripts.skeleton.readme import readme
from scripts.skeleton.rename import left_out, rename_python, rename_text, tracked_files
from scripts.skeleton.rules import DOMAIN, SENTENCES, WEB
from scripts.skeleton.texts import collapse_prose, is_text, makefile, pyproject, rewrite_sentences


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
            "These lines still pick a layout, and no rule of scripts/skeleton/collapse.py "
            "collapses them:\n  " + "\n  ".join(leftovers)
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
