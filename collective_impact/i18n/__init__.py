"""The French/English text catalogue.

Messages live in YAML files under ``messages/`` (one file per part of the package, e.g.
``messages/validation.yaml``); each key maps to ``{fr: ..., en: ...}``. Keys are global
and should be prefixed by the file's topic (``validation.required``). French is the default
language; ``lang="en"`` everywhere gives English.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
_MESSAGES = Path(__file__).parent / "messages"
# The C parser when libyaml is there: the catalogue is read at every kernel start.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every message of every file in ``messages/``, keyed by message key."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_MESSAGES.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}  # noqa: S506 (safe loader)
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


def t(key: str, lang: str = DEFAULT_LANG, /, **values: object) -> str:
    """Return the message ``key`` in ``lang``, formatted with ``values``.

    A key missing in the catalogue raises ``KeyError`` (a test checks every key used).
    """
    texts = catalogue()[key]
    text = texts.get(lang) or texts[DEFAULT_LANG]
    return text.format(**values) if values else text
