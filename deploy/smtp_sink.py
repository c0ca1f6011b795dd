"""The local stack's mail server: keeps every message as an .eml file; refuses or stalls on demand.

    python -m deploy.smtp_sink --port 8025 --directory run/serve-functional/mail

`make serve` and the tests run it where a server would talk to a real SMTP
provider, on loopback only. Each message it accepts becomes one file,
<directory>/<received>-<n>.eml, exactly as the worker sent it: open it with any
mail program, or read it as text. Two files in the directory change how it
answers, so a test (or you) can play a mail server in trouble:

    touch <directory>/refuse    every delivery is refused for now (451, "try again later")
    touch <directory>/stall     every delivery is held at its first step until the file
                                goes, the sink answering line by line meanwhile so the
                                sender never times out: a worker stays mid-send

While it holds a delivery, <directory>/stalled exists.
"""

import argparse
import asyncio
import itertools
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

STALL_STEP = 0.5  # seconds between the lines of a held answer


class KeepMessages:
    """aiosmtpd's handler: every accepted message to a file, unless a control file says no."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.numbers = itertools.count(1)

    def log(self, text: str) -> None:
        print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {text}", flush=True)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if (self.directory / "refuse").exists():
            self.log(f"Refused a delivery from {address} (451): {self.directory / 'refuse'}")
            return "451 4.3.0 Mail server busy, please try again later"
        if (self.directory / "stall").exists():
            self.log(f"Holding a delivery from {address} until {self.directory / 'stall'} goes")
            (self.directory / "stalled").touch()
            try:
                # A multi-line answer, one line at a time: each resets the sender's timeout.
                while (self.directory / "stall").exists():
                    await server.push("250-Still working on it")
                    await asyncio.sleep(STALL_STEP)
            finally:
                # Also when the sender is gone (its connection reset).
                (self.directory / "stalled").unlink(missing_ok=True)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        received = datetime.now(UTC)
        path = self.directory / f"{received:%Y%m%d-%H%M%S}-{next(self.numbers):06d}.eml"
        partial = path.with_suffix(".part")
        partial.write_bytes(envelope.original_content)
        partial.replace(path)
        self.log(f"Kept a message to {', '.join(envelope.rcpt_tos)} in {path}")
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    arguments = parser.parse_args(argv)
    arguments.directory.mkdir(parents=True, exist_ok=True)
    (arguments.directory / "stalled").unlink(missing_ok=True)
    handler = KeepMessages(arguments.directory)
    controller = Controller(handler, hostname=arguments.host, port=arguments.port)
    controller.start()
    where = f"{arguments.host}:{arguments.port}"
    handler.log(f"SMTP sink on {where}: messages go to {arguments.directory}/")
    # supervisor stops it with TERM: leave through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
