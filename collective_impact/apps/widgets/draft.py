"""What an app has been given and not saved yet, kept by the page across a reload (a *draft*).

A page that loses its kernel (the server stopped it after the connection dropped for a
couple of minutes, or it died) must be reloaded, and a new kernel knows nothing of what was
typed in the old one. An app that keeps a draft has two hidden fields for it, which the
Voila template's ``connection.html.j2`` knows by their classes:

* ``ci-draft-out`` (:class:`ipywidgets.HTML`): the app writes its draft there as JSON
  (:func:`draft_text`, escaped: the page reads it back as text, never as markup) at each
  change; the page copies it into the tab's ``sessionStorage`` under the page's address, and
  ``"{}"`` removes it (sent, saved, nothing left to keep);
* ``ci-draft-in`` (:class:`ipywidgets.Text`): on the next page at that address, the page
  hands the stored draft to the new kernel through this field, once, as typing would. The
  app reads it as any input from outside (:func:`read_draft`, then its own checks).

The questionnaire keeps the partner's answers and comments, the guided evaluation the
evaluator's appraisals not saved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import ipywidgets as widgets

from collective_impact.i18n.format import escape_html


def draft_fields(*, style: object | None = None) -> tuple[widgets.HTML, widgets.Text]:
    """The two hidden fields of an app's draft: ``(out, in)``; ``style`` is the ``HTML`` widget's (shared) style."""
    hidden = widgets.Layout(display="none")
    out = widgets.HTML(layout=hidden) if style is None else widgets.HTML(layout=hidden, style=style)
    out.add_class("ci-draft-out")
    into = widgets.Text(continuous_update=False, layout=hidden)
    into.add_class("ci-draft-in")
    return out, into


def draft_text(draft: Mapping[str, object]) -> str:
    """What the ``ci-draft-out`` field holds for ``draft``: its JSON, escaped (``"{}"``: nothing to keep)."""
    return escape_html(json.dumps(dict(draft), ensure_ascii=False, separators=(",", ":")))


def read_draft(text: object, limit: int) -> dict | None:
    """A draft handed back by a page: the JSON object of ``text``, or ``None``.

    ``None`` for anything else: not a string, empty, longer than ``limit`` characters, not
    JSON, or JSON that is not an object. What the object holds is the app's to check.
    """
    if not isinstance(text, str) or not text or len(text) > limit:
        return None
    try:
        draft = json.loads(text)
    except ValueError:
        return None
    return draft if isinstance(draft, dict) else None
