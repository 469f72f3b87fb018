"""The apps' shared widgets and look, driven without a browser."""

from __future__ import annotations

from datetime import date

import ipywidgets as widgets
import pytest

from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    RowForm,
    Steps,
    app_container,
    html_table,
    multiline_banner,
    open_app,
    spinner,
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


class MeasurementForm(RowForm):
    """A bare measurement form: three text fields, the save button and status of every form."""

    def __init__(self, store, *, refused=None) -> None:
        self.store, self.lang, self.refused = store, "fr", refused
        self.row = {}
        self.fields = {name: Field(name, widgets.Text()) for name in ("indicator_id", "date", "value")}
        super().__init__("Enregistrer", "Enregistrement…")
        self.clear_on_edit("value")

    def _save(self) -> bool:
        self.clear_errors()
        return self.store_row("measurements", self.row, refused=self.refused)


def a_measurement(store) -> dict[str, object]:
    """A new measurement of one of QPV-NORD's indicators, on a date the demo has none."""
    indicator = store.load(["indicators"], territories=["QPV-NORD"])["indicators"]["indicator_id"].iloc[0]
    return {"territory_id": "QPV-NORD", "indicator_id": indicator, "date": date(2024, 5, 2), "value": "12,5"}


def test_row_form_clears_the_status_and_every_field_error_before_saving(store):
    form = MeasurementForm(store)
    form.row = a_measurement(store)
    form.status.value = "ancien message"
    for field in form.fields.values():
        field.set_error("ancienne erreur")
    assert form.save()
    assert form.status.value == ""
    assert [field.error_text for field in form.fields.values()] == ["", "", ""]
    assert not form.save_button.disabled and form.save_button.description == "Enregistrer"


def test_row_form_clears_an_edited_field_error_only():
    form = MeasurementForm(None)
    for field in form.fields.values():
        field.set_error("erreur")
    form.fields["value"].control.value = "13"
    form.fields["date"].control.value = "2024-05-02"
    assert (form.fields["value"].error_text, form.fields["date"].error_text) == ("", "erreur")


def test_row_form_puts_each_problem_beside_its_field(store):
    form = MeasurementForm(store)
    form.row = {**a_measurement(store), "value": "douze"}
    assert not form.save()
    assert form.fields["value"].error_text and not form.fields["date"].error_text
    assert "Corrigez les champs signalés en rouge." in form.status.value
    stored = store.load(["measurements"], territories=["QPV-NORD"])["measurements"]
    assert not (stored["date"] == "2024-05-02").any()


def test_row_form_says_when_the_store_fails_unless_the_form_explains(store, monkeypatch):
    def refuse(table, frame, **options):
        raise StoreError("disque plein")

    monkeypatch.setattr(store, "add_rows", refuse)
    form = MeasurementForm(store)
    form.row = a_measurement(store)
    assert not form.save()
    # the banner's text is escaped: the apostrophes are entities
    assert "L&#x27;enregistrement n&#x27;a pas abouti (disque plein)" in form.status.value
    explained = []
    form.refused = lambda: explained.append(1) or True
    assert not form.save()
    assert explained == [1] and form.status.value == ""


def test_row_form_stores_a_valid_row(store):
    form = MeasurementForm(store)
    form.row = row = a_measurement(store)
    assert form.save()
    stored = store.load(["measurements"], territories=["QPV-NORD"])["measurements"]
    mine = stored[(stored["indicator_id"] == row["indicator_id"]) & (stored["date"] == "2024-05-02")]
    assert mine["value"].tolist() == [12.5]


def test_spinner_is_a_status_with_its_text_and_attributes_escaped(hostile):
    assert spinner(f"Import de {hostile}…") == (
        '<div class="ci-banner ci-banner-info" role="status"><span class="ci-spinner"></span>'
        "Import de &lt;img src=x onerror=alert(1)&gt;…</div>")
    assert spinner("Étape", "ci-step-preparing", step='a" onclick="x') == (
        '<div class="ci-banner ci-banner-info ci-step-preparing" role="status" data-step="a&quot; onclick=&quot;x">'
        '<span class="ci-spinner"></span>Étape</div>')


def test_multiline_banner_keeps_the_lines_and_escapes_them(hostile):
    text = f"La base refuse :\n\n  ligne 3 : {hostile}\nligne 4"
    assert multiline_banner(text, "error") == (
        '<div class="ci-banner ci-banner-error">La base refuse :<br>  ligne 3 : &lt;img src=x onerror=alert(1)&gt;'
        "<br>ligne 4</div>")


def test_steps_set_pages_keeps_the_built_page_and_takes_the_new_guard():
    first = widgets.Label("un")
    steps = Steps(["Un", "Deux"], [first, lambda: widgets.Label("jamais")])
    built, allowed = [], {"go": False}

    def second():
        built.append(1)
        return widgets.Label("deux")

    steps.set_pages([lambda: widgets.Label("autre"), second], guard=lambda current, target: allowed["go"])
    assert steps.page(0) is first  # shown already: kept
    assert not steps.next() and built == []  # the new guard refuses
    allowed["go"] = True
    assert steps.next() and built == [1] and steps.body.children[0].value == "deux"
    with pytest.raises(ValueError, match="one page per title"):
        steps.set_pages([first])


@pytest.mark.parametrize("name", ["home", "saisie", "guided", "dashboard"])
def test_app_bundle_is_its_page_view_and_its_title_not_the_repr_of_its_widgets(store, tmp_path, name):
    """Every app sends its page's view and, where widgets cannot show, its title in the
    reader's language (the titles as the catalogue writes them), not the text repr of every
    widget of the page that ipywidgets' own bundle would make after the request."""
    from collective_impact.apps.dashboard import DashboardApp
    from collective_impact.apps.guided import EvaluationApp
    from collective_impact.apps.home import HomeApp
    from collective_impact.apps.saisie import SaisieApp

    make, title = {
        "home": (lambda: HomeApp(store, reports_dir=tmp_path, base_url="/", lang="en"), "Evaluation home"),
        "saisie": (lambda: SaisieApp(store, territory="QPV-NORD", lang="en"), "Territory data entry"),
        "guided": (lambda: EvaluationApp(store, territory="QPV-NORD", lang="en"), "Guided evaluation of a territory"),
        "dashboard": (lambda: DashboardApp(store, territory="QPV-NORD", lang="en"), "Steering committee dashboard"),
    }[name]
    app = make()
    bundle = app._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "application/vnd.jupyter.widget-view+json"}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == app.widget.model_id
    assert bundle["text/plain"] == title
