"""Which `?next=` targets are safe to redirect to: only paths on this same site."""

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """Return target if it is a same-site path (`/dashboard/?x=1`), else None.

    Browsers read `//host`, `/\\host` and URLs with stray whitespace or control
    characters as links to other sites, so all of those are refused.
    """
    if not target or len(target) > 2000:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
