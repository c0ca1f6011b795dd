"""What every page visited in a browser must pass: clean console, no overflow, labels, contrast."""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response

# WCAG 2.2: 4.5:1 for text (1.4.3); 3:1 for large text and for focus indicators (1.4.11).
TEXT_CONTRAST = 4.5
LARGE_TEXT_CONTRAST = 3.0
NON_TEXT_CONTRAST = 3.0
LARGE_TEXT_PX = 24.0  # 18 pt
LARGE_BOLD_TEXT_PX = 18.66  # 14 pt bold

# What the canvas under the page is painted with when nothing else is (Chromium's defaults).
CANVAS = {"light": (255, 255, 255), "dark": (18, 18, 18)}

RGB = re.compile(r"rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\s*\)")

# One pass over the DOM: everything the structural checks need and every piece of visible text
# with its colour and the background colours of it and its ancestors, nearest first.
SURVEY_PAGE = """() => {
  const describe = (el) => {
    const classes = [...el.classList].map((c) => '.' + c).join('');
    const text = (el.innerText || el.value || el.placeholder || '').trim().replace(/\\s+/g, ' ');
    const id = el.id ? '#' + el.id : '';
    return `${el.tagName.toLowerCase()}${id}${classes} "${text.slice(0, 40)}"`;
  };
  const layers = (el) => {
    const out = [];
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      out.push({background: style.backgroundColor, opacity: parseFloat(style.opacity)});
    }
    return out;
  };
  const onScreen = (el) => {
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return rect.width > 1 && rect.height > 1 && rect.right > 0 && rect.bottom > -scrollY
      && style.visibility !== 'hidden';
  };
  const hasOwnText = (el) => [...el.childNodes].some(
    (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  const controls = [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')];
  const named = (el) => (el.getAttribute('aria-label') || '').trim()
    || [...(el.labels || [])].some((label) => label.textContent.trim())
    || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(
      (id) => id && document.getElementById(id)?.textContent.trim());
  const ids = [...document.querySelectorAll('[id]')].map((el) => el.id);
  const text = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    // WCAG 1.4.3 exempts decorative and inactive content (aria-hidden, disabled controls).
    if (el.closest('[aria-hidden="true"]') || el.disabled) continue;
    const isField = el.matches(
      'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea, select');
    if (!(hasOwnText(el) || (isField && el.value)) || !onScreen(el)) continue;
    const style = getComputedStyle(el);
    const sample = {what: describe(el), color: style.color, size: parseFloat(style.fontSize),
                    weight: parseInt(style.fontWeight, 10), layers: layers(el)};
    text.push(sample);
  }
  for (const el of controls) {
    if (el.placeholder && !el.value && onScreen(el)) {
      const style = getComputedStyle(el, '::placeholder');
      text.push({what: describe(el) + '::placeholder', color: style.color,
                 size: parseFloat(style.fontSize), weight: parseInt(style.fontWeight, 10),
                 layers: layers(el)});
    }
  }
  return {
    url: location.href,
    lang: document.documentElement.lang,
    title: document.title.trim(),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    h1: document.querySelectorAll('h1').length,
    landmarks: {
      header: document.querySelectorAll('body > header, [role=banner]').length,
      nav: document.querySelectorAll('nav, [role=navigation]').length,
      main: document.querySelectorAll('main, [role=main]').length,
    },
    unlabelledControls: controls.filter((el) => !named(el)).map(describe),
    unnamedButtons: [...document.querySelectorAll('button, [role=button], input[type=submit]')]
      .filter((el) => !(el.innerText || el.value || el.getAttribute('aria-label') || '').trim())
      .map(describe),
    unnamedLinks: [...document.querySelectorAll('a[href]')]
      .filter((el) => !(el.textContent || el.getAttribute('aria-label') || '').trim()
        && ![...el.querySelectorAll('img')].some((img) => img.alt.trim()))
      .map(describe),
    imagesWithoutAlt: [...document.images].filter((img) => !img.hasAttribute('alt'))
      .map((img) => img.getAttribute('src')),
    brokenImages: [...document.images].filter((img) => img.complete && !img.naturalWidth)
      .map((img) => img.getAttribute('src')),
    duplicateIds: [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))],
    danglingReferences: [...document.querySelectorAll(
      '[aria-describedby], [aria-labelledby], label[for]')]
      .flatMap((el) => ['aria-describedby', 'aria-labelledby', 'for'].map(
        (name) => el.getAttribute(name)))
      .filter(Boolean).flatMap((value) => value.split(/\\s+/))
      .filter((id) => !document.getElementById(id)),
    text,
  };
}"""

# Whether the page's font draws Chinese: without a CJK font, Chromium draws every Chinese
# character as the same empty box, so two different characters come out pixel for pixel alike.
CHINESE_GLYPHS_DRAWN = """() => {
  const draw = (character) => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 64;
    const context = canvas.getContext('2d');
    context.font = `48px ${getComputedStyle(document.body).fontFamily}`;
    context.fillText(character, 4, 52);
    return context.getImageData(0, 0, 64, 64).data.join();
  };
  return draw('永') !== draw('字');
}"""

# Start keyboard navigation from the top of the page, as a fresh visit would.
FOCUS_FROM_THE_TOP = """() => {
  window.scrollTo(0, 0);
  document.body.tabIndex = -1;
  document.body.focus();
  document.body.removeAttribute('tabindex');
}"""

FOCUSED_ELEMENT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const layers = [];
  for (let e = el.parentElement; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    layers.push({background: s.backgroundColor, opacity: parseFloat(s.opacity)});
  }
  return {
    key: [...document.querySelectorAll('*')].indexOf(el),
    what: `${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.id || '').trim()
      .slice(0, 40)}"`,
    focusVisible: el.matches(':focus-visible'),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    inViewport: rect.right > 0 && rect.bottom > 0
      && rect.left < innerWidth && rect.top < innerHeight,
    layers,
  };
}"""


def parse_color(css: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' as (r, g, b, alpha)."""
    match = RGB.fullmatch(css.strip())
    assert match, f"cannot read the colour {css!r}; teach parse_color this format"
    red, green, blue, alpha = match.groups()
    return float(red), float(green), float(blue), 1.0 if alpha is None else float(alpha)


def blend(top: tuple[float, float, float, float], under: tuple[float, ...]) -> tuple[float, ...]:
    """`top` (with its alpha) painted over the opaque colour `under`."""
    alpha = top[3]
    return tuple(top[i] * alpha + under[i] * (1 - alpha) for i in range(3))


def relative_luminance(rgb: tuple[float, ...]) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour with channels from 0 to 255."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[float, ...], second: tuple[float, ...]) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def backdrop(layers: list[dict], scheme: str) -> tuple[float, ...]:
    """The opaque colour behind an element: its and its ancestors' backgrounds over the canvas."""
    colour = CANVAS[scheme]
    for layer in reversed(layers):
        colour = blend(parse_color(layer["background"]), colour)
    return colour


def text_contrast(sample: dict, scheme: str) -> tuple[float, float]:
    """(the contrast of a piece of text, the ratio WCAG asks of text its size)."""
    red, green, blue, alpha = parse_color(sample["color"])
    # Opacity on the element or an ancestor fades the text (counted against the text).
    for layer in sample["layers"]:
        alpha *= layer["opacity"]
    under = backdrop(sample["layers"], scheme)
    ratio = contrast_ratio(blend((red, green, blue, alpha), under), under)
    large = sample["size"] >= LARGE_TEXT_PX or (
        sample["size"] >= LARGE_BOLD_TEXT_PX and sample["weight"] >= 700
    )
    return ratio, LARGE_TEXT_CONTRAST if large else TEXT_CONTRAST


def structure_problems(survey: dict) -> list[str]:
    """What is wrong with a page's structure, one line each (nothing: an empty list)."""
    problems = []
    if survey["scrollWidth"] > survey["innerWidth"]:
        problems.append(
            f"scrolls sideways: {survey['scrollWidth']} px wide in a "
            f"{survey['innerWidth']} px viewport"
        )
    if survey["h1"] != 1:
        problems.append(f"has {survey['h1']} h1 elements, not one")
    for landmark, count in survey["landmarks"].items():
        if count < 1 or (landmark == "main" and count > 1):
            problems.append(f"has {count} {landmark} landmarks")
    if not survey["lang"]:
        problems.append("has no <html lang>")
    if not survey["title"]:
        problems.append("has no <title>")
    checks = {
        "unlabelledControls": "form controls without a label",
        "unnamedButtons": "buttons without a name",
        "unnamedLinks": "links without text",
        "imagesWithoutAlt": "images without alt",
        "brokenImages": "images that did not load",
        "duplicateIds": "duplicate ids",
        "danglingReferences": "ids referred to but missing",
    }
    for key, label in checks.items():
        if survey[key]:
            problems.append(f"{label}: {survey[key]}")
    return problems


def contrast_problems(survey: dict, scheme: str) -> list[str]:
    problems = []
    for sample in survey["text"]:
        ratio, needed = text_contrast(sample, scheme)
        if ratio < needed:
            problems.append(
                f"{scheme} mode: {sample['what']} has contrast {ratio:.2f}:1, needs {needed}:1"
            )
    return problems


@dataclass
class BrowserTrouble:
    """Everything a page did wrong behind the user's back: console errors, failed requests."""

    origin: str
    expected_errors: set[str] = field(default_factory=set)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type not in ("error", "warning"):
            return
        # A page we meant to answer 4xx logs its own status as a failed load; that one is fine.
        if message.location.get("url") in self.expected_errors and message.text.startswith(
            "Failed to load resource: the server responded with a status of 4"
        ):
            return
        self.console_errors.append(f"{message.type}: {message.text} ({message.location['url']})")

    def on_request_failed(self, request: Request) -> None:
        if request.url in self.foreign_requests:
            return  # already reported, and aborted on purpose
        if request.failure == "net::ERR_ABORTED":
            return  # cancelled by the browser itself, e.g. an icon still loading on navigation
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def on_response(self, response: Response) -> None:
        if response.request.resource_type == "document" and not 300 <= response.status < 400:
            self.documents.append(response.url)
        if response.status >= 400 and response.url not in self.expected_errors:
            self.failed_requests.append(
                f"{response.request.method} {response.url}: {response.status}"
            )

    def is_foreign(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" != self.origin

    def problems(self) -> list[str]:
        return (
            self.console_errors
            + self.failed_requests
            + [f"request to another host: {url}" for url in self.foreign_requests]
        )
