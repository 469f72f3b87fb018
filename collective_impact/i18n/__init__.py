"""The French/English text catalogue: the one way bilingual text is held.

Every text a user reads has one shape, ``{fr: ..., en: ...}``, read through :class:`Text`:

* the **catalogue**: YAML files under ``messages/``, named after what the user sees —
  ``report.yaml`` (the report and notebooks), ``report_findings.yaml``,
  ``report_figures.yaml``, ``report_measures.yaml``, ``apps.yaml`` (the Voila apps),
  ``cli.yaml`` (the command line), ``validation.yaml`` (problems found in an input file),
  ``workbook.yaml`` (the input workbook: sheet and column titles, help texts, the labels
  of coded values), ``common.yaml`` (shared by all: where a problem is, counted nouns).
  Keys are **global** (one catalogue, a key defined twice is an error) and prefixed by
  their topic (``validation.required``, ``workbook.column.wave``, ``noun.partner``);
  a value is a ``str.format`` template, read with :func:`t`;
* counted **nouns** (``noun.*``) hold one form per CLDR plural category,
  ``{fr: {one: partenaire, other: partenaires}, en: {...}}``, read by
  :func:`collective_impact.i18n.format.format_count` (French ``one`` covers 0 and 1);
* the **framework** versions (``collective_impact/framework/*.yaml``) keep their texts
  (conditions, items, phases, bands) in the same ``{fr, en}`` shape in their own file,
  since a framework version is data that travels as one file; they are read into
  :class:`Text` too.

French is the default language; ``lang="en"`` everywhere gives English. Numbers, dates and
plurals are formatted by :mod:`collective_impact.i18n.format`, never by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml

__all__ = ["DEFAULT_LANG", "LANGS", "Text", "catalogue", "check_lang", "plural_forms", "read_yaml", "t", "text"]

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
_MESSAGES = Path(__file__).parent / "messages"
# The C parser when libyaml is there: the catalogue is read at every kernel start, a
# framework in each territory of a batch (the warm kernel empties the caches between two).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> object:
    """The content of the YAML file ``path`` (UTF-8), read with a safe loader (libyaml's when there)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)


@dataclass(frozen=True)
class Text:
    """A text in French and English, as written ``{fr: ..., en: ...}`` in a YAML file.

    Call it with a language to get the text: ``label("en")``. A language without its own
    text gets the French one.
    """

    fr: str
    en: str

    @classmethod
    def read(cls, texts: Mapping[str, object]) -> Text:
        """The text of a YAML mapping ``{fr: ..., en: ...}`` (the English may be absent: then the French)."""
        # Not stripped: a message may begin or end with a space on purpose (" ; connus : …").
        french = str(texts[DEFAULT_LANG])
        return cls(fr=french, en=str(texts.get("en") or french))

    def __call__(self, lang: str = DEFAULT_LANG) -> str:
        return self.en if lang == "en" else self.fr


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, object]]:
    """Every message of every file in ``messages/``, keyed by message key."""
    merged: dict[str, dict[str, object]] = {}
    for path in sorted(_MESSAGES.glob("*.yaml")):
        data = read_yaml(path) or {}
        for key, texts in data.items():
            if key in merged:
                raise ValueError(f"message key {key!r} defined twice (in {path.name})")
            merged[key] = texts
    return merged


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise ``ValueError`` naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"langue inconnue {lang!r} ; choisir parmi : {', '.join(LANGS)}")
    return lang


@cache
def text(key: str) -> Text:
    """The message ``key`` in both languages, e.g. a label to keep (``schema``'s column titles).

    A key missing in the catalogue raises ``KeyError`` (a test checks every key used).
    """
    return Text.read(catalogue()[key])


def t(key: str, lang: str = DEFAULT_LANG, /, **values: object) -> str:
    """Return the message ``key`` in ``lang``, formatted with ``values``.

    A key missing in the catalogue raises ``KeyError`` (a test checks every key used).
    """
    message = text(key)(lang)
    return message.format(**values) if values else message


def plural_forms(key: str, lang: str = DEFAULT_LANG) -> dict[str, str]:
    """The forms of the counted noun ``key`` in ``lang``, by CLDR plural category (``one``, ``other``…)."""
    forms = catalogue()[key]
    return dict(forms.get(lang) or forms[DEFAULT_LANG])
