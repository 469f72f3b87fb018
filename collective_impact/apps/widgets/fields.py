"""Fields and the choosers built of them: a labelled input with its help and error line,
the territory of an app, a territory and one of its questionnaire waves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

import ipywidgets as widgets

from collective_impact.apps.widgets.page import html_box, spinner
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.store import Store

__all__ = ["Field", "TerritoryPicker", "TerritoryWaveChooser"]


class Field:
    """A labelled input: label above, input, short help, and an error line below.

    Parameters
    ----------
    label
        Shown above the input (as text).
    control
        The input widget.
    help
        A short help shown under the input.
    """

    def __init__(self, label: str, control: widgets.Widget, *, help: str = "") -> None:
        self.control = control
        self.label = widgets.Label(label)
        self.label.add_class("ci-field-label")
        self.help = html_box(f'<div class="ci-help">{escape_html(help)}</div>' if help else "")
        self.error = html_box()
        self.box = widgets.VBox([self.label, control, self.help, self.error], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-field")

    def set_error(self, message: str | None) -> None:
        """Show ``message`` (escaped) under the input, or clear it with ``None``."""
        self.error.value = f'<div class="ci-error">⚠ {escape_html(message)}</div>' if message else ""

    @property
    def error_text(self) -> str:
        """The error shown, as plain text (empty when none)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.error.value)).removeprefix("⚠ ")


class TerritoryPicker:
    """The territory of an app: fixed by the link (``?territoire=ID``) or chosen in a list.

    ``value`` is the territory id, or ``None`` while none is chosen.
    """

    def __init__(self, names: Mapping[str, str], *, territory: str | None = None, lang: str = "fr") -> None:
        self.names = dict(names)
        self.lang = lang
        # the placeholder's value is "" (a value of None would show an empty drop-down)
        options = [(t("forms.territory_placeholder", lang), "")] + [
            (f"{name} ({tid})" if name else tid, tid) for tid, name in self.names.items()]
        self.dropdown = widgets.Dropdown(options=options, value="", layout=widgets.Layout(width="100%",
                                                                                          max_width="30rem"))
        self.fixed = territory in self.names
        if self.fixed:
            self.dropdown.value = territory
        help_text = "" if self.fixed else t("forms.territory_choose", lang)
        self.field = Field(t("forms.territory", lang), self.dropdown, help=help_text)
        if self.fixed:
            # arriving by the partner's link: the territory is shown, not offered for change
            self.field.control.layout.display = "none"
            self.field.help.value = f"<div>{escape_html(self.names[territory])}</div>"
        elif territory is not None:
            self.field.set_error(t("forms.territory_unknown", lang, territory=territory))
        self.box = self.field.box

    @property
    def value(self) -> str | None:
        return self.dropdown.value or None

    @value.setter
    def value(self, territory: str | None) -> None:
        self.dropdown.value = territory or ""

    @property
    def name(self) -> str:
        return self.names.get(self.value or "", "")

    def observe(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(territory_id)`` when the choice changes."""
        self.dropdown.observe(lambda change: callback(change["new"] or None), names="value")

    def check(self) -> bool:
        """Show an error when no territory is chosen; return whether one is."""
        if self.value is None:
            self.field.set_error(t("forms.territory_required", self.lang))
            return False
        self.field.set_error(None)
        return True


class TerritoryWaveChooser:
    """A territory (fixed by the link or chosen in a list) and one of its questionnaire waves.

    ``on_change(territory, wave)`` is called when the pair changes; ``wave`` is ``None`` for
    a territory without answers. The wave offered first is the latest, or the link's.
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None, lang: str = "fr",
                 on_change: Callable[[str | None, int | None], None] | None = None) -> None:
        self.store = store
        self.lang = lang
        self.on_change = on_change
        self.picker = TerritoryPicker(store.territory_names(), territory=territory, lang=lang)
        self.wave = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="20rem"))
        self.wave_field = Field(t("guided.wave", lang), self.wave, help=t("guided.wave_help", lang))
        self.waves: list[int] = []
        self._wanted = wave
        self._quiet = False
        self.box = widgets.HBox([self.picker.box, self.wave_field.box],
                                layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.box.add_class("ci-chooser")
        self.picker.observe(self._territory_changed)
        self.wave.observe(self._wave_changed, names="value")
        self._load_waves()

    @property
    def territory(self) -> str | None:
        return self.picker.value

    @property
    def current_wave(self) -> int | None:
        return self.wave.value or None

    def _load_waves(self) -> None:
        """Offer the waves of the territory; keep the chosen one if it is still there."""
        territory = self.territory
        waves: list[int] = []
        if territory is not None:
            responses = self.store.load(["responses"], territories=[territory])["responses"]
            waves = sorted(int(w) for w in responses["wave"].dropna().unique())
        self.waves = waves
        if waves:
            options = [(t("guided.wave_latest" if w == waves[-1] else "guided.wave_option", self.lang, wave=w), w)
                       for w in reversed(waves)]
        else:
            options = [(t("guided.no_wave", self.lang), 0)]
        keep = self.wave.value if self.wave.value in waves else None
        if keep is None and self._wanted in waves:
            keep = self._wanted
        self._quiet = True
        try:
            self.wave.options = options
            self.wave.value = keep if keep is not None else options[0][1]
        finally:
            self._quiet = False
        self.wave_field.box.layout.display = "none" if territory is None else None
        unknown = self._wanted is not None and territory is not None and self._wanted not in waves
        self.wave_field.set_error(t("guided.wave_unknown", self.lang, wave=self._wanted) if unknown else None)

    def select(self, territory: str, wave: int) -> bool:
        """Show ``territory`` at ``wave`` if the page offers them; whether it now does.

        A territory fixed by the link stays; a wave the territory has no answers for is not
        chosen. ``on_change`` is called once, if the pair changed.
        """
        if territory not in self.picker.names or (self.picker.fixed and territory != self.territory):
            return False
        before = (self.territory, self.current_wave)
        callback, self.on_change = self.on_change, None
        try:
            if territory != self.territory:
                self.picker.value = territory
            if wave in self.waves:
                self.wave.value = wave
        finally:
            self.on_change = callback
        if (self.territory, self.current_wave) != before:
            self._changed()
        return (self.territory, self.current_wave) == (territory, wave)

    def opening_sign(self, key: str, territory: str, wave: int | None) -> str:
        """HTML of a moving sign naming ``territory`` (by its name) and ``wave`` while an app opens them.

        ``key`` is the catalogue's text without a wave; ``key + "_wave"`` the one with it.
        """
        name = self.picker.names.get(territory) or territory
        text = t(f"{key}_wave" if wave else key, self.lang, name=name, wave=wave)
        return spinner(text, "ci-opening", territory=territory)

    def refresh(self) -> list[int]:
        """Read the waves again (answers may have come); return the new ones."""
        before = set(self.waves)
        self._load_waves()
        return [w for w in self.waves if w not in before] if before else []

    def _territory_changed(self, territory: str | None) -> None:
        if territory is not None:
            self.picker.field.set_error(None)
        self._load_waves()
        self._changed()

    def _wave_changed(self, change: dict) -> None:
        if not self._quiet:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.territory, self.current_wave)
