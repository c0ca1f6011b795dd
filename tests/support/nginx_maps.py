"""nginx's `map` blocks of deploy/nginx/inkpot.conf, run here with Python's `re`.

A map's regex is what nginx makes of the config file: its parser reads `\\\\`,
`\\"` and `\\'` as the character after the backslash (and `\\t`, `\\r`, `\\n` as a
tab, a carriage return, a line feed) before PCRE sees the pattern.
"""

import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx" / "inkpot.conf"

NGINX_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "r": "\r", "n": "\n"}
# One `map $source $variable { ... }` block.
MAP_BLOCK = re.compile(r"^map \$(\w+) \$(\w+) {\n(.*?)^}", re.MULTILINE | re.DOTALL)
# One entry of a block: what to match, and the value.
MAP_ENTRY = re.compile(r"""('[^']*'|"[^"]*"|[^\s'";]+)\s+('[^']*'|"[^"]*"|[^\s'";]+);""")

Entries = list[tuple[str | re.Pattern, str]]


def as_nginx_reads(token: str) -> str:
    """A token of the config file as nginx's parser hands it on: quotes off, escapes read."""
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        token = token[1:-1]
    return re.sub(r"\\(.)", lambda m: NGINX_ESCAPES.get(m[1], m[0]), token)


@cache
def nginx_maps() -> dict[str, tuple[str, Entries]]:
    """Every map of inkpot.conf: the variable it sets → (its source variable, its entries)."""
    maps = {}
    for block in MAP_BLOCK.finditer(NGINX_CONF.read_text()):
        source_variable, variable, body = block.groups()
        entries: Entries = []
        # An entry may go on over two lines; comments are whole lines.
        lines = [line for line in body.splitlines() if not line.strip().startswith("#")]
        text = " ".join(lines).strip()
        assert re.fullmatch(rf"(?:{MAP_ENTRY.pattern}\s*)*", text), f"${variable}: {text}"
        for entry in MAP_ENTRY.finditer(text):
            source, value = (as_nginx_reads(part) for part in entry.groups())
            if source.startswith("~"):
                flags = re.IGNORECASE if source.startswith("~*") else 0
                # PCRE's (?<name>...) is Python's (?P<name>...); atomic groups and
                # possessive quantifiers are alike.
                pattern = re.sub(r"\(\?<(\w+)>", r"(?P<\1>", source.lstrip("~*"))
                source = re.compile(pattern, flags)
            entries.append((source, value))
        maps[variable] = (source_variable, entries)
    return maps


def nginx_map(variable: str) -> Entries:
    """The entries of the map that sets $variable, regexes compiled."""
    assert variable in nginx_maps(), f"no map for ${variable}"
    return nginx_maps()[variable][1]


def nginx_variable(name: str, request: dict[str, str]) -> str:
    """$name as nginx works it out for a request, from the request's own variables.

    `request` holds those nginx takes from the request: {"http_cookie": ...,
    "http_accept_language": ...}; a header left out is empty, as in nginx. A
    variable a map sets is worked out from the map's source, as ngx_http_map_module
    does: the first regex that matches, in order, or the plain string, or the default.
    """
    if name not in nginx_maps():
        return request.get(name, "")
    source, entries = nginx_maps()[name]
    value = nginx_variable(source, request)
    default = ""
    for pattern, result in entries:
        if pattern == "default":
            default = result
        elif isinstance(pattern, re.Pattern):
            match = pattern.search(value)
            if match:
                return fill_in(result, request, match.groupdict())
        elif pattern.lower() == value.lower():  # nginx compares plain strings case-insensitively
            return fill_in(result, request)
    return fill_in(default, request)


def fill_in(value: str, request: dict[str, str], captures: dict | None = None) -> str:
    """A map's value with its $variables (and the regex's named captures) filled in."""

    def variable(match: re.Match) -> str:
        name = match[1] or match[2]
        if captures and name in captures:
            return captures[name] or ""
        return nginx_variable(name, request)

    return re.sub(r"\$(?:(\w+)|\{(\w+)\})", variable, value)
