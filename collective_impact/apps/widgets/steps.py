"""The step sequence: pages shown one at a time, a step indicator, previous/next and a menu."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets

from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html

__all__ = ["Steps"]


PageSpec = widgets.Widget | Callable[[], widgets.Widget]


class Steps:
    """Pages shown one at a time, with a step indicator and previous/next buttons.

    Parameters
    ----------
    titles
        One title per page, shown in the indicator ("Étape 2 sur 7 · Agenda commun").
    pages
        One widget per page, or a function building it on the first visit (for pages that
        are slow to build, such as figures).
    guard
        ``guard(current, target) -> bool`` called before moving; returning false stays
        (e.g. after showing errors on the page).
    lang
        Language of the buttons and the indicator.
    menu
        Also offer a list of the pages, to go straight to one (long sequences such as the
        steps of an evaluation).
    """

    def __init__(self, titles: Sequence[str], pages: Sequence[PageSpec], *,
                 guard: Callable[[int, int], bool] | None = None, lang: str = "fr", menu: bool = False) -> None:
        if len(titles) != len(pages):
            raise ValueError("one title per page is needed")
        self.titles = list(titles)
        self._specs = list(pages)
        self._built: dict[int, widgets.Widget] = {}
        self._guard = guard
        self._listeners: list[Callable[[int, int], None]] = []
        self.lang = lang
        self.index = 0
        # every widget is a model the browser creates before the page shows: the indicator
        # gets its layout at once, and the three buttons share one style (their colour is
        # their button_style)
        self.indicator = widgets.HTML(layout=widgets.Layout(flex="1 1 16rem"))
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        style = widgets.ButtonStyle()
        self.previous_button = widgets.Button(description=t("forms.previous", lang), icon="arrow-left", style=style)
        self.next_button = widgets.Button(description=t("forms.next", lang), icon="arrow-right",
                                          button_style="primary", style=style)
        # a second "previous" button at the top: on a phone the bottom ones are far away,
        # and focusing it after a change of page brings the new page's top into view
        self.top_button = widgets.Button(description=t("forms.previous", lang), icon="arrow-left",
                                         layout=widgets.Layout(width="auto"), style=style)
        for button in (self.previous_button, self.top_button):
            button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.menu: widgets.Dropdown | None = None
        self._menu_quiet = False
        header = [self.indicator, self.top_button]
        if menu:
            self.menu = widgets.Dropdown(options=[(f"{n}. {title}", n - 1) for n, title in enumerate(titles, 1)],
                                         value=0, description=t("forms.go_to_step", lang),
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(flex="1 1 14rem", width="auto", max_width="26rem"))
            self.menu.observe(self._on_menu, names="value")
            header.insert(1, self.menu)
        self.header = widgets.HBox(header,
                                   layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self.nav = widgets.HBox([self.previous_button, self.next_button],
                                layout=widgets.Layout(flex_flow="row wrap", justify_content="space-between",
                                                      width="100%", margin="0.8rem 0 0 0"))
        self.widget = widgets.VBox([self.header, self.body, self.nav], layout=widgets.Layout(width="100%"))
        self._show()

    def __len__(self) -> int:
        return len(self._specs)

    def page(self, index: int) -> widgets.Widget:
        """The widget of page ``index`` (built on first use)."""
        if index not in self._built:
            spec = self._specs[index]
            self._built[index] = spec if isinstance(spec, widgets.Widget) else spec()
        return self._built[index]

    def set_pages(self, pages: Sequence[PageSpec], *, guard: Callable[[int, int], bool] | None = None) -> None:
        """Give the pages not built yet (and the guard), for steps made before what builds their pages.

        The questionnaire's steps are made while a preheated kernel waits for its request,
        with its first page only; the pages that depend on who answers are given after it.
        A page already built stays as it is.
        """
        if len(pages) != len(self._specs):
            raise ValueError("one page per title is needed")
        self._specs = [self._built.get(i, spec) for i, spec in enumerate(pages)]
        self._guard = guard

    def observe(self, callback: Callable[[int, int], None]) -> None:
        """Call ``callback(old, new)`` after each change of page."""
        self._listeners.append(callback)

    def go(self, index: int, *, force: bool = False) -> bool:
        """Show page ``index``; return whether the page changed (a guard may refuse)."""
        index = max(0, min(index, len(self) - 1))
        if index == self.index:
            return False
        if not force and self._guard is not None and not self._guard(self.index, index):
            return False
        old, self.index = self.index, index
        self._show()
        for callback in self._listeners:
            callback(old, index)
        return True

    def _on_menu(self, change: dict) -> None:
        if self._menu_quiet or change["new"] == self.index:
            return
        if not self.go(change["new"]):
            self._sync_menu()  # the guard kept the page: the list says so

    def _sync_menu(self) -> None:
        if self.menu is not None:
            self._menu_quiet = True
            try:
                self.menu.value = self.index
            finally:
                self._menu_quiet = False

    def next(self) -> bool:
        return self.go(self.index + 1)

    def previous(self) -> bool:
        return self.go(self.index - 1)

    def _show(self) -> None:
        n, total = self.index + 1, len(self)
        percent = round(100 * n / total)
        self.indicator.value = (
            f'<div><b>{escape_html(t("forms.step", self.lang, n=n, total=total))}</b> · '
            f'{escape_html(self.titles[self.index])}</div>'
            f'<div class="ci-steps-bar"><div style="width: {percent}%"></div></div>'
        )
        self.body.children = (self.page(self.index),)
        self._sync_menu()
        first, last = self.index == 0, self.index == total - 1
        self.previous_button.layout.visibility = "hidden" if first else "visible"
        self.top_button.layout.visibility = "hidden" if first else "visible"
        self.next_button.layout.visibility = "hidden" if last else "visible"
        if not first:
            # the browser scrolls to a focused element: after "Suivant" at the bottom of a
            # long page, the next page is seen from its top
            self.top_button.focus()
