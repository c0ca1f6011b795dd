"""Which `?next=` targets are safe to redirect to: only paths on this same site."""

from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2000
# Nobody encodes a path more than twice; a target still changing after this
# many rounds of decoding is built to confuse, so it is refused.
DECODING_ROUNDS = 3


def safe_next_path(target: str | None) -> str | None:
    """Return target if it is a same-site path (`/dashboard/?x=1`), else None.

    Browsers read `//host`, `/\\host` and URLs with stray whitespace or control
    characters as links to other sites, so all of those are refused; and since
    a proxy or a browser may decode the path once more, so is anything that
    decodes to one of them (`/%2F%2Fhost`, `/%09/host`).
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None
    decoded = target
    for _ in range(DECODING_ROUNDS):
        if not _is_local_path(decoded):
            return None
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            return target
    return None


def _is_local_path(path: str) -> bool:
    # Browsers drop tabs and line breaks from a URL before reading it (`/\t/host`).
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return False
    if not path.startswith("/") or path.startswith(("//", "/\\")):
        return False
    parts = urlsplit(path)
    return not (parts.scheme or parts.netloc)
