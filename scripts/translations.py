"""`make translations`: extract each catalogue's messages, update its .po files, compile them.

A catalogue is a `translations/` folder that one of the apps merges
(BABEL_TRANSLATION_DIRECTORIES, plus the shared ones shared_web adds); it holds
the words of the package it sits in, minus the sub-packages that keep a
catalogue of their own. So `functional_layout/translations/` covers the whole
functional app, `divisional_layout/home/translations/` the home area only, and
`shared_models/translations/` the domain's rule messages, translated once for
both apps.

Every step is a `pybabel` command, printed before it runs: `extract` writes the
catalogue's messages.pot, `update` (or `init`, for a new language) brings each
language's messages.po up to date, and `compile` writes the messages.mo that
the apps read. The .mo files are committed, so a fresh clone runs in every
language without this step; tests/test_translations.py fails when any of them
is stale, or when a message has no translation.
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, check_and_call_extract_file, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg

ROOT = Path(__file__).resolve().parent.parent
# Describe the apps of this checkout, whatever the installed packages point at.
sys.path.insert(0, str(ROOT))

from deploy import LAYOUTS, layout_module  # noqa: E402  (after the path is set)

MAPPING = ROOT / "babel.cfg"
# The languages the interface is translated into (English is the source language).
LANGUAGES = ["zh_Hans"]
# How the code marks its messages, besides gettext's usual names (`_`, `N_`, `ngettext`).
KEYWORDS = ["_l", "lazy_gettext", "lazy_ngettext:1,2"]
# A comment starting so, just before a message, is shown to its translators.
COMMENT_TAG = "Translators:"
# The header line pybabel rewrites with the current time on every extract.
STAMP = re.compile(r'^"POT-Creation-Date: [^"]*"$', re.MULTILINE)
# What never holds a message: where the catalogues and static files live, and bytecode.
NOT_SOURCES = {"translations", "static", "__pycache__"}


@dataclass(frozen=True)
class Catalogue:
    """A translations/ folder and the files whose messages it holds."""

    directory: Path

    @property
    def package(self) -> Path:
        return self.directory.parent

    @property
    def template(self) -> Path:
        return self.directory / "messages.pot"

    def po_file(self, language: str) -> Path:
        return self.directory / language / "LC_MESSAGES" / "messages.po"

    def mo_file(self, language: str) -> Path:
        return self.directory / language / "LC_MESSAGES" / "messages.mo"

    def name(self) -> str:
        return self.directory.relative_to(ROOT).as_posix()


def catalogues() -> list[Catalogue]:
    """Every catalogue either app reads, each once."""
    directories = []
    for layout in LAYOUTS:
        app = layout_module(layout).create_app(
            {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        )
        for directory in app.extensions["babel"].translation_directories:
            path = Path(directory).resolve()
            if path not in directories:
                directories.append(path)
    return [Catalogue(path) for path in directories]


def sources(catalogue: Catalogue, everyone: list[Catalogue]) -> list[Path]:
    """The files and folders a catalogue's messages come from: its package, less what others own."""
    owned_elsewhere = {other.package for other in everyone if other != catalogue}
    return sorted(
        path
        for path in catalogue.package.iterdir()
        if path.name not in NOT_SOURCES
        and path not in owned_elsewhere
        and (path.is_dir() or path.suffix == ".py")
    )


def extract(catalogue: Catalogue, everyone: list[Catalogue]) -> Catalog:
    """The catalogue's messages as the code marks them today, read as `pybabel extract` does."""
    with MAPPING.open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    options = {"keywords": {**DEFAULT_KEYWORDS, **parse_keywords(KEYWORDS)}}
    options["comment_tags"] = [COMMENT_TAG]
    options["callback"], options["strip_comment_tags"] = None, False
    extracted = Catalog()
    for path in sources(catalogue, everyone):
        if path.is_file():
            found = check_and_call_extract_file(
                str(path.relative_to(ROOT)), method_map, options_map, dirpath=str(ROOT), **options
            )
            found = ((filename, *rest) for filename, *rest in found)
        else:
            found = extract_from_dir(str(path), method_map, options_map, **options)
            found = ((f"{path.relative_to(ROOT)}/{filename}", *rest) for filename, *rest in found)
        for filename, line, message, comments, context in found:
            extracted.add(
                message, locations=[(filename, line)], auto_comments=comments, context=context
            )
    return extracted


def pybabel(*arguments: str | Path) -> None:
    """Run a pybabel command from the checkout's root, and show it."""
    shown = [str(part.relative_to(ROOT) if isinstance(part, Path) else part) for part in arguments]
    print("$ pybabel", " ".join(shown))
    command = [str(Path(sys.executable).parent / "pybabel"), *shown]
    subprocess.run(command, cwd=ROOT, check=True)


def keep_unless_messages_changed(before: dict[Path, str]) -> None:
    """Put back a file whose only change is the time pybabel stamps into its header.

    Otherwise every run would show every catalogue as changed, new messages or not.
    """
    for path, old in before.items():
        if path.exists() and STAMP.sub("", path.read_text()) == STAMP.sub("", old):
            path.write_text(old)


def main() -> int:
    everyone = catalogues()
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    for catalogue in everyone:
        print(f"\n{catalogue.name()}/")
        files = [catalogue.template, *(catalogue.po_file(language) for language in LANGUAGES)]
        before = {path: path.read_text() for path in files if path.exists()}
        pybabel(
            "extract",
            "-F",
            MAPPING,
            *keywords,
            "-c",
            COMMENT_TAG,
            "--add-location=file",
            "--sort-by-file",
            "--project=Inkpot",
            "-o",
            catalogue.template,
            *sources(catalogue, everyone),
        )
        for language in LANGUAGES:
            # No fuzzy guesses: a new message stays untranslated, and the tests say so.
            pybabel(
                "update",
                "-i",
                catalogue.template,
                "-d",
                catalogue.directory,
                "-l",
                language,
                "--init-missing",
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        keep_unless_messages_changed(before)
        pybabel("compile", "-d", catalogue.directory, "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
