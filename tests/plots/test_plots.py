"""Tests of collective_impact.plots: every figure for every demo territory and for thin data."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from collective_impact import plots  # noqa: E402
from collective_impact.demo import DEFAULT_AS_OF, demo_tables  # noqa: E402
from collective_impact.errors import CollectiveImpactError  # noqa: E402
from collective_impact.framework import load_framework  # noqa: E402
from collective_impact.i18n import catalogue  # noqa: E402
from collective_impact.metrics import activities, assessment, backbone, indicators, network  # noqa: E402
from collective_impact.metrics import theory_of_change as toc  # noqa: E402

DEMO_TERRITORIES = ("QPV-NORD", "QPV-GARE", "QPV-HAUTS", "RURAL-VAL")
AS_OF = pd.Timestamp(DEFAULT_AS_OF)


def metric_inputs(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Every metric output the figures take, computed from canonical tables."""
    outcomes = tables["outcomes"]
    return {
        "tables": tables,
        "layers": toc.outcome_layers(outcomes),
        "links": toc.outcome_links(outcomes),
        "without_indicator": toc.outcomes_without_indicator(outcomes, tables["indicators"],
                                                            levels=("intermediate", "impact")),
        "without_activity": toc.outcomes_without_activity(outcomes, tables["activities"]),
        "progress": indicators.indicator_progress(tables["indicators"], tables["measurements"], as_of=AS_OF),
        "matrix": activities.coverage_matrix(tables["activities"], outcomes, tables["partners"]),
        "scores": assessment.condition_scores(tables["responses"]),
        "items": assessment.item_scores(tables["responses"]),
        # few replicates: the figure only reads the interval
        "change": assessment.wave_change(tables["responses"], n_boot=100),
        "backbone": backbone.backbone_functions(tables["responses"]),
    }


@pytest.fixture(scope="module")
def demo() -> dict[str, object]:
    return metric_inputs(demo_tables())


@pytest.fixture(autouse=True)
def no_figure_left_open():
    """Every test: pyplot holds no figure afterwards (the functions close what they create)."""
    plt.close("all")
    yield
    assert plt.get_fignums() == []


def graph_or_none(tables, territory_id, wave):
    try:
        return network.network_graph(tables["relations"], tables["partners"], territory_id, wave)
    except CollectiveImpactError:
        return None


def first_indicator(tables, territory_id):
    rows = tables["indicators"]
    return rows.loc[rows["territory_id"] == territory_id, "indicator_id"].iloc[0]


# name -> function(inputs, territory_id, lang) -> Figure, for one territory
FIGURES = {
    "partner_kinds": lambda d, tid, lang: plots.partner_kinds(d["tables"]["partners"], territory_id=tid, lang=lang),
    "results_chain": lambda d, tid, lang: plots.results_chain(
        d["layers"], d["links"], territory_id=tid, without_indicator=d["without_indicator"],
        without_activity=d["without_activity"], lang=lang),
    "indicator_progress": lambda d, tid, lang: plots.indicator_progress(d["progress"], territory_id=tid, as_of=AS_OF,
                                                                        lang=lang),
    "indicator_series": lambda d, tid, lang: plots.indicator_series(
        d["tables"]["indicators"], d["tables"]["measurements"], first_indicator(d["tables"], tid), territory_id=tid,
        as_of=AS_OF, lang=lang),
    "coverage_heatmap": lambda d, tid, lang: plots.coverage_heatmap(
        d["matrix"], territory_id=tid, outcomes=d["tables"]["outcomes"], partners=d["tables"]["partners"], lang=lang),
    "meeting_timeline": lambda d, tid, lang: plots.meeting_timeline(d["tables"]["meetings"], territory_id=tid,
                                                                    as_of=AS_OF, lang=lang),
    "attendance_heatmap": lambda d, tid, lang: plots.attendance_heatmap(
        d["tables"]["meetings"], d["tables"]["partners"], territory_id=tid, lang=lang),
    "network_graph": lambda d, tid, lang: plots.network_graph(graph_or_none(d["tables"], tid, 2), wave=2, lang=lang),
    "backbone_functions": lambda d, tid, lang: plots.backbone_functions(d["backbone"], territory_id=tid, lang=lang),
    "condition_radar": lambda d, tid, lang: plots.condition_radar(d["scores"], territory_id=tid, lang=lang),
    "wave_comparison": lambda d, tid, lang: plots.wave_comparison(d["change"], territory_id=tid, lang=lang),
    "item_scores": lambda d, tid, lang: plots.item_scores(d["items"], territory_id=tid, lang=lang),
}

# the expected title of each figure, written out here (not read from the catalogue)
TITLES = {
    "partner_kinds": ("Les partenaires par type de structure", "Partners by kind of organisation"),
    "results_chain": ("La théorie du changement : des activités à l'impact",
                      "The theory of change: from activities to impact"),
    "indicator_progress": ("Les indicateurs partagés : progression vers la cible",
                           "Shared indicators: progress toward target"),
    "coverage_heatmap": ("Qui agit sur quel résultat ?", "Who works toward which outcome?"),
    "meeting_timeline": ("Les réunions de la démarche", "Meetings of the initiative"),
    "attendance_heatmap": ("Qui vient aux réunions ?", "Who comes to meetings?"),
    "network_graph": ("Le réseau des partenaires (vague 2)", "The partner network (wave 2)"),
    "backbone_functions": ("Les six fonctions de la structure pivot", "The six backbone functions"),
    "condition_radar": ("Les cinq conditions de l'impact collectif", "The five conditions of collective impact"),
    "wave_comparison": ("Évolution des conditions entre la vague 1 et la vague 2",
                        "Change in the conditions between wave 1 and wave 2"),
    "item_scores": ("Les réponses question par question", "Answers item by item"),
}


def drawn(fig: Figure) -> Figure:
    """Lay the figure out and draw every artist (as savefig would, without the pixels) and return it."""
    fig.draw_without_rendering()
    return fig


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def title(fig: Figure) -> str:
    return fig.get_suptitle().replace("\n", " ")


# --------------------------------------------------------------------------------------
# every figure, every demo territory
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_TERRITORIES)
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_for_each_demo_territory(demo, name, territory_id):
    fig = drawn(FIGURES[name](demo, territory_id, "fr"))
    assert isinstance(fig, Figure)
    if name in TITLES:  # indicator_series is titled with the indicator (tested below)
        assert title(fig) == TITLES[name][0]


@pytest.mark.parametrize("name", sorted(TITLES))
def test_titles_are_french_by_default_and_english_on_request(demo, name):
    make = FIGURES[name]
    # the default language, without passing lang
    default = {
        "partner_kinds": lambda: plots.partner_kinds(demo["tables"]["partners"], territory_id="QPV-NORD"),
        "condition_radar": lambda: plots.condition_radar(demo["scores"], territory_id="QPV-NORD"),
    }.get(name)
    if default is not None:
        assert title(default()) == TITLES[name][0]
    assert title(make(demo, "QPV-NORD", "fr")) == TITLES[name][0]
    assert title(make(demo, "QPV-NORD", "en")) == TITLES[name][1]


def test_indicator_series_title_is_the_indicator_label(demo):
    fig = drawn(FIGURES["indicator_series"](demo, "QPV-NORD", "fr"))
    rows = demo["tables"]["indicators"]
    expected = rows.loc[(rows["territory_id"] == "QPV-NORD") & (rows["indicator_id"] == "chomage_jeunes"), "label"]
    assert title(fig) == expected.iloc[0]  # the first indicator of QPV-NORD in the table
    assert "Valeurs mesurées" in texts(fig)
    assert "Measured values" in texts(drawn(FIGURES["indicator_series"](demo, "QPV-NORD", "en")))


def test_comparison_figures(demo):
    tables = demo["tables"]
    names = dict(zip(tables["territories"]["territory_id"], tables["territories"]["name"], strict=True))
    heat = drawn(plots.territory_heatmap(demo["scores"], names=names))
    assert title(heat) == "Les cinq conditions par territoire"
    assert "Quartier Nord – Les Tilleuls (vague 2)" in [s.replace("\n", " ") for s in texts(heat)]
    assert title(plots.territory_heatmap(demo["scores"], names=names, lang="en")) == "The five conditions by territory"
    counts = indicators.status_counts(demo["progress"])
    bars = drawn(plots.status_counts_bars(counts, names=names))
    assert title(bars) == "Les indicateurs par statut et par territoire"
    # the legend names the five statuses in French
    assert {"Cible atteinte", "En bonne voie", "En retard", "En recul", "Pas de donnée"} <= set(texts(bars))
    en = drawn(plots.status_counts_bars(counts, names=names, lang="en"))
    assert {"Achieved", "On track", "Behind", "Regressing", "No data"} <= set(texts(en))


def test_labels_follow_the_language(demo):
    radar_fr = drawn(plots.condition_radar(demo["scores"], territory_id="QPV-NORD"))
    radar_en = drawn(plots.condition_radar(demo["scores"], territory_id="QPV-NORD", lang="en"))
    assert "Agenda commun" in texts(radar_fr)
    assert "Common agenda" in texts(radar_en)
    kinds_en = drawn(plots.partner_kinds(demo["tables"]["partners"], territory_id="QPV-NORD", lang="en"))
    assert "Community centre" in texts(kinds_en) and "Centre social" not in texts(kinds_en)
    assert "Number of partners" in texts(kinds_en)
    assert "Nombre de partenaires" in texts(drawn(plots.partner_kinds(demo["tables"]["partners"], territory_id="QPV-NORD")))


def test_unknown_language_is_refused(demo):
    with pytest.raises(ValueError, match="langue inconnue 'de'"):
        plots.condition_radar(demo["scores"], territory_id="QPV-NORD", lang="de")


# --------------------------------------------------------------------------------------
# numbers and colours
# --------------------------------------------------------------------------------------


def test_french_number_formatting(demo):
    scores = demo["scores"]
    rows = scores[(scores["territory_id"] == "QPV-NORD") & (scores["wave"] == 2)]
    expected_fr = {f"{m:.1f}".replace(".", ",") for m in rows["mean"]}
    expected_en = {f"{m:.1f}" for m in rows["mean"]}
    assert expected_fr <= set(texts(drawn(plots.condition_radar(scores, territory_id="QPV-NORD"))))
    assert expected_en <= set(texts(drawn(plots.condition_radar(scores, territory_id="QPV-NORD", lang="en"))))

    progress = demo["progress"]
    mine = progress[(progress["territory_id"] == "QPV-NORD") & progress["progress"].notna()]
    percents_fr = {f"{p * 100:.0f}\u202f%" for p in mine["progress"]}  # "72 %" with a narrow no-break space
    percents_en = {f"{p * 100:.0f}%" for p in mine["progress"]}
    assert percents_fr <= set(texts(drawn(plots.indicator_progress(progress, territory_id="QPV-NORD"))))
    assert percents_en <= set(texts(drawn(plots.indicator_progress(progress, territory_id="QPV-NORD", lang="en"))))


def test_palette_constants():
    fw = load_framework()
    assert list(plots.BAND_COLOURS) == list(fw.bands.order)
    assert len(set(plots.BAND_COLOURS.values())) == 3
    assert list(plots.STATUS_COLOURS) == list(indicators.STATUSES)
    assert len(set(plots.STATUS_COLOURS.values())) == 5
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(plots.BAND_COLOURS.values()) <= okabe_ito


def rgb_hexes(colours) -> set[str]:
    return {to_hex(c[:3]).upper() for c in np.atleast_2d(colours)}


def test_band_colours_are_the_same_in_radar_and_heatmap(demo):
    bands = {c.upper() for c in plots.BAND_COLOURS.values()}
    radar = plots.condition_radar(demo["scores"], territory_id="QPV-HAUTS")
    rings = set().union(*(rgb_hexes(c.get_facecolor()) for c in radar.findobj(PolyCollection)))
    assert rings == bands  # the three rings, nothing else filled

    heat = drawn(plots.territory_heatmap(demo["scores"]))
    meshes = heat.findobj(QuadMesh)
    cells = set().union(*(rgb_hexes(m.get_facecolors()) for m in meshes))
    # the demo has every band among its territories: the cells use exactly the band colours
    assert cells == bands


def test_status_colours_in_progress_bars(demo):
    fig = plots.indicator_progress(demo["progress"], territory_id="QPV-NORD")
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0.5]
    statuses = demo["progress"].loc[demo["progress"]["territory_id"] == "QPV-NORD", "status"]
    assert {to_hex(b.get_facecolor()[:3]).upper() for b in bars} == {
        plots.STATUS_COLOURS[s].upper() for s in set(statuses)}


def test_network_layout_is_deterministic(demo):
    graph = network.network_graph(demo["tables"]["relations"], demo["tables"]["partners"], "QPV-GARE", 2)

    def offsets(fig):
        return np.concatenate([c.get_offsets() for c in fig.axes[0].findobj(PathCollection)])

    for layout in ("spring", "circle"):
        a = plots.network_graph(graph, layout=layout)
        b = plots.network_graph(graph, layout=layout)
        np.testing.assert_array_equal(offsets(a), offsets(b))


def test_network_subtitle_gives_density_and_centralization(demo):
    graph = network.network_graph(demo["tables"]["relations"], demo["tables"]["partners"], "QPV-NORD", 2)
    summary = network.network_summary(demo["tables"]["relations"], demo["tables"]["partners"])
    row = summary[(summary["territory_id"] == "QPV-NORD") & (summary["wave"] == 2)].iloc[0]
    subtitle = plots.network_graph(graph, wave=2).axes[0].get_title(loc="left").replace("\n", " ")
    assert f"densité {row['density']:.2f}".replace(".", ",") in subtitle
    assert f"centralisation {row['centralization']:.2f}".replace(".", ",") in subtitle


# --------------------------------------------------------------------------------------
# thin data: a figure with a sentence, never an exception
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gare() -> dict[str, pd.DataFrame]:
    tables = demo_tables()
    return {k: v[v["territory_id"] == "QPV-GARE"].reset_index(drop=True) for k, v in tables.items()}


def says(fig: Figure, sentence: str) -> bool:
    return sentence in [s.replace("\n", " ") for s in texts(drawn(fig))]


def test_one_partner(gare):
    one = dict(gare, partners=gare["partners"].iloc[:1],
               meetings=gare["meetings"].assign(attendees="P01"),
               activities=gare["activities"][gare["activities"]["partner_id"] == "P01"],
               relations=gare["relations"].iloc[:0])
    d = metric_inputs(one)
    fig = drawn(plots.partner_kinds(one["partners"]))
    assert "Centre social" in texts(fig)
    drawn(plots.attendance_heatmap(one["meetings"], one["partners"]))
    drawn(plots.coverage_heatmap(d["matrix"], outcomes=one["outcomes"], partners=one["partners"]))
    graph = network.network_graph(gare["relations"], one["partners"], "QPV-GARE", 2)
    drawn(plots.network_graph(graph.subgraph(["P01"]).copy(), wave=2))


def test_no_partner(gare):
    assert says(plots.partner_kinds(gare["partners"].iloc[:0]), "Aucun partenaire enregistré pour ce territoire.")


def test_no_meetings(gare):
    none = gare["meetings"].iloc[:0]
    assert says(plots.meeting_timeline(none), "Aucune réunion enregistrée pour ce territoire.")
    assert says(plots.attendance_heatmap(none, gare["partners"]), "Aucune réunion enregistrée pour ce territoire.")
    assert says(plots.meeting_timeline(none, lang="en"), "No meeting recorded for this territory.")


def test_meetings_without_attendee_list(gare):
    meetings = gare["meetings"].copy()
    meetings.loc[meetings.index[:3], "attendees"] = np.nan
    fig = drawn(plots.attendance_heatmap(meetings, gare["partners"]))
    assert "Liste non renseignée" in texts(fig)
    drawn(plots.meeting_timeline(meetings, as_of=AS_OF))


def test_no_measurement_yet(gare):
    none = gare["measurements"].iloc[:0]
    progress = indicators.indicator_progress(gare["indicators"], none, as_of=AS_OF)
    fig = drawn(plots.indicator_progress(progress))
    assert texts(fig).count("pas de donnée") == len(gare["indicators"])
    series = plots.indicator_series(gare["indicators"], none, "chomage_jeunes", as_of=AS_OF)
    assert says(series, "Aucune mesure depuis la valeur de départ.")
    blanks = gare["measurements"].assign(value=np.nan)
    assert says(plots.indicator_series(gare["indicators"], blanks, "chomage_jeunes"),
                "Aucune mesure depuis la valeur de départ.")
    drawn(plots.status_counts_bars(indicators.status_counts(progress)))


def test_no_indicator(gare):
    progress = indicators.indicator_progress(gare["indicators"].iloc[:0], gare["measurements"], as_of=AS_OF)
    assert says(plots.indicator_progress(progress), "Aucun indicateur défini pour ce territoire.")
    assert says(plots.status_counts_bars(indicators.status_counts(progress)), "Aucun indicateur défini pour ce territoire.")


def test_no_relations(gare):
    assert says(plots.network_graph(None, wave=2), "Le réseau partenarial n'a pas été enquêté pour cette vague.")
    assert says(plots.network_graph(None, lang="en"), "The partner network was not surveyed for this wave.")
    no_tie = gare["relations"].assign(interaction="none")
    graph = network.network_graph(no_tie, gare["partners"], "QPV-GARE", 2)
    assert says(plots.network_graph(graph, wave=2), "Aucun lien déclaré entre partenaires")
    assert says(plots.network_graph(graph.subgraph([]).copy()), "Aucun partenaire dans le réseau.")


def test_no_answers(gare):
    d = metric_inputs(dict(gare, responses=gare["responses"].iloc[:0]))
    sentence = "Aucune réponse au questionnaire pour ce territoire."
    assert says(plots.condition_radar(d["scores"]), sentence)
    assert says(plots.item_scores(d["items"]), sentence)
    assert says(plots.backbone_functions(d["backbone"]), "Aucune réponse sur la structure pivot.")
    assert says(plots.wave_comparison(d["change"]),
                "Une seule vague de questionnaire : l'évolution ne peut pas encore être mesurée.")
    assert says(plots.territory_heatmap(d["scores"]), "Aucun score à comparer.")


def test_single_wave(gare):
    d = metric_inputs(dict(gare, responses=gare["responses"][gare["responses"]["wave"] == 1]))
    assert says(plots.wave_comparison(d["change"]),
                "Une seule vague de questionnaire : l'évolution ne peut pas encore être mesurée.")
    fig = drawn(plots.condition_radar(d["scores"]))
    assert "Vague 1" in texts(fig) and "Vague 2" not in texts(fig)
    drawn(plots.backbone_functions(d["backbone"]))


def test_all_nan_condition(gare):
    responses = gare["responses"].copy()
    responses.loc[responses["item_id"].str.startswith("mesure"), "score"] = pd.NA
    d = metric_inputs(dict(gare, responses=responses))
    radar = drawn(plots.condition_radar(d["scores"]))
    assert "Système de mesure\npartagé\n(pas de réponse)" in texts(radar)
    assert says(plots.item_scores(d["items"], condition="mesure"), "Aucune réponse au questionnaire pour ce territoire.")
    heat = drawn(plots.territory_heatmap(d["scores"]))
    assert "—" in texts(heat)
    drawn(plots.wave_comparison(d["change"]))
    drawn(plots.item_scores(d["items"]))


def test_theory_of_change_edge_cases(gare):
    none = gare["outcomes"].iloc[:0]
    assert says(plots.results_chain(toc.outcome_layers(none), toc.outcome_links(none)),
                "Aucune théorie du changement saisie pour ce territoire.")
    looped = gare["outcomes"].copy()
    looped.loc[looped["outcome_id"] == "imp_precarite", "leads_to"] = "int_droits;inconnu"
    fig = drawn(plots.results_chain(toc.outcome_layers(looped), toc.outcome_links(looped)))
    assert "Dans une boucle" in texts(fig)
    assert any("1 lien(s) vers un résultat inconnu" in s for s in texts(fig))


def test_results_chain_marks_gaps(demo):
    fig = drawn(FIGURES["results_chain"](demo, "QPV-GARE", "fr"))
    # the demo's starting territory has outcomes without indicator and without activity
    assert {"Résultat sans indicateur", "Résultat sans activité"} <= set(texts(fig))


def test_coverage_heatmap_marks_gaps(demo):
    fig = drawn(FIGURES["coverage_heatmap"](demo, "QPV-HAUTS", "fr"))
    gaps = activities.coverage_gaps(demo["tables"]["activities"], demo["tables"]["outcomes"],
                                    demo["tables"]["partners"])
    mine = gaps[(gaps["territory_id"] == "QPV-HAUTS") & (gaps["kind"] == "outcome_without_activity")]
    outcomes = demo["tables"]["outcomes"].set_index(["territory_id", "outcome_id"])["label"]
    red = {t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()
           if to_hex(t.get_color()).upper() == plots.OKABE_ITO["vermillion"]}
    assert red == {outcomes[("QPV-HAUTS", o)] for o in mine["outcome_id"]}


# --------------------------------------------------------------------------------------
# programming errors
# --------------------------------------------------------------------------------------


def test_several_territories_need_territory_id(demo):
    with pytest.raises(ValueError, match="plusieurs territoires"):
        plots.condition_radar(demo["scores"])
    with pytest.raises(ValueError, match="several territories"):
        plots.partner_kinds(demo["tables"]["partners"], lang="en")


def test_unknown_indicator(demo):
    with pytest.raises(ValueError, match="Indicateur inconnu : nope"):
        plots.indicator_series(demo["tables"]["indicators"], demo["tables"]["measurements"], "nope",
                               territory_id="QPV-NORD")


def test_bad_network_options(demo):
    with pytest.raises(ValueError, match="colour_by must be"):
        plots.network_graph(None, colour_by="size")


def test_every_message_key_exists_and_is_used():
    source = Path(plots.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r't\(\s*"(plots\.[a-z_.]+)"', source))
    # built with an f-string from the outcome level
    used |= {f"plots.chain.header.{level}" for level in ("activity", "intermediate", "impact")}
    defined = {key for key in catalogue() if key.startswith("plots.")}
    assert sorted(used - defined) == []
    assert sorted(defined - used) == []
    assert all(set(catalogue()[key]) == {"fr", "en"} for key in defined)
