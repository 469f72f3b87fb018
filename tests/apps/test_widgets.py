"""The apps' shared widgets and look, driven without a browser."""

from __future__ import annotations

from datetime import date

import ipywidgets as widgets
import pytest

from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    Steps,
    app_container,
    clear_errors,
    html_box,
    html_table,
    open_app,
    store_row,
)
from collective_impact.errors import StoreError
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


def test_open_app_without_store_explains(tmp_path):
    built = []
    panel = open_app(lambda store, params: built.append(store), store=tmp_path / "absent.sqlite", query="lang=en",
                     title="guided.d.title", unavailable="guided.unavailable")
    texts = [child.value for child in panel.children]
    assert "<h2>Steering committee dashboard</h2>" in texts
    assert "The app cannot open" in texts[-1] and "absent.sqlite" in texts[-1]
    assert built == []


def test_open_app_builds_the_app_on_the_store_with_the_page_address(store, monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    opened, params = open_app(lambda store, params: (store, params), store=store,
                              query="territoire=QPV-GARE&vague=1&lang=en", title="guided.d.title",
                              unavailable="guided.unavailable")
    assert opened is store
    assert (params.territory, params.wave, params.lang) == ("QPV-GARE", 1, "en")


def measurement_form() -> tuple[dict[str, Field], widgets.HTML]:
    """The fields of a measurement form and its status line, as the data entry app has them."""
    fields = {name: Field(name, widgets.Text()) for name in ("indicator_id", "date", "value")}
    return fields, html_box()


def a_measurement(store) -> dict[str, object]:
    """A new measurement of one of QPV-NORD's indicators, on a date the demo has none."""
    indicator = store.load(["indicators"], territories=["QPV-NORD"])["indicators"]["indicator_id"].iloc[0]
    return {"territory_id": "QPV-NORD", "indicator_id": indicator, "date": date(2024, 5, 2), "value": "12,5"}


def test_clear_errors_empties_the_status_and_every_field_error():
    fields, status = measurement_form()
    status.value = "ancien message"
    for field in fields.values():
        field.set_error("ancienne erreur")
    clear_errors(fields, status)
    assert status.value == ""
    assert [field.error_text for field in fields.values()] == ["", "", ""]


def test_store_row_puts_each_problem_beside_its_field(store):
    fields, status = measurement_form()
    row = {**a_measurement(store), "value": "douze"}
    assert not store_row(store, "measurements", row, fields=fields, status=status, lang="fr")
    assert fields["value"].error_text and not fields["date"].error_text
    assert "Corrigez les champs signalés en rouge." in status.value
    assert not (store.load(["measurements"])["measurements"]["date"] == "2024-05-02").any()


def test_store_row_says_when_the_store_fails_unless_the_form_explains(store, monkeypatch):
    def refuse(table, frame):
        raise StoreError("disque plein")

    monkeypatch.setattr(store, "add_rows", refuse)
    fields, status = measurement_form()
    assert not store_row(store, "measurements", a_measurement(store), fields=fields, status=status, lang="fr")
    # the banner's text is escaped: the apostrophes are entities
    assert "L&#x27;enregistrement n&#x27;a pas abouti (disque plein)" in status.value
    status.value = ""
    explained = []
    assert not store_row(store, "measurements", a_measurement(store), fields=fields, status=status, lang="fr",
                         refused=lambda: explained.append(1) or True)
    assert explained == [1] and status.value == ""


def test_store_row_stores_a_valid_row(store):
    fields, status = measurement_form()
    row = a_measurement(store)
    assert store_row(store, "measurements", row, fields=fields, status=status, lang="fr")
    stored = store.load(["measurements"], territories=["QPV-NORD"])["measurements"]
    mine = stored[(stored["indicator_id"] == row["indicator_id"]) & (stored["date"] == "2024-05-02")]
    assert mine["value"].tolist() == [12.5]
    assert status.value == ""
