"""shared_models.publishing, without HTTP: slugs, Markdown sanitizing, and writing posts."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared_models import RuleViolation, accounts, db, publishing
from shared_models.models import POST_SLUG_MAX, AuditEvent, Post
from tests.support.clients import PASSWORD
from tests.support.page_safety import live_script
from tests.support.pages import parse

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.fixture
def writer(domain_app):
    return accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)


# --- slugs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Spaces   everywhere  ", "spaces-everywhere"),
        ("Crème brûlée à la café", "creme-brulee-a-la-cafe"),
        ("Ærøskøbing", "rskbing"),
        ("Straße", "strae"),
        ("ﬁne ligatures", "fine-ligatures"),
        ("Ｆｕｌｌ ｗｉｄｔｈ", "full-width"),
        ("C++ & Rust: 2024 edition", "c-rust-2024-edition"),
        ("---dashes---", "dashes"),
        ("under_score", "under-score"),
        ("MiXeD CaSe", "mixed-case"),
    ],
)
def test_slugify_folds_to_lower_case_ascii_with_hyphens(title, slug):
    assert publishing.slugify(title) == slug


@pytest.mark.parametrize("title", ["日本語", "✨🎉", "!!!", "   ", "---", "Ω"])
def test_a_title_that_folds_to_nothing_still_gets_a_slug(title):
    slug = publishing.slugify(title)

    assert slug
    assert SLUG.fullmatch(slug)


def test_slugs_are_at_most_80_characters_and_never_end_in_a_hyphen():
    slug = publishing.slugify("word " * 40)

    assert len(slug) <= POST_SLUG_MAX
    assert SLUG.fullmatch(slug)


@given(st.text(max_size=300))
def test_any_title_gives_a_well_formed_slug(title):
    slug = publishing.slugify(title)

    assert 0 < len(slug) <= POST_SLUG_MAX
    assert SLUG.fullmatch(slug), slug


@pytest.mark.parametrize(
    ("existing", "title", "slug"),
    [
        (["hello-world"], "Hello", "hello"),
        (["hello", "hello-2"], "Hello", "hello-3"),
        (["hello", "hello-3"], "Hello", "hello-2"),
        (["post"], "日本語", "post-2"),
    ],
)
def test_unique_post_slug_adds_a_number_on_collision(writer, existing, title, slug):
    for taken in existing:
        db.session.add(Post(site=writer.site, title=taken, slug=taken, body=""))
    db.session.commit()

    assert publishing.unique_post_slug(writer.site, title) == slug


def test_unique_post_slug_stays_within_80_characters(writer):
    title = "x" * 200
    for _ in range(12):
        publishing.create_post(writer, title, "", True)

    slugs = [post.slug for post in writer.site.posts]
    assert len(set(slugs)) == 12
    assert all(len(slug) <= POST_SLUG_MAX and SLUG.fullmatch(slug) for slug in slugs)


def test_slugs_are_unique_within_a_site_but_not_across_sites(writer):
    other = accounts.sign_up("other", "other@example.com", PASSWORD)

    mine = publishing.create_post(writer, "Same title", "", True)
    theirs = publishing.create_post(other, "Same title", "", True)

    assert mine.slug == theirs.slug == "same-title"


# --- Markdown ---------------------------------------------------------------------------


def test_render_markdown_renders_the_usual_markdown():
    html = publishing.render_markdown(
        "# Title\n\n*em* **strong** `code`\n\n- one\n- two\n\n[link](https://example.com)\n\n"
        "```\nblock\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )

    tree = parse(html)
    for tag in ("h1", "em", "strong", "code", "ul", "li", "a", "pre", "table", "td"):
        assert tree.find(tag) is not None, tag
    assert tree.find("a").attrs["href"] == "https://example.com"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<svg><script>alert(1)</script></svg>",
        "<svg onload=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        '<object data="x.swf"></object><embed src="x.swf">',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](jav&#x09;ascript:alert(1))",
        '<a href="javascript&colon;alert(1)">x</a>',
        "![x](javascript:alert(1))",
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<style>body{background:url("javascript:alert(1)")}</style>',
        '<form action="javascript:alert(1)"><input type=submit></form>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        '<a href="https://example.com" onclick="alert(1)">x</a>',
        "<details open ontoggle=alert(1)>",
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    ],
)
def test_render_markdown_removes_anything_that_could_run_script(source):
    html = publishing.render_markdown(source)

    assert live_script(html) == []
    assert "<script" not in html.lower()
    assert "<iframe" not in html.lower()


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("H<sub>2</sub>O", "<p>H&lt;sub&gt;2&lt;/sub&gt;O</p>\n"),
        ('<code class="button">x</code>', '<p>&lt;code class="button"&gt;x&lt;/code&gt;</p>\n'),
        ("<div>\nblock\n</div>", "<p>&lt;div&gt;\nblock\n&lt;/div&gt;</p>\n"),
        ("<!-- a note -->", "<p>&lt;!-- a note --&gt;</p>\n"),
        # An HTML block ends a block quote's lazy lines: it becomes text too.
        (
            "> quoted\n<div onclick=alert(1)>\n",
            "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>&lt;div onclick=alert(1)&gt;</p>\n",
        ),
    ],
)
def test_raw_html_in_markdown_is_shown_as_it_was_typed(source, html):
    assert publishing.render_markdown(source) == html


def test_autolinks_and_character_references_still_work():
    html = publishing.render_markdown("<https://example.com> <me@example.com> &copy; &amp;")

    links = [link.attrs["href"] for link in parse(html).find_all("a")]
    assert links == ["https://example.com", "mailto:me@example.com"]
    assert "© &amp;" in html


@pytest.mark.parametrize(
    ("source", "heading"),
    [
        ("# Title #", "Title"),
        ("## Title ##   ", "Title"),
        ("# Title\t#\t", "Title"),
        ("# Title#", "Title#"),
        ("# C# and F#", "C# and F#"),
        ("# Title \\#", "Title #"),
        ("# #", ""),
        ("### ###", ""),
        ("# a # b", "a # b"),
        ("# Title" + " " * 1000 + "x", "Title" + " " * 1000 + "x"),
    ],
)
def test_a_headings_closing_hashes_are_trimmed(source, heading):
    html = publishing.render_markdown(source)

    assert re.fullmatch(r"<h(\d)>(.*)</h\1>\n", html, re.S)[2] == heading


def test_table_column_alignment_survives_sanitizing():
    html = publishing.render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |")

    cells = [cell.attrs.get("align") for cell in parse(html).find_all("td")]
    assert cells == ["left", "right"]


def test_links_are_kept_but_marked_nofollow():
    html = publishing.render_markdown("[site](https://example.com)")

    link = parse(html).find("a")
    assert link.attrs["href"] == "https://example.com"
    assert "nofollow" in link.attrs["rel"]


# --- writing posts ----------------------------------------------------------------------


@pytest.mark.smoke
def test_create_post_publishes_and_renders(writer):
    post = publishing.create_post(writer, "  Hello  ", "Hi *there*", True)

    assert post.title == "Hello"
    assert post.slug == "hello"
    assert post.site == writer.site
    assert post.is_published
    assert post.published_at is not None
    assert "<em>there</em>" in post.body_html


def test_create_post_as_a_draft_has_no_publication_date(writer):
    post = publishing.create_post(writer, "Draft", "", False)

    assert not post.is_published
    assert post.published_at is None


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "x", "title"),
        ("   ", "x", "title"),
        ("t" * 201, "x", "title"),
        ("ok", "x" * 100_001, "body"),
    ],
)
def test_create_post_refuses_bad_fields(writer, title, body, field):
    with pytest.raises(RuleViolation) as refused:
        publishing.create_post(writer, title, body, True)

    assert refused.value.field == field
    assert writer.site.posts == []


def test_update_post_re_renders_the_body(writer):
    post = publishing.create_post(writer, "Post", "old", True)

    publishing.update_post(post, "Post", "**new**", True)

    assert "<strong>new</strong>" in post.body_html


def test_a_published_posts_slug_is_stable_when_its_title_changes(writer):
    post = publishing.create_post(writer, "Original title", "", True)

    publishing.update_post(post, "A better title", "", True)

    assert post.slug == "original-title"
    assert post.title == "A better title"


def test_a_once_published_posts_slug_stays_after_unpublishing(writer):
    post = publishing.create_post(writer, "Original title", "", True)
    first_published = post.published_at
    publishing.update_post(post, "Original title", "", False)

    publishing.update_post(post, "A better title", "", True)

    assert post.slug == "original-title"
    assert post.published_at == first_published


def test_a_drafts_slug_follows_its_title(writer):
    post = publishing.create_post(writer, "Working title", "", False)

    publishing.update_post(post, "Final title", "", False)

    assert post.slug == "final-title"


def test_a_drafts_new_slug_avoids_the_sites_other_slugs(writer):
    publishing.create_post(writer, "Final title", "", True)
    draft = publishing.create_post(writer, "Working title", "", False)

    publishing.update_post(draft, "Final title", "", True)

    assert draft.slug == "final-title-2"


def test_a_drafts_slug_is_kept_when_only_its_body_changes(writer):
    draft = publishing.create_post(writer, "Same", "", False)
    publishing.create_post(writer, "Same", "", True)

    publishing.update_post(draft, "Same", "new body", False)

    assert draft.slug == "same"


def test_delete_post_removes_it(writer):
    post = publishing.create_post(writer, "Gone", "", True)

    publishing.delete_post(post)

    assert db.session.get(Post, post.id) is None


def test_delete_post_as_admin_removes_it_and_audits_it(writer):
    admin, _ = accounts.create_admin("boss@example.com", PASSWORD)
    post = publishing.create_post(writer, "Spam", "", True)

    publishing.delete_post_as_admin(admin, post)

    assert db.session.get(Post, post.id) is None
    events = db.session.execute(db.select(AuditEvent)).scalars().all()
    (deleted,) = [event for event in events if event.action == "post.deleted_by_admin"]
    assert deleted.actor == admin
    assert "Spam" in deleted.detail


# --- site settings ----------------------------------------------------------------------


def test_update_site_trims_and_saves(writer):
    publishing.update_site(writer.site, "  My blog ", " A tagline ")

    assert (writer.site.title, writer.site.tagline) == ("My blog", "A tagline")


@pytest.mark.parametrize(
    ("title", "tagline", "field"),
    [("", "x", "title"), ("t" * 101, "x", "title"), ("ok", "t" * 201, "tagline")],
)
def test_update_site_refuses_bad_fields(writer, title, tagline, field):
    with pytest.raises(RuleViolation) as refused:
        publishing.update_site(writer.site, title, tagline)

    assert refused.value.field == field


# --- concurrent saves -------------------------------------------------------------------


def test_a_slug_taken_between_the_check_and_the_commit_moves_to_the_next(writer, monkeypatch):
    first = publishing.create_post(writer, "Same title", "", published=True)
    # Another request's post took the slug after this one looked: it is offered again.
    real = publishing.unique_post_slug
    offers = iter(["same-title"])
    monkeypatch.setattr(
        publishing, "unique_post_slug", lambda *args, **kw: next(offers, None) or real(*args, **kw)
    )

    second = publishing.create_post(writer, "Same title", "Body", published=True)

    assert (first.slug, second.slug) == ("same-title", "same-title-2")
    assert second.title == "Same title" and second.body == "Body" and second.is_published


def test_a_draft_renamed_onto_a_slug_taken_meanwhile_keeps_its_edit(writer, monkeypatch):
    publishing.create_post(writer, "Taken", "", published=True)
    draft = publishing.create_post(writer, "Draft", "", published=False)
    real = publishing.unique_post_slug
    offers = iter(["taken"])
    monkeypatch.setattr(
        publishing, "unique_post_slug", lambda *args, **kw: next(offers, None) or real(*args, **kw)
    )

    publishing.update_post(draft, "Taken", "Edited body", published=True)

    assert (draft.slug, draft.title, draft.body, draft.is_published) == (
        "taken-2",
        "Taken",
        "Edited body",
        True,
    )
    assert draft.published_at is not None


def test_a_writer_is_asked_to_try_again_when_every_slug_keeps_clashing(writer, monkeypatch):
    publishing.create_post(writer, "Same title", "", published=True)
    monkeypatch.setattr(publishing, "unique_post_slug", lambda *args, **kw: "same-title")

    with pytest.raises(RuleViolation) as refused:
        publishing.create_post(writer, "Same title", "", published=True)

    assert refused.value.field == "title"
    assert "try again" in refused.value.message


def test_parallel_posts_with_one_title_all_save_under_their_own_slugs(domain_app, writer):
    import threading

    writer_id, saved, failures = writer.id, [], []
    db.session.commit()

    def write():
        with domain_app.app_context():
            try:
                author = db.session.get(type(writer), writer_id)
                saved.append(publishing.create_post(author, "Busy title", "x", True).slug)
            except Exception as error:  # every failure is reported below
                failures.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert sorted(saved) == ["busy-title", *(f"busy-title-{n}" for n in range(2, 7))]
