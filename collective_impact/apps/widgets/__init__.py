"""The pieces every Voila app is built from: its frame and look, and the generic widgets.

One module per job, lowest first (each imports only those before it); this package only
re-exports them, so that ``from collective_impact.apps.widgets import Steps`` keeps working:

* :mod:`~collective_impact.apps.widgets.page`: the frame (:func:`app_container`: the apps'
  look, stacked fields that wrap on a phone, errors in red beside the field;
  :func:`message_panel` for an app that cannot open), :func:`html_box`, :func:`banner`,
  :func:`multiline_banner`, :func:`spinner` (a sign of work), :func:`html_table`, :func:`download_link`;
* :mod:`~collective_impact.apps.widgets.draft`: :func:`draft_fields`, :func:`draft_text`,
  :func:`read_draft` (what an app keeps in the page's tab across a reload);
* :mod:`~collective_impact.apps.widgets.buttons`: :class:`BusyButton` (one action per click);
* :mod:`~collective_impact.apps.widgets.opening`: :func:`open_app` (an app's entry point);
* :mod:`~collective_impact.apps.widgets.fields`: :class:`Field` (label, input, help, error
  shown next to the input), :class:`TerritoryPicker`, :class:`TerritoryWaveChooser`;
* :mod:`~collective_impact.apps.widgets.steps`: :class:`Steps` (one page at a time, step
  indicator, previous/next);
* :mod:`~collective_impact.apps.widgets.forms`: :class:`RowForm`, the base of a form that
  stores a row, :class:`ConfirmingForm` (the "Confirmer malgré tout" of values to confirm),
  :func:`show_problems` (a validation's problems next to their fields), :func:`problem_text`,
  :func:`label_column`, :func:`row_options` (a territory's rows as the options of a drop-down);
* :mod:`~collective_impact.apps.widgets.action_form`: :class:`ActionForm`, the one form of a
  new action, in the data-entry app and the guided evaluation.

Objects are shown in an ``Output`` widget by :func:`collective_impact.report.blocks.show_in`.

Whatever a user typed or a store holds is shown either as drop-down options (plain
text), through :func:`~collective_impact.i18n.format.escape_html` in ``HTML`` widgets,
which would otherwise render it as markup, or through
:func:`~collective_impact.i18n.format.escape` in a description (``description_allow_html``):
ipywidgets runs MathJax over labels and descriptions, never over ``HTML`` widgets.
"""

from __future__ import annotations

from collective_impact.apps.widgets.action_form import ActionForm
from collective_impact.apps.widgets.buttons import BusyButton
from collective_impact.apps.widgets.draft import draft_fields, draft_text, read_draft
from collective_impact.apps.widgets.fields import Field, TerritoryPicker, TerritoryWaveChooser
from collective_impact.apps.widgets.forms import (
    ConfirmingForm,
    RowForm,
    label_column,
    problem_text,
    row_options,
    show_problems,
)
from collective_impact.apps.widgets.opening import open_app
from collective_impact.apps.widgets.page import (
    app_container,
    banner,
    download_link,
    html_box,
    html_table,
    message_panel,
    multiline_banner,
    page_bundle,
    spinner,
)
from collective_impact.apps.widgets.steps import Steps

__all__ = [
    "ActionForm",
    "BusyButton",
    "ConfirmingForm",
    "Field",
    "RowForm",
    "Steps",
    "TerritoryPicker",
    "TerritoryWaveChooser",
    "app_container",
    "banner",
    "download_link",
    "draft_fields",
    "draft_text",
    "html_box",
    "html_table",
    "label_column",
    "message_panel",
    "multiline_banner",
    "open_app",
    "page_bundle",
    "problem_text",
    "read_draft",
    "row_options",
    "show_problems",
    "spinner",
]
