"""gunicorn's access log without the secrets some URLs carry (a confirmation or reset link's token).

gunicorn's master loads this module: it imports gunicorn and the standard library only.
"""

import re

from gunicorn.glogging import Logger

# The paths whose last part is a secret: /confirm/<token>, /password/reset/<token>
# (nginx's log_format hides the same ones, deploy/nginx/inkpot.conf).
SECRET_PATH = re.compile(r"(/confirm/|/password/reset/)(?!resend\b)[^/?\s\"]+")
REDACTED = r"\1[redacted]"


class RedactingLogger(Logger):
    """gunicorn's logger, with a link's token replaced by [redacted] in every access line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # The request line and path, and the Referer: a page opened from such a link
        # names it in the next request's Referer.
        for key in ("r", "U", "f", "{raw_uri}e", "{referer}i"):
            if isinstance(atoms.get(key), str):
                atoms[key] = SECRET_PATH.sub(REDACTED, atoms[key])
        return atoms
