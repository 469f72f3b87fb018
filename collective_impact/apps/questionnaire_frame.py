"""The questionnaire's widgets that depend only on the framework and the language, made before the request.

:class:`QuestionnaireFrame` is the page's frame, its steps and the first condition's page,
made in a Voila preheated kernel while it waits for its request (see
:func:`~collective_impact.apps.questionnaire.questionnaire_app`); :class:`LightField` is
a field of fewer widget models for the first page. :class:`~collective_impact.apps.questionnaire.QuestionnaireApp`
adds what depends on the store and on who answers.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
from ipywidgets.widgets.widget_description import DescriptionStyle
from ipywidgets.widgets.widget_string import HTMLStyle

from collective_impact.apps.widgets import Field, Steps, app_container, draft_fields
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html

__all__ = ["DONT_KNOW", "LightField", "QuestionnaireFrame", "close_tree"]

#: The value of the "ne sait pas / sans objet" radio button (stored as a blank score).
DONT_KNOW = 0


class LightField(Field):
    """A :class:`~collective_impact.apps.widgets.Field` of fewer widget models, for the first page.

    The same parts, look and methods, but label and help are ``HTML`` widgets made by
    ``html`` (sharing the app's layout and style), the box takes ``layout``, and the error
    line is made with the first error only: a ``Field`` gives each part a layout and a style
    model of its own, and an empty error line from the start.
    """

    def __init__(self, html: Callable[[str], widgets.HTML], layout: widgets.Layout, label: str,
                 control: widgets.Widget, *, help: str) -> None:
        # Field.__init__ is not called: it would make the models this class saves
        self.control = control
        self._make_html = html
        self.label = html(f'<div class="ci-field-label">{escape_html(label)}</div>')
        self.help = html(f'<div class="ci-help">{escape_html(help)}</div>')
        self.error: widgets.HTML | None = None
        self.box = widgets.VBox([self.label, control, self.help], layout=layout)
        self.box.add_class("ci-field")

    def set_error(self, message: str | None) -> None:
        if self.error is None:
            if not message:
                return
            self.error = self._make_html("")
            self.box.children = (*self.box.children, self.error)
        super().set_error(message)

    @property
    def error_text(self) -> str:
        return "" if self.error is None else super().error_text


def _unbound_page() -> widgets.Widget:
    raise RuntimeError("the questionnaire's pages are given by QuestionnaireApp")


def close_tree(widget: widgets.Widget) -> None:
    """Close ``widget``, its children, layouts and styles (their models leave the page's state)."""
    for child in getattr(widget, "children", ()):
        close_tree(child)
    for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
        if isinstance(part, widgets.Widget):
            part.close()
    widget.close()


class QuestionnaireFrame:
    """The questionnaire's widgets that depend only on the framework and the language.

    The frame of the page, the title (its text comes later), the "Commencer" button, the
    progress line, the steps, the first condition's page with its items' texts and
    radio buttons (nothing chosen), and the two hidden fields carrying the draft kept
    across a reload: 58 of the first page's 68 widget models.
    :class:`QuestionnaireApp` adds what depends on the store and on who answers.

    In a Voila preheated kernel, :func:`questionnaire_app` makes it while the kernel waits
    for its request: the kernel then has ten models left to make after the request (open
    mode) instead of all of them, and the server fewer messages to pass on while the
    browser loads the page. A frame serves one app; one not used (another language, a
    closed link) is closed with :meth:`close`.
    """

    def __init__(self, framework: Framework, lang: str = "fr") -> None:
        self.framework = fw = framework
        self.lang = lang
        self.used = False
        # one Layout and one style model for every text and radio group whose look never
        # changes alone (a layout changed for one widget would change for all of them)
        self.layout = widgets.Layout(width="auto")
        self.wide = widgets.Layout(width="100%")
        self.html_style = HTMLStyle()
        self.input_style = DescriptionStyle()  # the radio buttons' and the inputs'
        self.item_number = {item.id: n for n, item in enumerate(fw.items, start=1)}
        self.dont_know = fw.dont_know(lang)
        labels = fw.scale_labels.get(lang) or fw.scale_labels["fr"]
        self.options = [(f"{i} – {label}", i)
                        for i, label in zip(range(fw.scale_min, fw.scale_max + 1), labels, strict=True)]
        self.options.append((self.dont_know, DONT_KNOW))

        self.head = self.html()
        self.start_button = widgets.Button(description=t("forms.q.start", lang), button_style="primary",
                                           layout=widgets.Layout(width="auto", margin="0.4rem 0 0.8rem 0"))
        #: what the first page shows above the questions: the fields to fill and "Commencer"
        self.about = widgets.VBox([self.start_button], layout=widgets.Layout(width="100%"))
        self.progress = widgets.Label()
        self._first = self._condition(0)
        titles = [*(c.label(lang) for c in fw.conditions), t("forms.q.review", lang)]
        self.steps = Steps(titles, [self._first[0], *[_unbound_page] * (len(titles) - 1)], lang=lang)
        # the draft kept across a reload, hidden (templates/voila/.../connection.html.j2): the
        # answers as JSON out to the page, which keeps them in the tab; back in from it once
        self.draft_out, self.draft_in = draft_fields(style=self.html_style)
        self.widget = app_container([self.head, self.about, self.progress, self.steps.widget, self.draft_out,
                                     self.draft_in])

    def html(self, text: str = "") -> widgets.HTML:
        """An ``HTML`` widget with the shared layout and style (``text`` is HTML)."""
        return widgets.HTML(text, layout=self.layout, style=self.html_style)

    def item_html(self, item_id: str, *, flagged: bool = False) -> str:
        """An item's number, text and help; with ``flagged``, the missing answer's message."""
        item = self.framework.item(item_id)
        text = (f"<div><b>{self.item_number[item_id]}.</b> {escape_html(item.text(self.lang))}</div>"
                f"<div class='ci-help'>{escape_html(item.help(self.lang))}</div>")
        if flagged:
            message = t("forms.q.missing", self.lang, dont_know=self.dont_know)
            text += f'<div class="ci-error">⚠ {escape_html(message)}</div>'
        return text

    def condition(self, index: int) -> tuple[widgets.VBox, widgets.HTML, dict[str, tuple[widgets.HTML, widgets.RadioButtons, widgets.VBox]]]:
        """The page of condition ``index``: the page, its message line, and item id → text, radio buttons, box.

        The first condition's is the one made with the frame (once); the others are made now.
        """
        if index == 0 and self._first is not None:
            first, self._first = self._first, None
            return first
        return self._condition(index)

    def _condition(self, index: int):
        lang = self.lang
        condition = self.framework.conditions[index]
        message = self.html()
        children = [self.html(f"<h3>{escape_html(condition.label(lang))}</h3>"
                              f"<p class='ci-help'>{escape_html(condition.definition(lang))}</p>"),
                    message]
        items = {}
        for item in condition.items:
            radios = widgets.RadioButtons(options=self.options, value=None, layout=self.layout,
                                          style=self.input_style)
            text = self.html(self.item_html(item.id))
            box = widgets.VBox([text, radios], layout=self.wide)
            box.add_class("ci-item")
            items[item.id] = (text, radios, box)
            children.append(box)
        return widgets.VBox(children, layout=self.wide), message, items

    def close(self) -> None:
        """Close every widget of the frame (one that no app uses)."""
        close_tree(self.widget)  # the shared layouts and styles are those of its widgets
