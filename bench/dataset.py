"""The benchmark's database: sites full of realistic Markdown posts, bulk-inserted in seconds.

    python -m bench.dataset --sites 100 --posts 10000     # builds bench/data/…, or reuses it

Rows go in with one multi-row INSERT per few thousand rows, not one HTTP request
(or one commit) per post, and each distinct body is rendered by the domain's own
code once (its HTML and excerpt), so a database of 100,000 posts takes seconds, not hours.
The file is built under a temporary name and renamed when complete, so an
interrupted build is never mistaken for a finished one; a reused file is brought
to the newest migration first.
"""

import argparse
import contextlib
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from werkzeug.security import generate_password_hash

from shared_models import MIGRATIONS_DIRECTORY, db, publishing
from shared_models.models import AuditEvent, Post, Role, Site, User

DATA = Path(__file__).resolve().parent / "data"

# The account the benchmark signs in with, through the real form.
BENCH_EMAIL = "bench-writer@example.com"
BENCH_USERNAME = "bench-writer"
BENCH_PASSWORD = "bench-password-for-wrk"
ADMIN_USERNAME = "bench-admin"

DISTINCT_BODIES = 48
DRAFT_EVERY = 10  # one post in ten is a draft
SUSPENDED_EVERY = 50  # one writer in fifty is suspended: their posts must drop out
CHUNK = 5_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

VOCABULARY = """
flask blueprint request response template layout session cookie worker gevent
latency throughput database index query planner cache nginx proxy header socket
the a of to and in is it that for on with as by this at from an be are was or
write publish read draft post site feed reader editor markdown paragraph list
measure repeat compare careful honest number second millisecond core memory
small fast simple clear tidy steady quiet patient useful plain modest sturdy
morning evening garden river window kitchen notebook letter bicycle harbour
"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    if rng.random() < 0.2:
        index = rng.randrange(len(words))
        words[index] = f"*{words[index]}*"
    if rng.random() < 0.1:
        index = rng.randrange(len(words))
        words[index] = f"[{words[index]}](https://example.com/{words[index].strip('*')})"
    return " ".join(words).capitalize() + "."


def markdown_body(rng: random.Random) -> str:
    """A post of 1 to 6 KB: paragraphs, a heading or two, a list, sometimes code and a quote."""
    target = rng.randint(1_000, 6_000)
    blocks: list[str] = []
    while sum(len(block) for block in blocks) < target:
        roll = rng.random()
        if roll < 0.1:
            blocks.append("## " + sentence(rng).rstrip(".").title())
        elif roll < 0.2:
            blocks.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))))
        elif roll < 0.25:
            lines = [f"    value_{n} = measure({n})" for n in range(rng.randint(2, 6))]
            blocks.append("```python\ndef example():\n" + "\n".join(lines) + "\n```")
        elif roll < 0.3:
            blocks.append("> " + sentence(rng))
        else:
            blocks.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 6))))
    return "\n\n".join(blocks)


def database_path(sites: int, posts: int) -> Path:
    return DATA / f"inkpot-{sites}-sites-{posts}-posts.sqlite3"


def database_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_app(url: str):
    """The functional layout's app on the given database (both layouts share one schema)."""
    from functional_layout import create_app

    return create_app(
        {"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    )


def schema_is_current(path: Path) -> bool:
    """True when the file is at the newest migration already."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(MIGRATIONS_DIRECTORY).get_current_head()
    with contextlib.closing(sqlite3.connect(path)) as connection:
        try:
            (current,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except (sqlite3.Error, TypeError):
            return False
    return current == head


def upgrade(path: Path) -> None:
    """Bring the file to the newest migration (a reused database may predate one)."""
    from flask_migrate import upgrade as alembic_upgrade

    if path.exists() and schema_is_current(path):
        return
    app = make_app(database_url(path))
    with app.app_context():
        alembic_upgrade()
        db.engine.dispose()


def user_rows(sites: int, password_hash: str) -> list[dict]:
    """The bench writer (site 1), an admin without posts of their own, and the other writers."""
    rows = []
    for number in range(1, sites + 1):
        name = BENCH_USERNAME if number == 1 else f"writer-{number:05}"
        rows.append(
            {
                "id": number,
                "username": name,
                "email": BENCH_EMAIL if number == 1 else f"{name}@example.com",
                "password_hash": password_hash,
                "role": Role.USER.value,
                "is_suspended": number % SUSPENDED_EVERY == 0,
                "created_at": EPOCH - timedelta(days=400),
                # Established accounts: confirmed, so they sign in and their sites are public.
                "email_confirmed_at": EPOCH - timedelta(days=400),
            }
        )
    rows.append(
        {
            "id": sites + 1,
            "username": ADMIN_USERNAME,
            "email": f"{ADMIN_USERNAME}@example.com",
            "password_hash": password_hash,
            "role": Role.ADMIN.value,
            "is_suspended": False,
            "created_at": EPOCH - timedelta(days=400),
            "email_confirmed_at": EPOCH - timedelta(days=400),
        }
    )
    return rows


def site_rows(sites: int) -> list[dict]:
    return [
        {
            "id": number,
            "owner_id": number,
            "slug": BENCH_USERNAME if number == 1 else f"writer-{number:05}",
            "title": f"Notebook number {number}",
            "tagline": "Measured, repeated, written down.",
            "created_at": EPOCH - timedelta(days=400),
        }
        for number in range(1, sites + 1)
    ]


def post_rows(sites: int, posts: int, bodies: list[tuple[str, str]], rng: random.Random):
    """Posts in chunks, spread round-robin over the sites, a minute or so apart, oldest first."""
    chunk = []
    for number in range(posts):
        site_id = number % sites + 1
        body, columns = bodies[number % len(bodies)]
        published = number % DRAFT_EVERY != DRAFT_EVERY - 1
        created = EPOCH + timedelta(minutes=number, seconds=rng.randint(0, 59))
        title = f"{sentence(rng).rstrip('.')[:150]} {number}"
        chunk.append(
            {
                "site_id": site_id,
                "title": title,
                "slug": publishing.slugify(title),
                "body": body,
                **columns,
                "is_published": published,
                "published_at": created if published else None,
                "created_at": created,
                "updated_at": created + timedelta(minutes=rng.randint(0, 90)),
            }
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(path: Path, sites: int, posts: int) -> None:
    """Create the schema with the migrations, then bulk-insert every row."""
    # Seeded: the same size gives the same data, every time (test data, not secrets).
    rng = random.Random(f"{sites}/{posts}")  # noqa: S311
    upgrade(path)
    app = make_app(database_url(path))
    bodies = [markdown_body(rng) for _ in range(DISTINCT_BODIES)]
    rendered = [(body, publishing.rendered(body)) for body in bodies]
    password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
    with app.app_context():
        db.session.execute(insert(User), user_rows(sites, password_hash))
        db.session.execute(insert(Site), site_rows(sites))
        for chunk in post_rows(sites, posts, rendered, rng):
            db.session.execute(insert(Post), chunk)
        events = [
            {
                "action": "user.signup",
                "actor_id": row["id"],
                "target_type": "user",
                "target_id": row["id"],
                "detail": row["username"],
                "created_at": row["created_at"],
            }
            for row in user_rows(sites, password_hash)
        ]
        db.session.execute(insert(AuditEvent), events)
        db.session.commit()
        db.engine.dispose()  # closes the last connection, which folds the WAL into the file


def ensure_database(sites: int, posts: int, log=print) -> Path:
    """The database for this size: reused when it exists, built (in seconds) when not."""
    if sites < 1 or posts < sites:
        raise ValueError("need at least one site and at least one post per site")
    path = database_path(sites, posts)
    DATA.mkdir(parents=True, exist_ok=True)
    if path.exists():
        upgrade(path)
        log(f"Reusing {path.relative_to(DATA.parent.parent)} ({sites} sites, {posts:,} posts).")
        return path
    partial = path.with_name(path.name + ".building")
    for leftover in DATA.glob(partial.name + "*"):
        leftover.unlink()
    started = time.monotonic()
    build(partial, sites, posts)
    partial.rename(path)
    seconds = time.monotonic() - started
    name = path.relative_to(DATA.parent.parent)
    log(f"Built {name}: {sites} sites, {posts:,} posts in {seconds:.1f} s.")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--posts", type=int, default=10_000, help="posts in all, over the sites")
    arguments = parser.parse_args(argv)
    ensure_database(arguments.sites, arguments.posts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
