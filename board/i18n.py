"""German and English texts, from gettext catalogs. German is the default.

The language comes from the ``lang`` cookie (set by the switch in every page),
else from the browser's Accept-Language, else German.

The texts live in ``board/locale/<lang>/LC_MESSAGES/messages.po``; the msgid is
the key the code asks for (``t('card_empty')`` in a template, ``Refused("card_empty")``
in the code). A plural message (``msgid_plural``) is chosen by the parameter ``n``
— or, when it has no ``n``, by its only number, so ``Refused("join_backoff",
seconds=1)`` reads "1 Sekunde". Numbers and dates are written by Babel in each
language's own way (CLDR): "2,5" and "1.000" in German, "2.5" and "1,000" in English.

The catalogs are read with Babel once, when this module is imported, straight from the ``.po``
files: nothing is compiled at build time, so no ``.mo`` file can be missing from
a checkout or older than its ``.po`` (reading both takes some 50 ms, once).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LANGUAGES = ("de", "en")
DEFAULT = "de"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class Catalog:
    """One language's texts: gettext's lookup, and each key's forms as the .po file
    has them (one, or one per plural form)."""

    lang: str
    translations: Translations
    forms: dict[str, tuple[str, ...]]

    def is_plural(self, key: str) -> bool:
        return len(self.forms.get(key, ())) > 1


@cache
def catalog(lang: str) -> Catalog:
    """The catalog of ``lang`` (German for a language we do not have), read once."""
    if lang not in LANGUAGES:
        return catalog(DEFAULT)
    with catalog_path(lang).open("rb") as file:
        po = read_po(file, locale=lang, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, po)  # gettext's lookup and plural rule, in memory
    mo.seek(0)
    translations = Translations(mo, domain=DOMAIN)
    if lang != DEFAULT:  # a text missing in English shows in German rather than as its key
        translations.add_fallback(catalog(DEFAULT).translations)
    forms = {
        _key(message.id): tuple(message.string)
        if isinstance(message.string, tuple | list)
        else (str(message.string),)
        for message in po
        if message.id
    }
    return Catalog(lang, translations, forms)


def _key(msgid: object) -> str:
    return str(msgid[0] if isinstance(msgid, tuple) else msgid)


def messages() -> dict[str, dict[str, str]]:
    """Every key with its text per language (a plural message: its general form,
    "{n} Karten"). For tests and tools; the code asks :func:`translate`."""
    found: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        for key, forms in catalog(lang).forms.items():
            found.setdefault(key, {})[lang] = forms[-1]
    return found


MESSAGES = messages()


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT, -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if lang in LANGUAGES and q > 0 and q > best_q:  # q=0 means "not acceptable"
            best, best_q = lang, q
    return best


def translate(lang: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``lang``, filled with ``params`` (numbers written the
    language's way). An unknown key shows as it is rather than failing."""
    texts = catalog(lang)
    count = plural_count(params) if texts.is_plural(key) else None
    if count is not None:
        text = texts.translations.ngettext(key, key, count)
    elif texts.is_plural(key):  # asked without a count: the general form
        text = texts.forms[key][-1]
    else:
        text = texts.translations.gettext(key)
    if not params:
        return text
    return text.format(**{name: _written(value, texts.lang) for name, value in params.items()})


def plural_count(params: dict[str, object]) -> int | None:
    """What a plural message counts: ``n``, else its only whole number."""
    numbers = [v for v in params.values() if isinstance(v, int) and not isinstance(v, bool)]
    n = params.get("n")
    if isinstance(n, int) and not isinstance(n, bool):
        return n
    return numbers[0] if len(numbers) == 1 else None


def _written(value: object, lang: str) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number(value, lang)
    return value


def number(value: float | None, lang: str) -> str:
    """A count or measure as people write it: "1.000" in German, "1,000" in English."""
    if isinstance(value, float):
        return decimal(value, lang)
    if value is None:
        return "–"
    return _written_number(value, catalog(lang).lang, "#,##0")


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    """A number to ``digits`` places as people write it: "2,5" in German, "2.5" in
    English, "3" for 3.0 (CLDR's symbols, through Babel)."""
    if value is None:
        return "–"
    return _written_number(value, catalog(lang).lang, f"#,##0.{'#' * digits}")


@lru_cache(maxsize=4096)
def _written_number(value: float, locale: str, pattern: str) -> str:
    # Babel takes some 20 µs a number; a board shows the same small counts again and again.
    return str(format_decimal(value, pattern, locale=locale))


def period(start: datetime, end: datetime, lang: str) -> str:
    """When something happened, in the language's own date and time format:
    "05.03.2026, 14:00–16:30" in German, "Mar 5, 2026, 2:00 PM–4:30 PM" in English."""
    locale = catalog(lang).lang
    day = format_date(start.date(), "medium", locale=locale)
    until = format_time(end.time(), "short", locale=locale)
    if end.date() != start.date():
        until = f"{format_date(end.date(), 'medium', locale=locale)}, {until}"
    return f"{day}, {format_time(start.time(), 'short', locale=locale)}–{until}"


def text_in(texts: object, lang: str) -> str:
    """One language of a bilingual text from an exercise file (German as fallback)."""
    if isinstance(texts, dict):
        return str(texts.get(lang) or texts.get(DEFAULT) or "")
    return ""


def language_context(lang: str) -> dict[str, object]:
    """What every template needs to speak the user's language."""
    return {"lang": lang, "t": translator(lang), "tr": lambda texts: text_in(texts, lang)}


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **params)`` for one language; ``t(key, n=3)`` for a plural message."""

    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return t
