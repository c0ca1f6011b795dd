"""`make skeleton`: one layout of this repository, copied out as a new standalone project.

    python -m scripts.skeleton --layout divisional --dest ../my_blog --name my_blog

The source is the tree git tracks here, the one the tests prove, read by rules
rather than from a list: a file added to the repository flows into every
skeleton, unless a rule below says it exists only to compare the two layouts.
Three packages come out: the chosen layout as NAME (the app), shared_models as
NAME_domain and shared_web as NAME_web. Python is renamed token by token and the
layout machinery is collapsed on its syntax tree; templates, configs and docs
go through one ordered text mapping. The result is formatted with ruff, checked
with ast.parse, and refused if a trace of the old names is left.
"""

from pathlib import Path

# The repository the copy is made from (scripts/skeleton/ is two folders down).
REPOSITORY = Path(__file__).resolve().parents[2]
