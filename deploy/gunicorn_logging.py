"""gunicorn's access log: a link's token hidden, and a visitor's text escaped as nginx escapes it.

gunicorn's master loads this module: it imports gunicorn and the standard library only.
"""

import re

from gunicorn.glogging import Logger

# The paths whose last part is a secret: /confirm/<token>, /password/reset/<token>
# (nginx's log_format hides the same ones, deploy/nginx/inkpot.conf).
SECRET_PATH = re.compile(r"(/confirm/|/password/reset/)(?!resend\b)[^/?\s\"]+")
REDACTED = r"\1[redacted]"
# What nginx writes as \xXX in its access log (escape=default): a quote, a backslash,
# control characters and everything outside ASCII. WSGI hands headers and the URL
# over as one character per byte (PEP 3333), so each is one \xXX, as in nginx's log.
UNSAFE = re.compile(r'["\\\x00-\x1f\x7f-\U0010ffff]')


def escaped(text: str) -> str:
    """`text` with each character nginx would escape written as \\xXX."""
    return UNSAFE.sub(as_hex, text)


def as_hex(found: re.Match) -> str:
    character = found[0]
    data = bytes([ord(character)]) if ord(character) < 256 else character.encode()
    return "".join(f"\\x{byte:02X}" for byte in data)


class AccessLogger(Logger):
    """gunicorn's logger, its access lines with a link's token as [redacted] and text escaped.

    Only the server writes a `"` into a line: every value (the request line, the
    headers a visitor chose) has its quotes escaped, so a quoted field such as
    `request_id="…"` cannot be imitated from a User-Agent or a URL, and no
    control character reaches the terminal of someone reading the log.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The request line and path, and the Referer: a page opened from such a link
        # names it in the next request's Referer.
        for key in ("r", "U", "f", "{raw_uri}e", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = SECRET_PATH.sub(REDACTED, atoms[key])
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = escaped(value)
        return atoms
