"""Demo data for `flask seed-demo`: a few writers with sites and posts, and an admin."""

from sqlalchemy import select

from shared_models import accounts, publishing
from shared_models.database import db
from shared_models.models import Post

DEMO_PASSWORD = "inkpot-demo"

DEMO_ADMIN = "admin@example.com"

DEMO_WRITERS = [
    {
        "username": "ada",
        "email": "ada@example.com",
        "title": "Notes from the Engine",
        "tagline": "Analytical musings, mostly about machines that weave numbers.",
        "posts": [
            (
                "On the Analytical Engine",
                "The engine *weaves algebraic patterns* just as the "
                "Jacquard loom weaves flowers and leaves.\n\n## What it can do\n\n"
                "- add, subtract, multiply and divide\n- store results for later\n"
                "- repeat a sequence of operations\n\n> It has no pretensions to "
                "originate anything.",
            ),
            (
                "Bernoulli numbers, step by step",
                "A short walk through *Note G*:\n\n"
                "```python\ndef bernoulli(n):\n    ...\n```\n\nEach step feeds the next.",
            ),
            ("Poetical science", "Imagination is the discovering faculty, pre-eminently."),
        ],
        "draft": ("Draft: letters to Babbage", "Not ready to share yet."),
    },
    {
        "username": "grace",
        "email": "grace@example.com",
        "title": "Compile Time",
        "tagline": "Bugs, nanoseconds and why it's easier to ask forgiveness.",
        "posts": [
            (
                "The first actual bug",
                "Relay #70, Panel F: a moth. **First actual case of bug being found.**",
            ),
            (
                "A nanosecond of wire",
                "Hold up a piece of wire 11.8 inches long: that is "
                "how far light travels in a nanosecond.",
            ),
        ],
        "draft": ("Draft: COBOL at fifty", "Outline:\n\n1. Readable\n2. Portable"),
    },
    {
        "username": "linus",
        "email": "linus@example.com",
        "title": "Just a Hobby",
        "tagline": "Won't be big and professional.",
        "posts": [
            ("Release early, release often", "Given enough eyeballs, all bugs are shallow."),
        ],
        "draft": None,
    },
]


def seed_demo() -> list[tuple[str, str]]:
    """Create the demo users, sites and posts that are missing; return (email, role) pairs."""
    credentials = []
    for writer in DEMO_WRITERS:
        user = accounts.get_user_by_email(writer["email"])
        if user is None:
            user = accounts.sign_up(
                writer["username"], writer["email"], DEMO_PASSWORD, confirmed=True
            )
            publishing.update_site(user.site, writer["title"], writer["tagline"])
        existing = set(
            db.session.execute(select(Post.title).where(Post.site_id == user.site.id)).scalars()
        )
        for title, body in writer["posts"]:
            if title not in existing:
                publishing.create_post(user, title, body, published=True)
        if writer["draft"] and writer["draft"][0] not in existing:
            publishing.create_post(user, *writer["draft"], published=False)
        credentials.append((writer["email"], "writer"))
    admin = accounts.get_user_by_email(DEMO_ADMIN)
    if admin is None or not admin.is_admin:
        accounts.create_admin(DEMO_ADMIN, DEMO_PASSWORD)
    credentials.append((DEMO_ADMIN, "admin"))
    return credentials
