"""The data of one territory (or of several, for the comparison) as the notebook, the report, the batch and the apps see it.

:class:`TerritoryData` is the one bundle of a territory: its tables, framework, wave, date
and language, and (computed on first use, once) its :attr:`~TerritoryData.metrics`.
:func:`open_territory` (and :func:`open_comparison`) load it from the store, check the
territory exists (an unknown id raises :class:`~collective_impact.errors.UnknownTerritoryError`,
whose French message lists the known ids) and resolve the wave and the date of the
evaluation; :meth:`TerritoryData.from_tables` builds it from tables already loaded.

The date of an evaluation is ``as_of`` when given, else the latest date observed in the
territory's data; never the clock, so that the same data always give the same report. A
territory with no dated observation at all (no answer, measurement, meeting or appraisal)
raises :class:`~collective_impact.errors.RunError` asking for ``as_of``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.errors import CollectiveImpactError, RunError
from collective_impact.framework import Framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_date
from collective_impact.metrics.assessment import resolve_framework
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.paths import PROJECT_ROOT, STORE_ENV, resolve_store
from collective_impact.report.markdown import md
from collective_impact.schema import TABLES

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.evaluation import ComparisonMetrics, Evaluation

__all__ = ["ComparisonData", "TerritoryData", "open_comparison", "open_territory"]

def _store_path(store_path: str | os.PathLike | None) -> Path:
    """The store to read: ``store_path``, else ``$COLLECTIVE_IMPACT_STORE``, else ``data/evaluation.sqlite``.

    A relative path (or the default ``data/evaluation.sqlite``) that does not exist from
    the current directory is also looked up from the project root: JupyterLab runs a
    notebook from ``notebooks/``, where it would otherwise miss the store.
    """
    if store_path is None and not os.environ.get(STORE_ENV):
        store_path = os.path.join("data", "evaluation.sqlite")
    path = resolve_store(store_path)
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        return PROJECT_ROOT / path
    return path


def _resolve_as_of(as_of: str | date | None, tables: dict[str, pd.DataFrame], lang: str, *,
                   subject: str) -> pd.Timestamp:
    """``as_of`` as a date; when not given, the latest observation in ``tables`` (never the clock).

    ``subject`` names what is evaluated (territory ids), for the message of
    data without any dated observation.
    """
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        found = evaluation_dates(tables).max()
        if pd.isna(found):
            raise RunError(t("report.no_observation", lang, subject=subject))
        return pd.Timestamp(found)
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError) as err:
        raise RunError(t("report.bad_as_of", lang, value=as_of)) from err
    if pd.isna(stamp):
        raise RunError(t("report.bad_as_of", lang, value=as_of))
    return stamp.normalize()


def _resolve_wave(wave: int | None, responses: pd.DataFrame, lang: str) -> tuple[int | None, tuple[int, ...]]:
    waves = tuple(sorted(int(w) for w in responses["wave"].dropna().unique()))
    if wave is None:
        return (waves[-1] if waves else None), waves
    if int(wave) not in waves:
        shown = ", ".join(map(str, waves)) or t("report.none", lang)
        raise RunError(t("report.unknown_wave", lang, wave=wave, waves=shown))
    return int(wave), waves


@dataclass(frozen=True, eq=False)
class TerritoryData:
    """What the evaluation notebook of one territory works on (see :func:`open_territory`).

    Attributes
    ----------
    territory_id, name, phase
        The territory's id, name and phase code (``phase_label`` gives its label).
    tables
        Every canonical table, restricted to this territory.
    framework
        The collective impact framework used for labels, items and bands.
    wave
        The questionnaire wave shown (the latest by default; ``None`` without answers);
        ``waves`` lists the waves present.
    as_of
        The date of the evaluation (by default the latest observation in the data).
    lang, store_path
        Language of the text; the store read (``None`` when built from tables).
    metrics
        The territory's metrics (:class:`~collective_impact.report.evaluation.Evaluation`),
        each computed on first use and kept with the bundle: every step, app and batch
        reading the same bundle reads the same numbers.
    """

    territory_id: str
    name: str
    phase: str
    tables: dict[str, pd.DataFrame] = field(repr=False)
    framework: Framework = field(repr=False)
    wave: int | None
    waves: tuple[int, ...]
    as_of: pd.Timestamp
    lang: str
    store_path: Path | None

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], territory_id: str, *, lang: str = "fr",
                    wave: int | None = None, as_of: str | date | None = None,
                    framework: Framework | str | None = None, store_path: Path | None = None) -> TerritoryData:
        """The bundle of ``territory_id`` from canonical tables already loaded (any number of territories).

        Parameters
        ----------
        tables
            Canonical tables (e.g. ``Store.load()``); only the territory's rows are kept.
        territory_id
            The territory; it must be in ``tables["territories"]``.
        lang, wave, as_of, framework
            As for :func:`open_territory`.
        store_path
            The store the tables come from, if any.

        Raises
        ------
        RunError
            When ``wave`` has no answers, ``as_of`` is not a date, or ``as_of`` is not given
            and the territory has no dated observation.
        KeyError
            When ``territory_id`` is not in ``tables["territories"]``.
        """
        check_lang(lang)
        fw = resolve_framework(framework)
        own = {name: _restrict(frame, territory_id) for name, frame in tables.items()}
        found = own["territories"]
        if found.empty:
            raise KeyError(f"territory {territory_id!r} is not in the tables")
        row = found.iloc[0]
        name = str(row["name"])
        chosen_wave, waves = _resolve_wave(wave, own["responses"], lang)
        return cls(territory_id=territory_id, name=name, phase=str(row["phase"]), tables=own, framework=fw,
                   wave=chosen_wave, waves=waves,
                   as_of=_resolve_as_of(as_of, own, lang, subject=territory_id), lang=lang,
                   store_path=store_path)

    def table(self, name: str) -> pd.DataFrame:
        """The territory's canonical table ``name`` (empty, with its columns, when absent)."""
        return _table(self.tables, name)

    @cached_property
    def metrics(self) -> Evaluation:
        """The territory's metrics, each computed on first use (see :class:`~collective_impact.report.evaluation.Evaluation`)."""
        from collective_impact.report.evaluation import Evaluation

        return Evaluation(self)

    @property
    def phase_label(self) -> str:
        """The phase in words, in ``lang``."""
        try:
            return self.framework.phase(self.phase).label(self.lang)
        except CollectiveImpactError:
            return self.phase

    def title_text(self) -> str:
        """Plain text title (the HTML ``<title>``): name and date."""
        return t("report.title_text", self.lang, name=self.name, date=format_date(self.as_of, self.lang))

    def title(self):
        """The report's title block as Markdown: name, id, phase, wave, date (values escaped)."""
        wave = self.wave if self.wave is not None else t("report.none", self.lang)
        return md(t("report.title_block", self.lang), name=self.name, territory_id=self.territory_id,
                  phase=self.phase_label, wave=wave, date=format_date(self.as_of, self.lang))


@dataclass(frozen=True, eq=False)
class ComparisonData:
    """What the comparison notebook works on (see :func:`open_comparison`).

    Several territories side by side (not a second bundle of one territory): ``names``
    (territory id → name, in the order shown), their ``tables``, the ``framework``, the
    latest date observed in any of them (``as_of``), ``lang`` and the store read; their
    :attr:`metrics` are computed on first use.
    """

    names: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    framework: Framework = field(repr=False)
    as_of: pd.Timestamp
    lang: str
    store_path: Path

    def table(self, name: str) -> pd.DataFrame:
        """The canonical table ``name`` (empty, with its columns, when absent)."""
        return _table(self.tables, name)

    @cached_property
    def metrics(self) -> ComparisonMetrics:
        """The comparison's metrics, each computed on first use."""
        from collective_impact.report.evaluation import ComparisonMetrics

        return ComparisonMetrics(self)

    def title_text(self) -> str:
        """Plain text title: number of territories and date."""
        return t("report.comparison_title_text", self.lang, n=len(self.names), date=format_date(self.as_of, self.lang))

    def title(self):
        """The comparison report's title block as Markdown."""
        return md(t("report.comparison_title_block", self.lang), n=len(self.names),
                  date=format_date(self.as_of, self.lang))


def open_territory(store_path: str | os.PathLike | None, territory_id: str, *, lang: str = "fr",
                   wave: int | None = None, as_of: str | date | None = None,
                   framework: Framework | str | None = None) -> TerritoryData:
    """Load one territory from the store for its evaluation notebook.

    Parameters
    ----------
    store_path
        The evaluation store; ``None``: ``$COLLECTIVE_IMPACT_STORE``, else
        ``data/evaluation.sqlite``. A relative path is read from the current directory,
        else from the project root (JupyterLab runs notebooks from ``notebooks/``).
    territory_id
        The territory to evaluate.
    lang
        Language of every text shown (``"fr"`` or ``"en"``).
    wave
        Questionnaire wave to show; ``None`` for the latest.
    as_of
        Date of the evaluation (``"2026-10-01"``); ``None`` for the latest date observed
        in the territory's data (answers, measurements, meetings, judgments), so that the
        same data always give the same report (never today's date).
    framework
        Framework or framework id; default ``ci2011``.

    Raises
    ------
    UnknownTerritoryError
        When the territory is not in the store; the message (in ``lang``) lists the known ids.
    StoreError
        When the store does not exist or cannot be read.
    RunError
        When ``wave`` has no answers, ``as_of`` is not a date, or ``as_of`` is not given
        and the territory has no dated observation (the message asks for ``as_of``).
    """
    from collective_impact.store import Store

    check_lang(lang)
    store = Store(_store_path(store_path), create=False, lang=lang)
    store.require_territory(territory_id, lang)
    return TerritoryData.from_tables(store.load(territories=[territory_id]), territory_id, lang=lang, wave=wave,
                                     as_of=as_of, framework=framework, store_path=store.path)


def open_comparison(store_path: str | os.PathLike | None, *, territories: list[str] | None = None,
                    lang: str = "fr", as_of: str | date | None = None,
                    framework: Framework | str | None = None) -> ComparisonData:
    """Load several territories (all by default) for the comparison notebook.

    ``as_of`` (the date in the title) defaults to the latest date observed in any of them;
    each territory's indicators are read at its own date, as in its report.

    Raises :class:`UnknownTerritoryError` when one of ``territories`` is not in the store,
    :class:`RunError` when ``as_of`` is not a date or, not given, when none of the
    territories has a dated observation.
    """
    from collective_impact.store import Store

    check_lang(lang)
    fw = resolve_framework(framework)
    store = Store(_store_path(store_path), create=False, lang=lang)
    if territories is not None:
        for territory_id in territories:
            store.require_territory(territory_id, lang)
    tables = store.load(territories=territories)
    frame = tables["territories"]
    names = dict(zip(frame["territory_id"], frame["name"], strict=True))
    if territories is not None:
        names = {tid: names[tid] for tid in territories}
    subject = ", ".join(names)
    return ComparisonData(names=names, tables=tables, framework=fw,
                          as_of=_resolve_as_of(as_of, tables, lang, subject=subject), lang=lang,
                          store_path=store.path)


def _restrict(frame: pd.DataFrame, territory_id: str) -> pd.DataFrame:
    """The rows of ``territory_id`` (``frame`` itself when it holds no other territory)."""
    if "territory_id" not in frame.columns:
        return frame
    mine = frame["territory_id"] == territory_id
    return frame if mine.all() else frame[mine].reset_index(drop=True)


def _table(tables: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    frame = tables.get(name)
    if frame is None:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in TABLES[name].dtypes.items()})
    return frame
