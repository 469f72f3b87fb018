"""Tests of collective_impact.plots._style and of what every figure shares: titles, languages,
colours, literal text from data, the catalogue keys, the package's imports."""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.text import Text

import collective_impact.plots
from collective_impact.framework import Text as FrameworkText
from collective_impact.i18n import catalogue
from collective_impact.metrics import communication, indicators, network
from collective_impact.metrics.assessment import RWG_THRESHOLD
from collective_impact.plots import (
    activities,
    backbone,
    comparison,
    conditions,
    measurement,
    territory,
    theory_of_change,
)
from collective_impact.plots import communication as communication_figures
from collective_impact.plots import network as network_figures
from collective_impact.plots import trajectory as trajectory_figures
from collective_impact.plots.palette import BAND_COLOURS, STATUS_COLOURS
from collective_impact.report.labels import status_labels

PLOTS = Path(collective_impact.plots.__file__).parent
DEMO_TERRITORIES = ("QPV-NORD", "QPV-GARE", "QPV-HAUTS", "RURAL-VAL")

# the expected title of each figure, written out here (not read from the catalogue);
# indicator_series is titled with the indicator (tests/plots/test_measurement.py)
TITLES = {
    "partner_kinds": ("Les partenaires par type de structure", "Partners by kind of organisation"),
    "results_chain": ("La théorie du changement : des réalisations à l'impact",
                      "The theory of change: from outputs to impact"),
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


# --- every figure, every demo territory ------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_TERRITORIES)
def test_figure_for_each_demo_territory(demo, draw, figure_name, make_figure, territory_id):
    fig = draw(make_figure(demo, territory_id, "fr"))
    assert isinstance(fig.fig, Figure)
    if figure_name in TITLES:
        assert fig.title == TITLES[figure_name][0]


def test_titles_are_french_or_english(demo, draw, figure_name, make_figure):
    indicators_table = demo["tables"]["indicators"]
    # indicator_series is titled with the indicator's label (the first of QPV-NORD), as typed
    label = indicators_table.loc[indicators_table["territory_id"] == "QPV-NORD", "label"].iloc[0]
    fr, en = TITLES.get(figure_name, (label, label))
    assert draw(make_figure(demo, "QPV-NORD", "fr")).title == fr
    assert draw(make_figure(demo, "QPV-NORD", "en")).title == en


def test_style_does_not_leak_into_the_session(demo, figure_name, make_figure):
    before = dict(mpl.rcParams)
    make_figure(demo, "QPV-NORD", "fr")
    assert dict(mpl.rcParams) == before


# --- colours ---------------------------------------------------------------------------


def test_palette_constants(framework):
    assert list(BAND_COLOURS) == list(framework.bands.order)
    assert len(set(BAND_COLOURS.values())) == 3
    assert list(STATUS_COLOURS) == list(indicators.STATUSES)
    assert len(set(STATUS_COLOURS.values())) == 5
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(BAND_COLOURS.values()) <= okabe_ito


def rgb_hexes(colours) -> set[str]:
    return {to_hex(c[:3]).upper() for c in np.atleast_2d(colours)}


def test_band_colours_are_the_same_in_radar_and_heatmap(demo, draw, framework):
    bands = {c.upper() for c in BAND_COLOURS.values()}
    radar = conditions.condition_radar(demo["scores"], territory_id="QPV-HAUTS", framework=framework)
    rings = set().union(*(rgb_hexes(c.get_facecolor()) for c in radar.findobj(PolyCollection)))
    assert rings == bands  # the three rings, nothing else filled

    heat = draw(comparison.territory_heatmap(demo["scores"], framework=framework)).fig
    cells = set().union(*(rgb_hexes(p.get_facecolor()) for p in heat.findobj(PathPatch) if p.get_fill()))
    # the demo has every band among its territories: the cells use exactly the band colours
    assert cells == bands


# --- text from data is drawn as typed --------------------------------------------------

MATH = "Taux $\\foo{x}$"  # mathtext would fail on the unknown command \foo
POWER = "$x^2$"  # mathtext would draw x²
UNIT = "$m^3$"


def hostile_figures(gare, metric_inputs, framework) -> dict[str, tuple[Figure, list[str]]]:
    """Every figure function, fed labels that look like mathtext, with texts it must draw exactly."""
    partners = gare["partners"].copy()
    partners.loc[0, "name"] = POWER
    partners.loc[1, "kind"] = MATH  # an unknown kind is drawn as its code
    outcomes = gare["outcomes"].assign(label=MATH)
    indicator = gare["indicators"]["indicator_id"].iloc[0]
    indicators_table = gare["indicators"].assign(label=MATH, unit=UNIT)
    meetings = gare["meetings"].copy()
    meetings.loc[meetings.index[0], "kind"] = POWER  # an unknown kind is drawn as its code
    d = metric_inputs(dict(gare, partners=partners, outcomes=outcomes, indicators=indicators_table,
                           meetings=meetings))
    # a condition and an item unknown to the framework are drawn by their ids
    scores = d["scores"].replace({"condition": {"mesure": POWER}})
    change = d["change"].replace({"condition": {"mesure": POWER}})
    items = d["items"].copy()
    items.loc[(items["wave"] == items["wave"].max()).idxmax(), "item_id"] = MATH  # an item of the wave drawn
    hostile_framework = dataclasses.replace(framework, backbone_functions=tuple(
        dataclasses.replace(f, label=FrameworkText(MATH, MATH)) for f in framework.backbone_functions))
    graph = network.network_graph(gare["relations"], partners, "QPV-GARE", 2)
    rates = communication.attendance(meetings, partners)
    names = {"QPV-GARE": POWER}
    statuses = status_labels("fr")
    latest = int(scores["wave"].max())
    return {
        "partner_kinds": (territory.partner_kinds(partners), [MATH]),
        "results_chain": (theory_of_change.results_chain(d["layers"], d["links"]), [MATH]),
        "indicator_progress": (measurement.indicator_progress(d["progress"], statuses=statuses),
                               [f"{MATH} ({UNIT})"]),
        "indicator_series": (measurement.indicator_series(indicators_table, gare["measurements"], indicator),
                             [MATH, f"Valeur ({UNIT})"]),
        "coverage_heatmap": (activities.coverage_heatmap(d["matrix"], outcomes=outcomes, partners=partners),
                             [MATH, POWER]),
        "meeting_timeline": (communication_figures.meeting_timeline(meetings), [f"{POWER} (1)"]),
        "attendance_heatmap": (communication_figures.attendance_heatmap(meetings, rates), [POWER]),
        "network_graph": (network_figures.network_graph(graph, density=0.5, centralization=0.5, wave=2), [POWER]),
        "backbone_functions": (backbone.backbone_functions(d["backbone"], framework=hostile_framework),
                               [f"{f.id}. {MATH}" for f in framework.backbone_functions]),
        "condition_radar": (conditions.condition_radar(scores, framework=framework), [POWER]),
        "wave_comparison": (conditions.wave_comparison(change, framework=framework), [POWER]),
        "item_scores": (conditions.item_scores(items, framework=framework, rwg_threshold=RWG_THRESHOLD), [MATH]),
        "territory_heatmap": (comparison.territory_heatmap(scores, names=names, framework=framework),
                              [f"{POWER} (vague {latest})"]),
        "status_counts_bars": (comparison.status_counts_bars(indicators.status_counts(d["progress"]),
                                                             statuses=statuses, names=names), [POWER]),
        "condition_trajectories": (trajectory_figures.condition_trajectories(
            scores.assign(ci_low=scores["mean"], ci_high=scores["mean"]), framework=framework), [POWER]),
        "agreement_trajectories": (trajectory_figures.agreement_trajectories(
            scores, framework=framework, threshold=RWG_THRESHOLD), [POWER]),
        "indicator_paths": (trajectory_figures.indicator_paths(
            gare["measurements"].assign(ahead=None), indicators_table), [f"{MATH} ({UNIT})"]),
        "territory_trajectories": (trajectory_figures.territory_trajectories(scores, framework=framework, names=names),
                                   [POWER]),
    }


def test_every_figure_function_is_fed_hostile_labels(gare, metric_inputs, framework):
    # palette: colours; images: a drawn figure's bytes; neither draws a figure
    functions = {name for path in PLOTS.glob("[!_]*.py") if path.stem not in ("palette", "images")
                 for name in re.findall(r"^def ([a-z]\w*)\(", path.read_text(encoding="utf-8"), flags=re.MULTILINE)}
    assert set(hostile_figures(gare, metric_inputs, framework)) == functions


def test_text_from_data_is_drawn_as_typed(gare, metric_inputs, framework):
    for name, (fig, expected) in hostile_figures(gare, metric_inputs, framework).items():
        fig.savefig(io.BytesIO(), format="png")  # mathtext would raise on \foo here
        drawn = {t.get_text(): t for t in fig.findobj(Text) if t.get_text()}
        for text in expected:
            assert text in drawn, (name, text, sorted(drawn))
            assert not drawn[text].get_parse_math() and not drawn[text].get_usetex(), (name, text)


# --- the catalogue and the package's imports ---------------------------------------------


def test_every_message_key_exists_and_is_used():
    source = "\n".join(path.read_text(encoding="utf-8") for path in PLOTS.glob("*.py"))
    used = set(re.findall(r't\(\s*"(plots\.[a-z_.]+)"', source))
    # built with an f-string from the outcome level
    used |= {f"plots.chain.header.{level}" for level in ("activity", "intermediate", "impact")}
    defined = {key for key in catalogue() if key.startswith("plots.")}
    assert sorted(used - defined) == []
    assert sorted(defined - used) == []
    assert all(set(catalogue()[key]) == {"fr", "en"} for key in defined)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_figures_import_no_metric_report_or_app():
    forbidden = ("collective_impact.metrics", "collective_impact.report", "collective_impact.apps")
    for path in PLOTS.glob("*.py"):
        wrong = {m for m in imported_modules(path) if m.startswith(forbidden) or m == "collective_impact"}
        assert wrong == set(), path.name


def test_palette_does_not_load_matplotlib():
    code = "import sys, collective_impact.plots.palette; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_figure_built_in_another_thread_does_not_undo_this_figures_settings():
    """matplotlib's rc_context puts back, when it closes, every setting as it was when it opened: a
    figure finished in one thread would give the figure being built in another matplotlib's defaults.
    Here the second figure starts while the first is still being built, and reads its settings
    only once the first is done."""
    import threading
    import time

    from collective_impact.plots._style import NOTE_SIZE, styled

    first_in, first_may_end, first_done = threading.Event(), threading.Event(), threading.Event()

    @styled
    def first():
        first_in.set()
        first_may_end.wait(30)

    @styled
    def second():
        first_done.wait(30)
        return mpl.rcParams["legend.fontsize"]

    def build_first():
        first()
        first_done.set()

    seen = {}
    one = threading.Thread(target=build_first)
    one.start()
    assert first_in.wait(30)
    two = threading.Thread(target=lambda: seen.setdefault("legend", second()))
    two.start()
    time.sleep(0.3)  # time for the second figure to open its settings, if nothing holds it back
    first_may_end.set()
    one.join(30)
    two.join(30)
    assert seen["legend"] == NOTE_SIZE + 0.5  # matplotlib's own default is "medium"


def test_a_legend_outside_the_style_measures_a_named_font_size():
    from matplotlib.patches import Patch

    from collective_impact.plots._style import figure_legend

    fig = Figure(figsize=(3, 2))
    names = ["Une étiquette assez longue pour la légende", "Une autre, tout aussi longue que la première"]
    with mpl.rc_context({"legend.fontsize": "medium"}):  # matplotlib's default, as outside a figure function
        legend = figure_legend(fig, [Patch(label=name) for name in names])
    assert [text.get_text() for text in legend.get_texts()] == names
    assert legend._ncols == 1  # two columns of such labels do not fit three inches
