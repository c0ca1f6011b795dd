"""Which files are copied, and the renames of their paths, text and Python tokens."""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
from fnmatch import fnmatch

from scripts.skeleton import REPOSITORY
from scripts.skeleton.names import Names
from scripts.skeleton.rules import LEFT_OUT


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
