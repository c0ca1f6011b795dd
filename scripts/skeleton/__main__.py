"""`python -m scripts.skeleton`: the command line of `make skeleton`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scripts.skeleton.generate import generate
from scripts.skeleton.names import SkeletonError


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
