"""The page's address: what ``?territoire=ID&vague=2&lang=en`` (or ``?lien=TOKEN``) asks of an app.

:func:`request_params` waits for the browser's request when Voila runs the notebook in a
preheated kernel, then reads its query string; :func:`parse_query` keeps only usable
values (a valid territory id, a wave from 1 to 99, a known language).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs

from collective_impact.i18n import LANGS
from collective_impact.schema import ID_PATTERN

__all__ = ["RequestParams", "parse_query", "request_params", "waits_for_request"]


@dataclass(frozen=True)
class RequestParams:
    """What the page's address says: ``?territoire=ID&vague=N&lang=en``.

    Unusable values are dropped and listed in ``ignored`` (they never reach the store).
    """

    territory: str | None = None
    wave: int | None = None
    lang: str = "fr"
    ignored: tuple[str, ...] = ()
    #: A partner's personal link token (``?lien=``) exactly as given, even malformed or blank:
    #: the app resolves it and refuses a bad one, never falling back to the open questionnaire.
    link: str | None = None


_QUERY_KEYS = {
    "territory": ("territoire", "territory"),
    "wave": ("vague", "wave"),
    "lang": ("lang", "langue"),
}


def parse_query(query: str) -> RequestParams:
    """Parse a query string such as ``territoire=QPV-NORD&vague=2`` (French or English keys)."""
    values = parse_qs(query or "", keep_blank_values=False)
    found: dict[str, str] = {}
    for name, keys in _QUERY_KEYS.items():
        for key in keys:
            if values.get(key):
                found[name] = values[key][0].strip()
                break
    ignored = []
    territory = found.get("territory")
    if territory is not None and not ID_PATTERN.fullmatch(territory):
        ignored.append(territory)
        territory = None
    wave = None
    if "wave" in found:
        raw = found["wave"]
        if raw.isdigit() and 1 <= int(raw) <= 99:
            wave = int(raw)
        else:
            ignored.append(raw)
    lang = found.get("lang", "fr").lower()
    if lang not in LANGS:
        ignored.append(lang)
        lang = "fr"
    links = parse_qs(query or "", keep_blank_values=True)
    link = next((links[key][0].strip() for key in ("lien", "link") if key in links), None)
    return RequestParams(territory=territory, wave=wave, lang=lang, ignored=tuple(ignored), link=link)


def waits_for_request() -> bool:
    """Whether :func:`request_params` will wait for the request: in a Voila preheated kernel.

    An app can prepare meanwhile what does not depend on the request (the questionnaire's
    first page, :class:`~collective_impact.apps.questionnaire_frame.QuestionnaireFrame`).
    """
    return os.environ.get("VOILA_PREHEAT") == "True"


def request_params(query: str | None = None) -> RequestParams:
    """The parameters of the browser's request for this app.

    In a Voila preheated kernel the notebook runs before anyone asks for the page: this
    waits for the request (``voila.utils.wait_for_request``), which then provides the
    ``QUERY_STRING`` environment variable. Elsewhere (a plain Voila kernel, JupyterLab)
    it returns at once. ``query`` overrides the environment (tests).
    """
    if query is None:
        if waits_for_request():
            from voila.utils import wait_for_request

            wait_for_request()
        query = os.environ.get("QUERY_STRING", "")
    return parse_query(query)
