"""The catalogues, and every page in each language: nothing untranslated, nothing left in English.

The catalogues must hold exactly what the code marks (extracted here with
Babel's own API, as `make translations` does), every message translated, none
fuzzy, the compiled .mo files up to date, and the two layouts' catalogues in
step. Every kind of page, drawn in Chinese, must hold no English interface
text, and drawn in English, no Chinese: brand names, technical tokens and what
users wrote aside. So must every email, in its subject and in both its parts.
"""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.checkers import python_format

from scripts.translations import LANGUAGES, catalogues, extract
from shared_models import db
from shared_models.demo import seed_demo
from shared_models.models import (
    ApiToken,
    AuditEvent,
    OutboundEmail,
    Post,
    Site,
    User,
    UserSession,
)
from shared_web import mail
from tests.support.languages import messages, read, say, translations
from tests.support.mail import Outbox
from tests.support.pages import parse
from tests.support.tour import NOBODY, send_every_email, take_tour

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = catalogues()
SHARED = [
    c.directory for c in CATALOGUES if c.directory.parent.name in {"shared_models", "shared_web"}
]
# The apps' own catalogues: the areas' and the app-wide templates'.
APP_CATALOGUES = [c.directory for c in CATALOGUES if c.directory not in SHARED]
# The apps' packages, each with its catalogue (and its areas' ones within).
APP_PACKAGES = sorted(
    {c.package for c in CATALOGUES if c.package.parent == ROOT}
    - {c.directory.parent for c in CATALOGUES if c.directory in SHARED}
)


def catalogue_id(catalogue) -> str:
    return catalogue.name()


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=catalogue_id)
def test_each_catalogue_holds_exactly_what_its_code_marks(catalogue):
    marked = set(messages(extract(catalogue, CATALOGUES)))
    committed = set(messages(read(catalogue.template)))

    assert marked - committed == set(), "marked in the code, missing from the catalogue"
    assert committed - marked == set(), "in the catalogue, no longer in the code"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=catalogue_id)
def test_every_message_is_translated_and_none_is_fuzzy(catalogue, language):
    po = read(catalogue.po_file(language))
    template = read(catalogue.template)

    assert set(messages(po)) == set(messages(template)), "run `make translations`"
    untranslated = [
        m.id
        for m in po
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []
    assert [m.id for m in po if m.id and m.fuzzy] == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=catalogue_id)
def test_every_translation_keeps_its_placeholders(catalogue, language):
    po = read(catalogue.po_file(language))
    for message in po:
        if message.id and message.python_format:
            python_format(po, message)  # raises TranslationError on a lost or added %(name)s


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=catalogue_id)
def test_the_compiled_catalogues_are_up_to_date(catalogue, language):
    po = read(catalogue.po_file(language))
    mo = read(catalogue.mo_file(language))

    def strings(catalog):
        return {
            key: m.string if isinstance(m.string, str) else tuple(m.string)
            for key, m in messages(catalog).items()
        }

    wanted, compiled = strings(po), strings(mo)
    assert compiled == wanted, "run `make translations` (or `pybabel compile`)"


def test_a_message_shared_with_the_domain_is_translated_as_the_domain_translates_it():
    shared = {}
    for directory in SHARED:
        shared.update(translations(directory))
    for directory in APP_CATALOGUES:
        for key, text in translations(directory).items():
            if key in shared:
                assert text == shared[key], key


# The words of the interface, one way each (a test holds the catalogues to them).
GLOSSARY = {
    "post": "文章",
    "draft": "草稿",
    "site (a user's blog)": "博客",
    "dashboard": "控制台",
    "sign in": "登录",
    "sign out": "退出登录",
    "sign up": "注册",
    "account": "账号",
    "email": "邮箱",
    "token": "令牌",
    "suspend": "停用",
}
# Other ways to say the same, which the translation never uses.
NOT_OUR_WORDS = [
    "帖子",
    "日志文章",
    "站点",
    "网站",
    "仪表板",
    "仪表盘",
    "登入",
    "登出",
    "注销",
    "帐号",
    "帐户",
    "账户",
    "电子邮件",
    "电邮",
    "令牌环",
    "封禁",
]
CJK = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
# ASCII punctuation written against Chinese text, where the full-width form belongs.
HALF_WIDTH_PUNCTUATION = re.compile(rf"(?<={CJK})[,.:;!?()]|[,:;!?(]\s*(?={CJK})")


@pytest.mark.parametrize(
    "directory", [*APP_CATALOGUES, *SHARED], ids=lambda d: d.relative_to(ROOT).as_posix()
)
def test_the_chinese_keeps_to_one_glossary_and_full_width_punctuation(directory):
    for key, text in translations(directory).items():
        for variant in [text] if isinstance(text, str) else text:
            for word in NOT_OUR_WORDS:
                assert word not in variant, (key, word)
            assert not HALF_WIDTH_PUNCTUATION.search(variant), (key, variant)


# --- Strings nobody marked -----------------------------------------------------------

# Words a page may show in any language: names of things, and text that is code.
# The product's name, written as it is in every language (a word or several).
BRAND = "Inkpot"
BRANDS_AND_TOKENS = {
    *BRAND.split(), "Markdown", "Atom", "API", "HTTP", "HTTPS", "UTC", "MiB", "Bearer",
    "Authorization", "Chrome", "Firefox", "Safari", "Edge", "Opera", "Linux",
    "Windows", "macOS", "iOS", "Android", "ChromeOS", "English",
}  # fmt: skip
# Template text that is markup, not words: entities, and what the templates put between tags.
TEMPLATE_TEXT_ALLOWED = re.compile(r"&[a-z]+;|[\s·—→←✒#:/().,]+")
USER_VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "content", "label"}


def _template_text(source: str) -> str:
    """A template with every {{ }}, {% %} and {# #} taken out: the text it writes as is."""
    without_comments = re.sub(r"{#.*?#}", "", source, flags=re.DOTALL)
    # Blocks that fill in a class name (`{% block main_class %}narrow{% endblock %}`) are markup.
    without_comments = re.sub(
        r"{%-? block \w+_class -?%}.*?{%-? endblock -?%}", "", without_comments, flags=re.DOTALL
    )
    without_statements = re.sub(r"{%.*?%}", "", without_comments, flags=re.DOTALL)
    return re.sub(r"{{.*?}}", "0", without_statements, flags=re.DOTALL)


def _words_in_markup(html: str) -> list[str]:
    """The text and user-visible attribute values of an HTML page or fragment, code aside."""
    tree = parse(html)
    text = tree.text
    for code in tree.find_all("code"):
        text = text.replace(code.text, " ")
    return [text, *visible_attributes(tree)]


def visible_attributes(tree, page_language=None) -> list[str]:
    """What a reader (or a screen reader) gets from attributes: titles, labels, placeholders."""
    return [
        value
        for element in tree.find_all()
        if page_language is None or element.attrs.get("lang", page_language) == page_language
        for name, value in element.attrs.items()
        if name in USER_VISIBLE_ATTRIBUTES
        and (name != "content" or element.attrs.get("name") == "description")
    ]


TEMPLATES = sorted(
    path
    for package in APP_PACKAGES
    for path in package.rglob("templates/**/*")
    if path.is_file() and path.suffix in {".html", ".txt"} and "/api/" not in path.as_posix()
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_templates_hold_no_words_outside_gettext(template):
    text = _template_text(template.read_text())
    unmarked = []
    for part in _words_in_markup(text) if template.suffix == ".html" else [text]:
        for word in re.findall(r"[A-Za-z][A-Za-z']+", TEMPLATE_TEXT_ALLOWED.sub(" ", part)):
            if word not in BRANDS_AND_TOKENS:
                unmarked.append(word)
    assert unmarked == []


# Calls whose text reaches a person: flash messages, form errors, and every form field's label.
FIELD_CLASSES = {
    "StringField", "PasswordField", "EmailField", "BooleanField", "TextAreaField",
    "SelectField", "SubmitField", "SelectChoice",
}  # fmt: skip
PYTHON_SOURCES = sorted(
    path
    for package in APP_PACKAGES
    for path in package.rglob("*.py")
    if "api" not in path.relative_to(ROOT).parts[1:] and path.name not in {"api.py"}
)


def _unmarked_texts(tree: ast.AST) -> list[str]:
    found = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if name in {"flash", "append"} | FIELD_CLASSES:
            # The text is the first argument (a flash's category, the second, is for CSS);
            # a SelectChoice's value is for machines, its label (the second) for people.
            texts = call.args[1:2] if name == "SelectChoice" else call.args[:1]
            texts = [arg for arg in texts if isinstance(arg, ast.Constant | ast.JoinedStr)]
            found += [
                ast.unparse(text)
                for text in texts
                if not isinstance(text, ast.Constant) or isinstance(text.value, str)
            ]
        for keyword in call.keywords:
            if keyword.arg in {"message", "description", "label"} and isinstance(
                keyword.value, ast.Constant | ast.JoinedStr
            ):
                found.append(ast.unparse(keyword.value))
    return found


@pytest.mark.parametrize("source", PYTHON_SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_views_and_forms_hold_no_words_outside_gettext(source):
    assert _unmarked_texts(ast.parse(source.read_text())) == []


def test_the_unmarked_text_checks_can_fail():
    template = '<p title="A title">Hello <a href="/">{{ _("marked") }}</a></p>'
    python = 'flash("Saved.", "success")\nStringField("Name")\nform.form_errors.append(f"No {x}")'

    assert [" ".join(part.split()) for part in _words_in_markup(_template_text(template))] == [
        "Hello 0",
        "A title",
    ]
    assert len(_unmarked_texts(ast.parse(python))) == 3


# --- Every page, in each language ------------------------------------------------------

CHINESE = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# What may stand in a Chinese page's text besides brands: addresses, emails and paths.
TECHNICAL = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|/[\w<>\u3400-\u9fff./?=&%-]*|\ba–z\b"
)


def user_content(app) -> list[str]:
    """Everything users wrote (and the demo wrote for them): shown as written, in any language."""
    with app.app_context():
        texts = []
        for user in db.session.execute(db.select(User)).scalars():
            texts += [user.username, user.email]
        for site in db.session.execute(db.select(Site)).scalars():
            texts += [site.title, site.tagline, site.slug]
        for post in db.session.execute(db.select(Post)).scalars():
            texts += [post.title, post.slug, post.excerpt]
        texts += list(db.session.execute(db.select(ApiToken.name)).scalars())
        texts += list(db.session.execute(db.select(AuditEvent.detail)).scalars())
        texts += list(db.session.execute(db.select(AuditEvent.action)).scalars())
        texts += list(db.session.execute(db.select(UserSession.address)).scalars())
    return sorted({text for text in texts if text}, key=len, reverse=True)


def interface_text(html: str, page_language: str) -> str:
    """A page's words as the interface wrote them: without code, post bodies and other languages."""
    tree = parse(html)
    skipped = []

    def strip(element):
        if (
            element.tag in {"code", "pre", "script", "style", "textarea"}
            or "prose" in element.attrs.get("class", "").split()
        ):
            skipped.append(element.text)
            return
        if element.attrs.get("lang", page_language) != page_language:
            skipped.append(element.text)
            return
        for child in element.children:
            strip(child)

    for child in tree.children:
        strip(child)
    text = tree.text
    for part in sorted(skipped, key=len, reverse=True):
        text = text.replace(part, " ") if part.strip() else text
    return " ".join([text, *visible_attributes(tree, page_language)])


def english_left_in(text: str, content: list[str]) -> list[str]:
    for written in content:
        text = text.replace(written, " ")
    text = TECHNICAL.sub(" ", text)
    return [word for word in ENGLISH_WORD.findall(text) if word not in BRANDS_AND_TOKENS]


def expected_status(name: str) -> int:
    """The tour names its error pages by their status ("404 of a site"); the rest are 200."""
    return int(name[:3]) if name[:3].isdigit() else 200


@pytest.fixture
def tour(app):
    """`tour(language)`: every kind of page, and all that users wrote before and during the tour."""

    def take(language):
        with app.app_context():
            seed_demo()
        written_before = user_content(app)
        pages = take_tour(app, language)
        written = {*written_before, *user_content(app), NOBODY}
        return pages, sorted(written, key=len, reverse=True)

    return take


@pytest.mark.smoke
def test_every_page_in_chinese_holds_no_english_interface_text(tour):
    pages, content = tour("zh-Hans")

    leftovers = {}
    for name, (status, html) in pages.items():
        assert status == expected_status(name), name
        assert '<html lang="zh-Hans">' in html, name
        english = english_left_in(interface_text(html, "zh-Hans"), content)
        if english:
            leftovers[name] = english
    assert leftovers == {}


def test_every_page_in_english_holds_no_chinese(tour):
    pages, _ = tour("en")

    leftovers = {}
    for name, (status, html) in pages.items():
        assert status == expected_status(name), name
        assert '<html lang="en">' in html, name
        chinese = CHINESE.findall(interface_text(html, "en"))
        if chinese:
            leftovers[name] = "".join(chinese)
    assert leftovers == {}


def test_the_page_checks_can_fail():
    english_page = '<html lang="zh-Hans"><body><p>首页 <b>Sign in</b></p></body></html>'
    chinese_page = '<html lang="en"><body><p>Home <b>登录</b></p></body></html>'

    assert english_left_in(interface_text(english_page, "zh-Hans"), []) == ["Sign", "in"]
    assert CHINESE.findall(interface_text(chinese_page, "en"))


# --- Every email, in each language ---------------------------------------------------


def email_parts(email, language: str) -> dict[str, str]:
    """What the recipient reads of an email: its subject, its plain text, its HTML's words."""
    return {
        "subject": email.subject,
        "plain text": email.text,
        "HTML": interface_text(email.html, language),
    }


@pytest.fixture
def every_email(app):
    """`every_email(language)`: each kind of email, asked for from pages in that language."""

    def send(language):
        with app.app_context():
            seed_demo()
        emails = send_every_email(app, language)
        return emails, user_content(app)

    return send


def test_every_email_in_chinese_holds_no_english_interface_text(every_email):
    emails, content = every_email("zh-Hans")

    leftovers = {}
    for name, email in emails.items():
        assert '<html lang="zh-Hans">' in email.html, name
        for part, text in email_parts(email, "zh-Hans").items():
            # Its own address first: the old one, after a change, is no user's any more.
            english = english_left_in(text, [email.to, *content])
            if english:
                leftovers[f"{name}, {part}"] = english
    assert leftovers == {}
    assert len(emails) == 9


def test_every_email_in_english_holds_no_chinese(every_email):
    emails, _ = every_email("en")

    leftovers = {}
    for name, email in emails.items():
        assert '<html lang="en">' in email.html, name
        for part, text in email_parts(email, "en").items():
            chinese = CHINESE.findall(text)
            if chinese:
                leftovers[f"{name}, {part}"] = "".join(chinese)
    assert leftovers == {}
    assert len(emails) == 9


@pytest.mark.parametrize(("preference", "page"), [("zh-Hans", "en"), ("en", "zh-Hans")])
def test_an_email_to_a_user_who_chose_a_language_is_written_in_it(
    app, client, make_user, preference, page
):
    user_id = make_user("finch")
    with app.app_context():
        db.session.get(User, user_id).locale = preference
        db.session.commit()
    client.set_cookie("locale", page)

    client.submit("/password/forgot", {"email": "finch@example.com"})

    email = Outbox.of(app).last(to="finch@example.com")
    assert email.subject == say(preference, "Reset your Inkpot password")
    assert f'<html lang="{preference}">' in email.html
    assert say(preference, "Choose a new password") in email.html


def test_an_email_written_outside_any_request_keeps_the_language_it_was_asked_in(app, client):
    client.set_cookie("locale", "zh-Hans")
    client.submit("/password/forgot", {"email": "stranger@example.com"})

    # As the worker writes it: long after the page that asked for it has gone.
    with app.app_context():
        queued = db.session.execute(db.select(OutboundEmail)).scalar_one()
        message, _ = mail.compose(queued)
    assert queued.language == "zh-Hans"
    assert message["Subject"] == say("zh-Hans", "There is no Inkpot account for this address")
