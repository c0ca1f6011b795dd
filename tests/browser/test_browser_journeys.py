"""Whole journeys in a real browser, on every layout and in every language, every page checked.

The interface's words come from the catalogues (`visitor.say`), so a journey in
Chinese clicks the same buttons as one in English, by their Chinese names, and
reads the emails the site sends in Chinese too.
"""

import re

import pytest
from playwright.sync_api import expect

from shared_models import accounts, api_tokens, db
from tests.support.clients import PASSWORD
from tests.support.mail import Outbox

pytestmark = pytest.mark.slow

DRAFT_BODY = """Mist on the water at dawn, and a heron standing perfectly still.

![A pot of ink](/static/favicon.svg)

```python
def count_herons(sightings):
    return sum(1 for sighting in sightings if sighting.species == "grey heron")
```

- reeds
- *more* reeds
"""
TITLE = "Field notes from the marsh"
SLUG = "field-notes-from-the-marsh"


def main_nav(visitor):
    return visitor.page.get_by_role("navigation", name=visitor.say("Main"))


def expect_current_section(visitor, label):
    """The main navigation marks where the visitor is, and only there."""
    expect(main_nav(visitor).locator('[aria-current="page"]')).to_have_text(visitor.say(label))


def expect_flash(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def confirm_with_the_password(visitor, path):
    """Open a confirmation link: its page asks for the password, which confirms and signs in."""
    page, say = visitor.page, visitor.say
    visitor.open(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(say("Confirm your email address"))
    page.get_by_label(say("Password")).fill(PASSWORD)
    visitor.follow(page.get_by_role("button", name=say("Confirm and sign in")))


def sign_up(visitor, live_server, username):
    """Sign up, then confirm with the link from the email and the password, as a newcomer does."""
    page, say = visitor.page, visitor.say
    visitor.open("/")
    visitor.follow(main_nav(visitor).get_by_role("link", name=say("Start a blog")))
    page.get_by_label(say("Username")).fill(username)
    page.get_by_label(say("Email")).fill(f"{username}@example.com")
    page.get_by_label(say("Password")).fill(PASSWORD)
    visitor.follow(page.get_by_role("button", name=say("Create my blog")))
    expect(page.get_by_role("heading", level=1)).to_have_text(say("Check your email"))
    expect_flash(
        page, say("Almost there! We sent an email to %(email)s.", email=f"{username}@example.com")
    )
    sent = Outbox.of(live_server.app).last(to=f"{username}@example.com")
    # The email speaks the language of the page that sent it.
    assert sent.subject == say("Confirm your email address for Inkpot"), sent.subject
    link = sent.link("/confirm/")
    assert link.startswith(live_server.url), link
    confirm_with_the_password(visitor, link.removeprefix(live_server.url))


def test_writer_signs_up_drafts_previews_publishes_edits_and_deletes_a_post(live_server, visitor):
    page, say = visitor.page, visitor.say
    sign_up(visitor, live_server, "wren")
    expect(page).to_have_url(visitor.url("/dashboard/"))
    expect_flash(
        page, say("Welcome to Inkpot! Your site lives at %(address)s.", address="/sites/wren/")
    )
    expect_current_section(visitor, "Dashboard")
    expect(page.get_by_role("main")).to_contain_text(say("No posts yet — write your first."))

    visitor.follow(main_nav(visitor).get_by_role("link", name=say("Your site")))
    expect_current_section(visitor, "Your site")
    # The site's first title is written in the language its owner signed up in.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        say("%(username)s's blog", username="wren")
    )
    expect(page.get_by_role("main")).to_contain_text(say("No posts yet — write your first."))

    # A draft: saved, not public.
    visitor.follow(main_nav(visitor).get_by_role("link", name=say("Dashboard")))
    visitor.follow(page.get_by_role("main").get_by_role("link", name=say("Write a post")).first)
    expect(page.get_by_label(say("Published"))).not_to_be_checked()
    page.get_by_label(say("Title")).fill(TITLE)
    page.get_by_label(say("Body")).fill(DRAFT_BODY)
    visitor.follow(page.get_by_role("button", name=say("Save post")))
    expect_flash(page, say("“%(title)s” is saved as a draft.", title=TITLE))
    expect(page.get_by_role("main")).to_contain_text(say("only you can see it"))
    visitor.open(f"/sites/wren/{SLUG}", status=404)

    # Its preview shows the Markdown as the site will.
    visitor.open("/dashboard/")
    visitor.follow(page.get_by_role("link", name=say("Preview")))
    expect(page.get_by_role("note")).to_contain_text(say("This draft is visible only to you."))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".prose pre code")).to_contain_text("def count_herons(sightings):")
    expect(page.get_by_role("img", name="A pot of ink")).to_be_visible()

    # Published: on the site, on the home page, in the feed.
    visitor.follow(page.get_by_role("link", name=say("Back to editing")))
    page.get_by_label(say("Published")).check()
    visitor.follow(page.get_by_role("button", name=say("Save changes")))
    expect_flash(page, say("Your changes are saved."))
    expect(page.get_by_role("link", name=f"/sites/wren/{SLUG}")).to_be_visible()
    visitor.open("/sites/wren/")
    visitor.follow(page.get_by_role("link", name=TITLE))
    expect(page).to_have_url(visitor.url(f"/sites/wren/{SLUG}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("img", name="A pot of ink")).to_be_visible()
    visitor.open("/")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    feed = page.request.get(visitor.url("/sites/wren/feed.xml"))
    assert feed.status == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert f"<title>{TITLE}</title>" in feed.text()

    # Edited: the new title shows at the same address.
    visitor.open("/dashboard/")
    visitor.follow(page.get_by_role("link", name=say("Edit")))
    page.get_by_label(say("Title")).fill("Field notes, revised")
    page.get_by_label(say("Body")).fill("Two herons this morning.")
    expect(page.get_by_label(say("Published"))).to_be_checked()
    visitor.follow(page.get_by_role("button", name=say("Save changes")))
    expect_flash(page, say("Your changes are saved."))
    visitor.open(f"/sites/wren/{SLUG}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Field notes, revised")
    expect(page.get_by_role("main")).to_contain_text("Two herons this morning.")

    # Deleted: gone from the dashboard and the site.
    visitor.open("/dashboard/")
    visitor.follow(page.get_by_role("link", name=say("Edit")))
    visitor.follow(page.get_by_role("button", name=say("Delete this post")))
    expect_flash(page, say("“%(title)s” is deleted.", title="Field notes, revised"))
    expect(page.get_by_role("main")).to_contain_text(say("No posts yet — write your first."))
    visitor.open(f"/sites/wren/{SLUG}", status=404)

    visitor.follow(main_nav(visitor).get_by_role("button", name=say("Sign out")))
    expect_flash(page, say("You are signed out."))
    expect_current_section(visitor, "Home")
    visitor.check_nothing_was_missed()


def test_admin_suspends_a_user_found_by_search_and_their_site_disappears(live_server, visitor):
    live_server.create_user("boss", admin=True)
    live_server.create_user("heron", posts=[("Heron sightings", "Grey and patient.")])
    live_server.create_user("hermit")
    live_server.create_user("otter")
    page, say = visitor.page, visitor.say
    visitor.open("/sites/heron/")
    expect(page.get_by_role("link", name="Heron sightings")).to_be_visible()

    visitor.sign_in("boss@example.com")
    visitor.follow(main_nav(visitor).get_by_role("link", name=say("Admin")))
    expect_current_section(visitor, "Admin")
    admin_nav = page.get_by_role("navigation", name=say("Admin"))
    expect(admin_nav.locator('[aria-current="page"]')).to_have_text(say("Overview"))
    visitor.follow(admin_nav.get_by_role("link", name=say("Users")))
    expect(admin_nav.locator('[aria-current="page"]')).to_have_text(say("Users"))

    page.get_by_label(say("Search users")).fill("her")
    visitor.follow(page.get_by_role("button", name=say("Search")))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="heron@example.com")).to_have_count(1)
    expect(rows.filter(has_text="hermit@example.com")).to_have_count(1)
    expect(page.get_by_label(say("Search users"))).to_have_value("her")

    visitor.follow(page.get_by_role("button", name=f"{say('Suspend')} heron"))
    expect_flash(page, say("%(username)s is suspended; their site is hidden.", username="heron"))
    heron = page.locator("tbody tr").filter(has_text="heron@example.com")
    expect(heron).to_contain_text(say("Suspended"))
    expect(heron.get_by_role("button", name=f"{say('Reactivate')} heron")).to_be_visible()

    visitor.open("/sites/heron/", status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text(say("Not Found"))
    visitor.open("/sites/heron/heron-sightings", status=404)
    visitor.open("/")
    expect(page.get_by_role("link", name="Heron sightings")).to_have_count(0)
    visitor.check_nothing_was_missed()


def test_validation_errors_show_next_to_their_field_and_keep_what_was_typed(live_server, visitor):
    live_server.create_user("taken")
    page, say = visitor.page, visitor.say
    visitor.open("/signup")
    page.get_by_label(say("Username")).fill("no spaces!")
    page.get_by_label(say("Email")).fill("not-an-email")
    page.get_by_label(say("Password")).fill("short")
    visitor.submit_refused(page.get_by_role("button", name=say("Create my blog")))
    for label, error in [
        ("Username", say("Use letters a–z, digits and hyphens only.")),
        ("Email", say("Invalid email address.")),
        # The form's limit, in the domain's words.
        ("Password", say("Use %(min)s to %(max)s characters.", min=8, max=128)),
    ]:
        expect_error_next_to(page, say(label), error)
    expect(page.get_by_label(say("Username"))).to_have_value("no spaces!")
    expect(page.get_by_label(say("Email"))).to_have_value("not-an-email")
    expect(page.get_by_label(say("Password"))).to_have_value("")

    # A rule only the domain knows (the name is taken) lands next to its field too.
    page.get_by_label(say("Username")).fill("taken")
    page.get_by_label(say("Email")).fill("someone@example.com")
    page.get_by_label(say("Password")).fill(PASSWORD)
    visitor.submit_refused(page.get_by_role("button", name=say("Create my blog")))
    expect_error_next_to(page, say("Username"), say("That username is taken."))
    expect(page.get_by_label(say("Email"))).to_have_value("someone@example.com")

    page.get_by_label(say("Username")).fill("newt")
    page.get_by_label(say("Password")).fill(PASSWORD)
    visitor.follow(page.get_by_role("button", name=say("Create my blog")))
    # The confirmation link's page refuses a wrong password next to its field.
    link = Outbox.of(live_server.app).last(to="someone@example.com").path("/confirm/")
    visitor.open(link)
    page.get_by_label(say("Password")).fill("not-the-password")
    visitor.submit_refused(page.get_by_role("button", name=say("Confirm and sign in")))
    expect_error_next_to(page, say("Password"), say("That is not the password of this account."))
    page.get_by_label(say("Password")).fill(PASSWORD)
    visitor.follow(page.get_by_role("button", name=say("Confirm and sign in")))
    visitor.follow(page.get_by_role("main").get_by_role("link", name=say("Write a post")).first)
    page.get_by_label(say("Body")).fill("A body worth keeping.")
    visitor.submit_refused(page.get_by_role("button", name=say("Save post")))
    expect_error_next_to(page, say("Title"), say("This field is required."))
    expect(page.get_by_label(say("Body"))).to_have_value("A body worth keeping.")
    visitor.check_nothing_was_missed()


def expect_error_next_to(page, label, error):
    """The error sits in the field's own box and is announced with the control."""
    control = page.get_by_label(label, exact=True)
    field = page.locator(".field").filter(has=control)
    message = field.locator(".error")
    expect(message).to_contain_text(error, ignore_case=True)
    expect(control).to_have_attribute("aria-invalid", "true")
    expect(control).to_have_accessible_description(re.compile(re.escape(error), re.IGNORECASE))


def test_a_writer_can_sign_up_publish_and_sign_in_again_with_javascript_off(
    live_server, open_visitor
):
    visitor = open_visitor(java_script_enabled=False)
    page, say = visitor.page, visitor.say
    sign_up(visitor, live_server, "plover")
    visitor.follow(page.get_by_role("main").get_by_role("link", name=say("Write a post")).first)
    page.get_by_label(say("Title")).fill("Written without JavaScript")
    page.get_by_label(say("Body")).fill("Plain *HTML* forms are enough.")
    page.get_by_label(say("Published")).check()
    visitor.follow(page.get_by_role("button", name=say("Save post")))
    expect_flash(page, say("“%(title)s” is published.", title="Written without JavaScript"))
    visitor.follow(main_nav(visitor).get_by_role("button", name=say("Sign out")))

    visitor.open("/sites/plover/")
    visitor.follow(page.get_by_role("link", name="Written without JavaScript"))
    expect(page.locator(".prose em")).to_have_text("HTML")
    visitor.sign_in("plover@example.com")
    expect(page).to_have_url(visitor.url("/dashboard/"))
    expect(page.get_by_role("link", name="Written without JavaScript")).to_be_visible()
    visitor.check_nothing_was_missed()


def test_a_writer_who_forgot_their_password_resets_it_from_the_email(live_server, visitor):
    live_server.create_user("finch")
    with live_server.app.app_context():
        finch = accounts.get_user_by_email("finch@example.com")
        api_tokens.create_token(finch, "Feed reader", "read")
        db.session.remove()
    page, say = visitor.page, visitor.say
    visitor.open("/login")
    visitor.follow(page.get_by_role("link", name=say("Forgot your password?")))
    page.get_by_label(say("Email")).fill("finch@example.com")
    visitor.follow(page.get_by_role("button", name=say("Email me a link")))
    expect_flash(
        page, say("We sent an email to %(email)s with what to do next.", email="finch@example.com")
    )

    visitor.open(Outbox.of(live_server.app).last(to="finch@example.com").path("/password/reset/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(say("Choose a new password"))
    page.get_by_label(say("New password")).fill("a-fresh-passphrase")
    visitor.follow(page.get_by_role("button", name=say("Set my new password")))
    expect_flash(page, say("Your password is changed and every session is signed out."))
    revoked = "%(num)d API token is revoked too. Sign in to make it again."
    expect_flash(page, say(revoked, num=1))
    visitor.sign_in("finch@example.com", "a-fresh-passphrase")
    expect(page).to_have_url(visitor.url("/dashboard/"))

    # The tokens page offers to make the revoked token again, the form filled in.
    visitor.open("/dashboard/tokens")
    expect(page.get_by_role("main")).to_contain_text(say("Revoked when your password changed"))
    visitor.follow(page.get_by_role("link", name=f"{say('Make again')} Feed reader"))
    expect(page.get_by_label(say("Name"))).to_have_value("Feed reader")
    visitor.follow(page.get_by_role("button", name=say("Make a token")))
    expect(page.get_by_role("main")).not_to_contain_text(say("Revoked when your password changed"))
    visitor.check_nothing_was_missed()
