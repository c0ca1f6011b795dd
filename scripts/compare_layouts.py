"""`make compare`: write docs/LAYOUTS.md from the two apps themselves, and print its area table.

With --check, write nothing and exit 1 when the committed file is out of date.
"""

import importlib.util
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Describe the apps of this checkout, whatever the installed packages point at.
sys.path.insert(0, str(ROOT))

from deploy import LAYOUTS, layout_module  # noqa: E402  (after the path is set)

OUTPUT = ROOT / "docs" / "LAYOUTS.md"
AREAS = ["home", "sites", "control_panel", "admin", "api"]
TREE_SKIP = {"__pycache__", ".DS_Store", ".pytest_cache"}

FORMS_MODULES = {
    "functional": "functional_layout.forms.{area}",
    "divisional": "divisional_layout.{area}.forms",
}
# The API reads JSON, not forms: its marshmallow schemas stand where forms would.
SCHEMAS_MODULES = {
    "functional": "functional_layout.schemas.{area}",
    "divisional": "divisional_layout.{area}.schemas",
}
PIECES = ("views", "forms", "schemas", "templates", "static", "translations")


def build_app(layout: str):
    return layout_module(layout).create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )


def relative(path: str | Path) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


def tree(package: str) -> list[str]:
    """The package's files as an indented tree, directories first."""
    lines = [f"{package}/"]

    def walk(directory: Path, indent: str) -> None:
        entries = sorted(
            (
                p
                for p in directory.iterdir()
                # Empty folders are not in git, so a fresh clone would not list them.
                if (p.name not in TREE_SKIP and p.suffix != ".pyc" and any(p.rglob("*.*")))
                or p.is_file()
            ),
            key=lambda p: (p.is_file(), p.name),
        )
        for entry in entries:
            if entry.is_dir():
                lines.append(f"{indent}{entry.name}/")
                walk(entry, indent + "  ")
            else:
                lines.append(f"{indent}{entry.name}")

    walk(ROOT / package, "  ")
    return lines


def side_by_side(left: list[str], right: list[str]) -> str:
    width = max(map(len, left)) + 4
    rows = max(len(left), len(right))
    left = left + [""] * (rows - len(left))
    right = right + [""] * (rows - len(right))
    return "\n".join(f"{a:<{width}}{b}".rstrip() for a, b in zip(left, right, strict=True))


def view_location(view) -> str:
    view = inspect.unwrap(view)
    line = inspect.getsourcelines(view)[1]
    return f"{relative(inspect.getsourcefile(view))}:{line}"


def module_file(module: str) -> str:
    """The file of a module, relative to the checkout, or a dash when there is none."""
    spec = importlib.util.find_spec(module)
    return relative(spec.origin) if spec else "—"


def area_pieces(layout: str, app) -> dict[str, dict[str, str]]:
    """For each area: the files of its views, forms and schemas, its template and static folders."""
    pieces = {}
    for area in AREAS:
        views = {
            relative(inspect.getsourcefile(inspect.unwrap(view)))
            for endpoint, view in app.view_functions.items()
            if endpoint.startswith(f"{area}.") and not endpoint.endswith(".static")
        }
        with app.app_context():
            template_dirs = {
                relative(Path(app.jinja_env.get_template(name).filename).parent)
                for name in app.jinja_env.list_templates()
                if name.startswith(f"{area}/")
            }
        blueprint = app.blueprints[area]
        if blueprint.has_static_folder:
            url = f"{blueprint.url_prefix or ''}{blueprint.static_url_path}/"
            static = f"{relative(blueprint.static_folder)}/ at `{url}`"
        else:
            static = f"{relative(app.static_folder)}/ (shared) at `{app.static_url_path}/`"
        pieces[area] = {
            "translations": area_catalogue(app, area),
            "views": ", ".join(sorted(views)),
            "forms": module_file(FORMS_MODULES[layout].format(area=area)),
            "schemas": module_file(SCHEMAS_MODULES[layout].format(area=area)),
            "templates": ", ".join(f"{d}/" for d in sorted(template_dirs)) or "—",
            "static": static,
        }
    return pieces


def catalogues(app) -> list[Path]:
    """The translation folders the app merges (Flask-Babel's), the shared ones first."""
    return [Path(d).resolve() for d in app.extensions["babel"].translation_directories]


def area_catalogue(app, area: str) -> str:
    """Where an area's words are translated: its own catalogue, or the app's, or none."""
    package = Path(app.root_path)
    own = [d for d in catalogues(app) if d.parent == package / area]
    if own:
        return f"{relative(own[0])}/"
    if area == "api":
        return "— (the API's words stay English)"
    return f"{relative(package / 'translations')}/ (shared)"


def email_templates(app) -> str:
    """The folders the app's email templates (`emails/…`) are loaded from."""
    with app.app_context():
        folders = {
            relative(Path(app.jinja_env.get_template(name).filename).parent)
            for name in app.jinja_env.list_templates()
            if name.startswith("emails/")
        }
    return ", ".join(f"{folder}/" for folder in sorted(folders))


def area_table(apps) -> str:
    pieces = {layout: area_pieces(layout, app) for layout, app in apps.items()}
    rows = ["| area | piece | functional layout | divisional layout |", "| --- | --- | --- | --- |"]
    for area in AREAS:
        for piece in PIECES:
            cells = [pieces[layout][area][piece] for layout in LAYOUTS]
            if piece == "schemas" and cells == ["—"] * len(LAYOUTS):
                continue
            rows.append(f"| `{area}` | {piece} | {cells[0]} | {cells[1]} |")
    shared = "| app-wide | base templates, errors | {} | {} |".format(
        *(relative(Path(app.root_path) / app.template_folder) + "/" for app in apps.values())
    )
    rows.append(shared)
    rows.append(
        "| app-wide | emails | {} | {} |".format(*(email_templates(app) for app in apps.values()))
    )
    rows.append(
        "| app-wide | translations of the base templates, errors, emails | {} | {} |".format(
            *(f"{relative(Path(app.root_path) / 'translations')}/" for app in apps.values())
        )
    )
    functional = apps["functional"]
    shared_catalogues = [
        f"{relative(d)}/"
        for d in catalogues(functional)
        if not d.is_relative_to(functional.root_path)
    ]
    rows.append(
        f"| both apps | translations of the domain's and shared_web's words "
        f"| {', '.join(shared_catalogues)} | the same |"
    )
    return "\n".join(rows)


def endpoint_table(apps) -> str:
    functional, divisional = apps["functional"], apps["divisional"]
    rows = [
        "| endpoint | methods | URL | functional layout | divisional layout |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rule in sorted(functional.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint.endswith("static"):
            continue
        methods = ", ".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        rows.append(
            f"| `{rule.endpoint}` | {methods} | `{rule.rule}` "
            f"| {view_location(functional.view_functions[rule.endpoint])} "
            f"| {view_location(divisional.view_functions[rule.endpoint])} |"
        )
    return "\n".join(rows)


TEMPLATE = """\
# Functional or divisional: one site, two layouts

<!-- Generated by `make compare` (scripts/compare_layouts.py) from the two apps
     themselves; edit the script, not this file. A test fails when it is stale. -->

Inkpot is built twice on one domain package, `shared_models/`. Both apps have
the same URL map, the same endpoint, view, form and template names, and render
the same HTML (tests/test_parity.py proves it). They differ only in **where
things live**: the functional layout groups code by *what it is* (all views
together, all templates together), the divisional layout by *which part of the
site it belongs to* (each area a package with its views, forms, templates and
static files). This page is generated from the apps' URL maps, view functions,
Jinja loaders and blueprints.

## The two trees

```
{trees}
```

## Where each area lives

{area_table}

## Every endpoint, and the view that answers it

{endpoint_table}

## Trade-offs

*Explore Flask*'s advice holds on this app. The **divisional** layout suits a
site whose areas share little but models and configuration: each area is a
package you can read, test, hand to a team, or lift into another project whole
(`admin/` here owns its views, templates and stylesheet). Its costs: more
packages and more `__init__.py` files, templates must be namespaced inside each
package (`admin/templates/admin/index.html`, or two areas' `index.html` silently
shadow each other — a guard test checks it), and each area's static folder is
one more place nginx must serve. One surprise: a blueprint's `before_request`
guard covers its static route too, so `/admin/static/admin.css` asks the dev
server for an admin session (harmless here, since only admin pages link it, and
nginx serves static files itself in production).

The **functional** layout suits a site whose areas share much: one
`templates/` and one `static/` make shared macros, one stylesheet and one
nginx `location` natural, and a glance at `views/` shows every route. Its cost
appears as areas grow: a change to one area touches three folders, and nothing
but discipline keeps one area's files out of another's.

Inkpot's areas share the base template, the macros, the error pages and the
app-wide stylesheet, so both layouts keep those at app level; that is why the
divisional tree above still has `templates/` and `static/` next to the area
packages. What is not a view, a form, a template or a static file is not part
of either layout at all: the domain lives in `shared_models/`, and what every
app sets up alike (the Flask extensions, the forms' base class, the HTTP rules,
the error handlers, `/robots.txt`, the background tasks and the email they
send) in `shared_web/`, each bound with one `init_app` call from `create_app`.

**Email templates** (`emails/<kind>.txt` for the subject and plain text,
`emails/<kind>.html` for the HTML part) are app-level in both layouts too,
although the divisional layout could have put them in the area whose form
asks for them (`home/templates/home/emails/…`). Three reasons against that:
an email is rendered by the background worker, outside any request and any
blueprint, from a kind stored in the outbox, so no area's view is there to
own it; one message can belong to two areas (an email change is asked for in
`control_panel` and confirmed through `home`'s `/confirm/<token>`); and all of
them share one mail layout and its macros, as the pages share `base.html`.
So `emails/` sits beside `errors/`, app-wide pieces with the same name in
both layouts, and the code that decides what goes into a message (its links
and tokens, built from `PUBLIC_URL`) lives once, in `shared_web/mail.py`.

## Where an API lives

The `api` area is the odd one out: JSON in and out, so marshmallow schemas
where the other areas have forms, no static files, and one template only, its
reference page (`/api/v1/docs`, rendered on the server from the OpenAPI
document). In the **functional** layout it is spread over the folders by kind:
`views/api.py`, `schemas/api.py` beside `forms/`, `templates/api/`. That reads
well while the API is small, but an API-heavy app would grow `views/` and
`schemas/` while `templates/` and `static/` stay nearly empty, and one
endpoint's shape is two folders away from its view. In the **divisional**
layout it is a package like the others: `api/__init__.py` (the blueprint, its
CSRF exemption and its throttling), `views.py`, `schemas.py`,
`templates/api/`, and simply no `static/`, so the blueprint serves no static
route. For an area without pages this is the more natural home: the package
*is* the API, and a second version would be a second package beside it.

Either way the area holds only its URLs and its shapes. What every API view
needs, and what the API shares with the site, lives outside both layouts:
bearer tokens, problem details, cursors and the flask-smorest binding in
`shared_web/`, the rules in `shared_models/`, which is why the two `api` areas
can serve a byte-identical OpenAPI document.

## Where the translations live

The interface speaks English and Simplified Chinese, through Flask-Babel and
gettext catalogues (`translations/<locale>/LC_MESSAGES/messages.po`, compiled
to `.mo`). Where the catalogues sit follows each layout's own rule:

- **Functional**: one `functional_layout/translations/`, beside the one
  `templates/` and the one `static/`. A translator opens one file and sees the
  whole site; a word used in several areas ("Published", "Draft") is there
  once, translated once. The cost is the layout's usual one: every area's
  change to its words lands in the same file.
- **Divisional**: each area with pages keeps its catalogue in its own package
  (`home/translations/`, `control_panel/translations/`, …), next to the views,
  forms and templates whose words it holds, and the app keeps one
  (`divisional_layout/translations/`) for the base template, the macros and the
  error pages. An area moves, or is handed to a team, with its words; a change
  to one area's words touches only its catalogue. The costs: a word several
  areas use is in several catalogues and translated in each (the table's
  headings, "Published", "Draft"), `make translations` works through five
  catalogues instead of one, and the separation is only on disk: Flask-Babel
  merges every directory in `BABEL_TRANSLATION_DIRECTORIES` into one
  dictionary per language, so two areas cannot translate the same English
  words two ways (the later directory would win, silently; a `pgettext`
  context is how one would tell them apart). tests/test_translations.py holds
  both layouts to the same words and the same translations.
- **Both**: the domain's rule messages ("That username is taken.") are English
  message ids marked with `N_` in `shared_models/`, translated once in
  `shared_models/translations/` when a page shows them
  (`shared_web.languages.translate_violation`), never per layout; the JSON API
  shows the English text. `shared_web/translations/` holds the words of what
  every app shares (the validators' messages, the sign-in prompt). Both apps
  merge these two under their own catalogues.

The API area has no catalogue in either layout: its messages, its reference
page included, are part of its contract and stay English. `make translations`
(scripts/translations.py) runs `pybabel extract`, `update` and `compile` for
every catalogue, each reading only its own package's files.

## Moving an area from one layout to the other

Functional → divisional, for an area `AREA` (e.g. `admin`):

1. Create `divisional_layout/AREA/__init__.py` holding the blueprint, with
   `template_folder="templates"` and `static_folder="static"`, and import the
   views module at its end so the routes register.
2. Move `views/AREA.py` to `AREA/views.py`; replace its `bp = Blueprint(...)`
   line by `from <package>.AREA import bp`.
3. Move `forms/AREA.py` to `AREA/forms.py` (for the API, `schemas/api.py` to
   `api/schemas.py`) and update the views' import.
4. Move `templates/AREA/` to `AREA/templates/AREA/` — keep the inner `AREA/`
   folder, so template names (`AREA/index.html`) do not change and nothing can
   shadow them.
5. Move the area's static files to `AREA/static/` and change their
   `url_for('static', filename=...)` to `url_for('AREA.static', filename=...)`;
   add an nginx `location` for the area's static URL.
6. Add `AREA` to `TRANSLATED_AREAS` in `divisional_layout/__init__.py` and run
   `make translations`: the area's words move from the app's catalogue to
   `AREA/translations/` (copy their translations over from the old `.po`).
7. Register `AREA.bp` in `create_app` as before, run `make test` (the parity
   tests compare URL maps and rendered pages) and `make compare`.

Divisional → functional is the same list backwards.

## Start your own project from either layout

`make skeleton LAYOUT=functional|divisional DEST=<dir> NAME=<package>` writes
one layout out as a standalone project of your own, under your package name,
with the domain, deploy configs and tests and without anything that serves
this comparison: see "Copy a layout" in the [README](../README.md#copy-a-layout).
"""


def render() -> tuple[str, str]:
    """The whole document, and its area table on its own (what `make compare` prints)."""
    apps = {layout: build_app(layout) for layout in LAYOUTS}
    trees = side_by_side(*(tree(f"{layout}_layout") for layout in LAYOUTS))
    areas = area_table(apps)
    document = TEMPLATE.format(trees=trees, area_table=areas, endpoint_table=endpoint_table(apps))
    return document, areas


def main() -> int:
    os.chdir(ROOT)
    document, table = render()
    if "--check" in sys.argv[1:]:
        if not OUTPUT.exists() or OUTPUT.read_text() != document:
            print(f"{relative(OUTPUT)} is out of date: run `make compare`.", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(document)
    print(table)
    print(f"\nWrote {relative(OUTPUT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
