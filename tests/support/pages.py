"""Reading the site's pages in tests: elements, visible text, table rows, form fields."""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from tests.support.clients import CSRF_FIELD

# Elements that never have an end tag, so they are never left open.
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# Elements that sit inside a line of text; every other element starts a new block of text.
INLINE_ELEMENTS = {
    "a",
    "abbr",
    "b",
    "cite",
    "code",
    "del",
    "em",
    "i",
    "kbd",
    "mark",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "time",
    "u",
}


@dataclass
class Element:
    """An element of a parsed page, with the text of everything inside it."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    def find_all(self, tag: str | None = None, **attrs: str) -> list["Element"]:
        """Every element inside this one with this tag and these attribute values."""
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(name.rstrip("_").replace("_", "-")) == value
                for name, value in attrs.items()
            ):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs: str) -> "Element | None":
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    @property
    def words(self) -> str:
        """The text inside, whitespace collapsed."""
        return " ".join(self.text.split())


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        self._break_text(tag)
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self._break_text(tag)
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                break
        self._break_text(tag)

    def _break_text(self, tag):
        """Blocks read as separate words: `<dt>Users</dt><dd>3</dd>` is "Users 3"."""
        if tag not in INLINE_ELEMENTS:
            for element in self.stack:
                element.text += " "

    def handle_data(self, data):
        for element in self.stack:
            element.text += data


def parse(page) -> Element:
    """The document tree of an HTML page (a response or a string)."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def text(page) -> str:
    """A page's text as a reader sees it, whitespace collapsed."""
    return parse(page).words


def main_text(page) -> str:
    """The text of the page's <main>: the content without header, navigation and footer."""
    main = parse(page).find("main")
    assert main is not None, "the page has no <main>"
    return main.words


def table_rows(page) -> list[list[str]]:
    """The cells of every body row of every table on the page."""
    rows = []
    for row in parse(page).find_all("tr"):
        cells = [cell.words for cell in row.children if cell.tag == "td"]
        if cells:
            rows.append(cells)
    return rows


def post_links(page) -> list[str]:
    """The distinct links to post pages (`/sites/<site>/<post>`) in the page's <main>, in order."""
    hrefs = [a.attrs.get("href", "") for a in parse(page).find("main").find_all("a")]
    posts = [href for href in hrefs if re.fullmatch(r"/sites/[a-z0-9-]+/[a-z0-9-]+", href)]
    return list(dict.fromkeys(posts))


def form_value(page, name: str) -> str | None:
    """What a form field named `name` shows: an input's value or a textarea's text."""
    tree = parse(page)
    for element in tree.find_all("input", name=name):
        if element.attrs.get("type") == "checkbox":
            return "y" if "checked" in element.attrs else ""
        return element.attrs.get("value", "")
    for element in tree.find_all("textarea", name=name):
        # HTML drops one newline right after <textarea>, as a browser does.
        value = element.text.replace("\r\n", "\n")
        return value.removeprefix("\n")
    return None


def field_has_error(page, name: str) -> bool:
    """True when the form marks the field named `name` as invalid."""
    return any(
        element.attrs.get("aria-invalid") == "true"
        for tag in ("input", "select", "textarea")
        for element in parse(page).find_all(tag, name=name)
    )


def without_csrf_tokens(page) -> str:
    """The page's HTML with every CSRF token blanked, so two renderings can be compared."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return CSRF_FIELD.sub(_without_token, html)


def _without_token(field: re.Match) -> str:
    # The field up to its value's opening quote, then the closing quote: value="".
    return field.string[field.start() : field.start(1)] + field.string[field.end(1) : field.end()]


def parse_xml(response) -> ET.Element:
    """The root element of an XML response (the site's own feed, so a trusted document)."""
    return ET.fromstring(response.data)  # noqa: S314


def redirect_target(response) -> tuple[str, dict[str, str]]:
    """Where a redirect points: its path and its query arguments."""
    assert response.status_code in {301, 302, 303, 307, 308}, response.status_code
    location = urlsplit(response.headers["Location"])
    assert location.netloc in {"", "localhost"}, response.headers["Location"]
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    return location.path, query
