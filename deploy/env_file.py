"""The env file, /etc/inkpot/inkpot.env on a server: KEY=value lines holding a server's settings.

gunicorn.conf.py passes its values to the app, and render.py reads LAYOUT from
it. The shell reads it too (deploy/inkpot-flask sources it), so inkpot.env.example
keeps to what both understand.
"""

from pathlib import Path

DEFAULT_ENV_FILE = Path("/etc/inkpot/inkpot.env")


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines; blank lines and # comments skipped, one pair of outer quotes removed."""
    values = {}
    for number, raw_line in enumerate(path.read_text().splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        if not equals or not key.isidentifier():
            raise ValueError(f"{path}:{number}: expected KEY=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values
