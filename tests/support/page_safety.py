"""Reading a page or a feed for live script: anything an XSS payload would need to get through."""

import re
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

# Elements that run script, embed active content, or re-base or restyle the page.
ACTIVE_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "svg",
    "math",
    "portal",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "srcset",
    "data",
    "poster",
    "background",
    "cite",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "ping",
    "manifest",
    "codebase",
    "archive",
    "icon",
    "usemap",
}
SCRIPT_URL = re.compile(r"(?:javascript|vbscript|data):", re.IGNORECASE)
ATOM_CONTENT = "{http://www.w3.org/2005/Atom}content"


def looks_like_script_url(value: str, attribute: str = "href") -> bool:
    """True for a URL a browser would run or render as a document: javascript:, vbscript:, data:.

    Browsers ignore whitespace and control characters inside the scheme, so
    those are squeezed out first (`jav&#x09;ascript:` arrives here unescaped).
    """
    squeezed = re.sub(r"[\x00-\x20\x7f]+", "", value)
    # A srcset is a comma-separated list of URLs.
    candidates = squeezed.split(",") if attribute == "srcset" else [squeezed]
    return any(SCRIPT_URL.match(candidate) for candidate in candidates)


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"{name}= handler on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")
            if name in URL_ATTRIBUTES and looks_like_script_url(value, name):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "meta" and dict(attrs).get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    handle_startendtag = handle_starttag


def live_script(page) -> list[str]:
    """What on this page (a response or HTML) could run script or restyle it; empty when inert."""
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    if re.search(r"<\s*/?\s*script", html, re.IGNORECASE):
        inspector.problems.append("the text '<script' outside any escaping")
    return inspector.problems


def live_script_in_feed(xml: str) -> list[str]:
    """The same check for an Atom feed, which must parse, and whose HTML content must be inert."""
    root = ElementTree.fromstring(xml.encode("utf-8"))  # noqa: S314 (our own feed)
    problems = []
    for element in root.iter():
        local_name = element.tag.rpartition("}")[2]
        if local_name in ACTIVE_ELEMENTS:
            problems.append(f"<{local_name}> element in the feed")
        for name, value in element.attrib.items():
            if looks_like_script_url(value, name):
                problems.append(f"{name}={value!r} in the feed")
        if element.tag == ATOM_CONTENT and element.get("type") == "html":
            problems += live_script(element.text or "")
    return problems
