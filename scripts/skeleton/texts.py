"""Prose and configs: sentences about two layouts, the Makefile, pyproject.toml."""

from __future__ import annotations

import re

from scripts.skeleton.names import Names, SkeletonError
from scripts.skeleton.rename import collapse_prose, rename_text
from scripts.skeleton.rules import MAKE_VARIABLES_LEFT_OUT, SENTENCES


def makefile(text: str, names: Names, copied: set[str]) -> str:
    """The repository's Makefile without the layout variable and targets of left-out scripts."""
    blocks = re.split(r"\n(?=\n)", text)
    kept = []
    dropped_targets = []
    for block in blocks:
        recipe_paths = re.findall(r"(?:scripts|bench|deploy|tests)/[\w./-]+\.py", block)
        # `python -m scripts.skeleton` and the like: a package, whose files all start so.
        recipe_packages = re.findall(r"-m ((?:scripts|bench|deploy)\.\w+)", block)
        if any(path not in copied for path in recipe_paths) or any(
            not any(path.startswith(package.replace(".", "/") + "/") for path in copied)
            and f"{package.replace('.', '/')}.py" not in copied
            for package in recipe_packages
        ):
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
                f"{path} no longer says {pattern!r}: update SENTENCES in scripts/skeleton/rules.py."
            )
    return text


def is_text(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return b"\0" not in data
