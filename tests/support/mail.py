"""Reading the emails a test sent: .eml files in an app's outbox folder, or in the SMTP sink's."""

import email
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

LINK = re.compile(r"https?://[^\s<>\"]+")


@dataclass
class Email:
    file: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def links(self) -> list[str]:
        """Every link in the plain-text part, in order."""
        return LINK.findall(self.text)

    def link(self, path_prefix: str) -> str | None:
        """The first link whose path starts with path_prefix (`/confirm/`), or None."""
        links = (url for url in self.links() if urlsplit(url).path.startswith(path_prefix))
        return next(links, None)

    def path(self, path_prefix: str) -> str | None:
        """That link's path, for a test client (which serves every host)."""
        url = self.link(path_prefix)
        return urlsplit(url).path if url else None


class Outbox:
    """The messages in a folder of .eml files, oldest first (their names sort by time, then id)."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    @classmethod
    def of(cls, app) -> "Outbox":
        return cls(app.config["MAIL_OUTBOX_DIR"])

    def emails(self, to: str | None = None) -> list[Email]:
        if not self.directory.is_dir():
            return []
        found = [
            Email(path, email.message_from_bytes(path.read_bytes(), policy=policy.default))
            for path in sorted(self.directory.glob("*.eml"))
        ]
        return [mail for mail in found if to is None or mail.to == to.lower()]

    def last(self, to: str | None = None) -> Email:
        emails = self.emails(to)
        assert emails, f"no email to {to or 'anyone'} in {self.directory}"
        return emails[-1]

    def __len__(self) -> int:
        return len(self.emails())
