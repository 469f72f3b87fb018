"""Fixtures of the figure tests: the demo's metric outputs, thin data, and a way to read a drawn figure.

``figure_name`` in a test's arguments parametrises it over every figure of :data:`FIGURES`
(the figures of one territory); ``make_figure`` is then that figure's function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from collective_impact.demo import DEFAULT_AS_OF, demo_tables  # noqa: E402
from collective_impact.errors import CollectiveImpactError  # noqa: E402
from collective_impact.framework import load_framework  # noqa: E402
from collective_impact.metrics import activities, assessment, backbone, communication, indicators, network  # noqa: E402
from collective_impact.metrics import theory_of_change as toc  # noqa: E402
from collective_impact.plots import activities as activity_figures  # noqa: E402
from collective_impact.plots import backbone as backbone_figures  # noqa: E402
from collective_impact.plots import communication as communication_figures  # noqa: E402
from collective_impact.plots import conditions as condition_figures  # noqa: E402
from collective_impact.plots import measurement as measurement_figures  # noqa: E402
from collective_impact.plots import network as network_figures  # noqa: E402
from collective_impact.plots import territory as territory_figures  # noqa: E402
from collective_impact.plots import theory_of_change as toc_figures  # noqa: E402
from collective_impact.report.labels import status_labels

DEMO_TERRITORIES = ("QPV-NORD", "QPV-GARE", "QPV-HAUTS", "RURAL-VAL")
AS_OF = pd.Timestamp(DEFAULT_AS_OF)
FRAMEWORK = load_framework()


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


def network_figure(tables: dict[str, pd.DataFrame], territory_id: str, wave: int, **options) -> Figure:
    """The network figure of one territory and wave, with the graph and summary its metrics give."""
    try:
        graph = network.network_graph(tables["relations"], tables["partners"], territory_id, wave)
    except CollectiveImpactError:  # not surveyed for that wave
        return network_figures.network_graph(None, density=float("nan"), centralization=float("nan"), wave=wave,
                                             **options)
    summary = network.network_summary(tables["relations"], tables["partners"])
    row = summary[(summary["territory_id"] == territory_id) & (summary["wave"] == wave)].iloc[0]
    return network_figures.network_graph(graph, density=row["density"], centralization=row["centralization"],
                                         wave=wave, **options)


def attendance_figure(meetings: pd.DataFrame, partners: pd.DataFrame, **options) -> Figure:
    """The attendance figure with the rates :func:`~collective_impact.metrics.communication.attendance` gives."""
    as_of = options.get("as_of")
    return communication_figures.attendance_heatmap(meetings, communication.attendance(meetings, partners, until=as_of),
                                                    **options)


def first_indicator(tables, territory_id):
    rows = tables["indicators"]
    return rows.loc[rows["territory_id"] == territory_id, "indicator_id"].iloc[0]


#: name -> function(inputs, territory_id, lang) -> Figure, for one territory
FIGURES: dict[str, Callable[[dict, str, str], Figure]] = {
    "partner_kinds": lambda d, tid, lang: territory_figures.partner_kinds(d["tables"]["partners"], territory_id=tid,
                                                                         lang=lang),
    "results_chain": lambda d, tid, lang: toc_figures.results_chain(
        d["layers"], d["links"], territory_id=tid, without_indicator=d["without_indicator"],
        without_activity=d["without_activity"], lang=lang),
    "indicator_progress": lambda d, tid, lang: measurement_figures.indicator_progress(
        d["progress"], statuses=status_labels(lang), territory_id=tid, as_of=AS_OF, lang=lang),
    "indicator_series": lambda d, tid, lang: measurement_figures.indicator_series(
        d["tables"]["indicators"], d["tables"]["measurements"], first_indicator(d["tables"], tid), territory_id=tid,
        as_of=AS_OF, lang=lang),
    "coverage_heatmap": lambda d, tid, lang: activity_figures.coverage_heatmap(
        d["matrix"], territory_id=tid, outcomes=d["tables"]["outcomes"], partners=d["tables"]["partners"], lang=lang),
    "meeting_timeline": lambda d, tid, lang: communication_figures.meeting_timeline(
        d["tables"]["meetings"], territory_id=tid, as_of=AS_OF, lang=lang),
    "attendance_heatmap": lambda d, tid, lang: attendance_figure(d["tables"]["meetings"], d["tables"]["partners"],
                                                                 territory_id=tid, lang=lang),
    "network_graph": lambda d, tid, lang: network_figure(d["tables"], tid, 2, lang=lang),
    "backbone_functions": lambda d, tid, lang: backbone_figures.backbone_functions(
        d["backbone"], territory_id=tid, framework=FRAMEWORK, lang=lang),
    "condition_radar": lambda d, tid, lang: condition_figures.condition_radar(
        d["scores"], territory_id=tid, framework=FRAMEWORK, lang=lang),
    "wave_comparison": lambda d, tid, lang: condition_figures.wave_comparison(
        d["change"], territory_id=tid, framework=FRAMEWORK, lang=lang),
    "item_scores": lambda d, tid, lang: condition_figures.item_scores(
        d["items"], territory_id=tid, framework=FRAMEWORK, rwg_threshold=assessment.RWG_THRESHOLD, lang=lang),
}


def pytest_generate_tests(metafunc):
    if "figure_name" in metafunc.fixturenames:
        metafunc.parametrize("figure_name", sorted(FIGURES))


@pytest.fixture(scope="session")
def demo() -> dict[str, object]:
    """The metric outputs of the four demo territories."""
    return metric_inputs(demo_tables())


@pytest.fixture(scope="session")
def gare() -> dict[str, pd.DataFrame]:
    """The canonical tables of the demo's starting territory alone, to cut into thin data."""
    tables = demo_tables()
    return {k: v[v["territory_id"] == "QPV-GARE"].reset_index(drop=True) for k, v in tables.items()}


@pytest.fixture(autouse=True)
def no_figure_left_open():
    """Every test: pyplot holds no figure afterwards (the functions close what they create)."""
    plt.close("all")
    yield
    assert plt.get_fignums() == []


@dataclass(frozen=True)
class Drawing:
    """A figure laid out and drawn (as savefig would, without the pixels), read back."""

    fig: Figure

    @property
    def texts(self) -> list[str]:
        """Every non-empty text of the figure that is shown."""
        return [t.get_text() for t in self.fig.findobj(Text) if t.get_text() and t.get_visible()]

    @property
    def lines(self) -> list[str]:
        """Every non-empty text with its line breaks (from wrapping) turned to spaces."""
        return [s.replace("\n", " ") for s in self.texts]

    @property
    def title(self) -> str:
        return self.fig.get_suptitle().replace("\n", " ")

    def says(self, sentence: str) -> bool:
        return sentence in self.lines

    @staticmethod
    def cells(ax, colour=None) -> set[tuple[int, int]]:
        """The (row, column) cells of a heatmap's axes filled (with ``colour``, or any colour), read back from
        the filled shapes drawn on them (whose corners lie on whole coordinates)."""
        found = set()
        for patch in ax.patches:
            if not isinstance(patch, PathPatch) or not patch.get_fill():
                continue
            if colour is not None and not same_color(patch.get_facecolor(), colour):
                continue
            for polygon in patch.get_path().to_polygons():
                xs, ys = polygon[:, 0], polygon[:, 1]
                found |= {(i, j) for i in range(round(ys.min()), round(ys.max()))
                          for j in range(round(xs.min()), round(xs.max()))}
        return found


@pytest.fixture
def draw() -> Callable[[Figure], Drawing]:
    """``draw(fig)``: the figure drawn, as a :class:`Drawing`."""

    def draw(fig: Figure) -> Drawing:
        fig.draw_without_rendering()
        return Drawing(fig)

    return draw


@pytest.fixture
def make_figure(figure_name: str) -> Callable[[dict, str, str], Figure]:
    """``make_figure(inputs, territory_id, lang)``: the figure ``figure_name`` of one territory."""
    return FIGURES[figure_name]


@pytest.fixture(name="metric_inputs")
def metric_inputs_fixture() -> Callable[[dict[str, pd.DataFrame]], dict[str, object]]:
    """``metric_inputs(tables)``: every metric output the figures take."""
    return metric_inputs


@pytest.fixture(name="network_figure")
def network_figure_fixture() -> Callable[..., Figure]:
    """``network_figure(tables, territory_id, wave, **options)``: graph and summary from the metrics, drawn."""
    return network_figure


@pytest.fixture(name="attendance_figure")
def attendance_figure_fixture() -> Callable[..., Figure]:
    """``attendance_figure(meetings, partners, **options)``: attendance rates from the metrics, drawn."""
    return attendance_figure


@pytest.fixture
def framework():
    """The default framework (ci2011)."""
    return FRAMEWORK


@pytest.fixture
def as_of() -> pd.Timestamp:
    """The demo's evaluation date."""
    return AS_OF
