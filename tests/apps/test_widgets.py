"""The apps' shared widgets and look, driven without a browser."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from collective_impact.apps.params import parse_query
from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    Steps,
    app_container,
    html_table,
    open_app_store,
)
from collective_impact.plots.palette import BAND_TINTS


def test_steps_build_pages_once_and_honour_the_guard():
    built = []

    def second():
        built.append(1)
        return widgets.Label("deux")

    allowed = {"go": False}
    steps = Steps(["Un", "Deux", "Trois"], [widgets.Label("un"), second, widgets.Label("trois")],
                  guard=lambda current, target: allowed["go"])
    assert built == [] and "Étape 1 sur 3" in steps.indicator.value
    assert steps.previous_button.layout.visibility == "hidden"
    assert not steps.next()  # the guard refuses
    allowed["go"] = True
    steps.next_button.click()
    assert steps.index == 1 and built == [1] and steps.body.children[0].value == "deux"
    steps.next()
    assert steps.next_button.layout.visibility == "hidden"
    steps.go(1)
    assert built == [1]  # built once
    assert "Étape 2 sur 3" in steps.indicator.value and "Deux" in steps.indicator.value


def test_steps_need_one_title_per_page():
    with pytest.raises(ValueError, match="one title per page"):
        Steps(["Un"], [widgets.Label("un"), widgets.Label("deux")])


def test_field_shows_its_error_escaped(hostile):
    field = Field("Valeur", widgets.Text(), help="Un nombre")
    field.set_error(hostile)
    assert "&lt;img" in field.error.value and hostile not in field.error.value
    assert field.error_text == hostile
    field.set_error(None)
    assert field.error_text == ""


def test_busy_button_takes_one_action_at_a_time():
    button = widgets.Button(description="Enregistrer")
    busy = BusyButton(button, "Enregistrement…")
    assert busy.acquire()
    assert (button.disabled, button.description) == (True, "Enregistrement…")
    assert busy.run(lambda: True) is False  # a second click while the first is handled
    busy.release()
    assert (button.disabled, button.description) == (False, "Enregistrer")
    assert busy.run(lambda: True) is True


def test_html_table_escapes_every_cell_and_keeps_dates_whole(hostile):
    table = html_table(["Date", "Objet"], [("02/05/2024", hostile)])
    assert '<td class="ci-nowrap">02/05/2024</td>' in table
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in table


def test_band_colours_of_the_apps_are_the_palette_tints():
    style = app_container([]).children[0].value
    for band, tint in BAND_TINTS.items():
        assert f".ci-band-{band} {{ background: {tint}; }}" in style
    assert "ci-app" in app_container([])._dom_classes


def test_open_app_store_without_store_explains(tmp_path):
    panel = open_app_store(parse_query("lang=en"), tmp_path / "absent.sqlite", title="Titre",
                           unavailable="guided.unavailable")
    texts = [child.value for child in panel.children]
    assert "<h2>Titre</h2>" in texts
    assert "The app cannot open" in texts[-1] and "absent.sqlite" in texts[-1]
