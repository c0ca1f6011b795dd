"""The new project's names, and the checks on the name and the folder asked for."""

from __future__ import annotations

import importlib.metadata
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy import LAYOUTS
from scripts.skeleton import REPOSITORY
from scripts.skeleton.rules import DOMAIN, WEB


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
            # (Not a systemd instance, redis-server@inkpot: its config file's name has the
            # package's name, redis-inkpot.conf, and the two must stay one.)
            (r"(?<=@)(?<!redis-server@)inkpot\b", self.host),
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
