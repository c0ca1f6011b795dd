"""Versions of what the public pages show: up with every change to them, and only then."""

from shared_models import accounts, db, publishing, sessions
from shared_models.models import Site
from shared_models.versions import public_version
from tests.support.clients import PASSWORD


def versions(site: Site) -> tuple[int, int]:
    """(the site's version, the site-wide one), as a new transaction reads them."""
    db.session.commit()
    return db.session.get(Site, site.id).content_version, public_version()


def test_every_public_change_moves_the_site_and_the_site_wide_version(domain_app):
    ada = accounts.sign_up("ada", "ada@example.com", PASSWORD, confirmed=True)
    admin = accounts.create_admin("boss@example.com", PASSWORD)[0]
    seen = [versions(ada.site)]

    post = publishing.create_post(ada, "First", "Body", published=True)
    seen.append(versions(ada.site))
    publishing.update_post(post, "First, edited", "Body", published=True)
    seen.append(versions(ada.site))
    publishing.update_site(ada.site, "Ada's notes", "A tagline")
    seen.append(versions(ada.site))
    accounts.suspend_user(admin, ada)
    seen.append(versions(ada.site))
    accounts.reactivate_user(admin, ada)
    seen.append(versions(ada.site))
    publishing.update_post(post, "First, edited", "Body", published=False)
    seen.append(versions(ada.site))
    publishing.update_post(post, "First, edited", "Body", published=True)
    seen.append(versions(ada.site))
    publishing.delete_post_as_admin(admin, post)
    seen.append(versions(ada.site))

    site_versions = [site for site, _ in seen]
    site_wide = [overall for _, overall in seen]
    assert site_versions == sorted(set(site_versions)), seen  # up at every step
    assert site_wide == sorted(set(site_wide)), seen


def test_what_no_public_page_shows_moves_no_version(domain_app):
    ada = accounts.sign_up("ada", "ada@example.com", PASSWORD, confirmed=True)
    before = versions(ada.site)

    draft = publishing.create_post(ada, "A draft", "Body", published=False)
    publishing.update_post(draft, "A draft, edited", "More body", published=False)
    session_id = sessions.start_session(ada, remember=False)
    accounts.authenticate("ada@example.com", PASSWORD)
    publishing.delete_post(draft)

    assert versions(ada.site) == before
    assert sessions.load_user_for_session(session_id) is not None
