"""The data of one territory (or of several, for the comparison) as a notebook, a report and the apps see it.

:func:`open_territory` (and :func:`open_comparison`) load what a notebook shows, check the
territory exists (an unknown id raises :class:`~collective_impact.errors.UnknownTerritoryError`,
whose French message lists the known ids) and resolve the wave and the date of the evaluation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from collective_impact.errors import CollectiveImpactError, RunError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_date
from collective_impact.paths import PROJECT_ROOT, STORE_ENV, resolve_store
from collective_impact.report.narrative import md

__all__ = ["OBSERVATION_DATES", "ComparisonData", "TerritoryData", "latest_observation", "open_comparison",
           "open_territory"]

# Dates that record something that happened (not planned dates such as an indicator's
# target date): the latest of them is the default date of an evaluation.
OBSERVATION_DATES = {"responses": "answered_on", "measurements": "date", "meetings": "date",
                     "judgments": "recorded_on"}



# --------------------------------------------------------------------------------------
# inside the notebook: what a notebook shows
# --------------------------------------------------------------------------------------


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


def latest_observation(tables: dict[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The latest date at which something was observed in ``tables`` (answers, measurements,
    meetings, judgments), or ``None`` when there is none. Planned dates are ignored."""
    latest = None
    for table, column in OBSERVATION_DATES.items():
        frame = tables.get(table)
        if frame is None or frame.empty or column not in frame:
            continue
        value = frame[column].max()
        if pd.notna(value) and (latest is None or value > latest):
            latest = value
    return None if latest is None else pd.Timestamp(latest).normalize()


def _resolve_as_of(as_of: str | date | None, tables: dict[str, pd.DataFrame], lang: str) -> pd.Timestamp:
    if as_of is None or (isinstance(as_of, str) and not as_of.strip()):
        found = latest_observation(tables)
        return found if found is not None else pd.Timestamp(date.today())
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
        Language of the text; the store read.
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
    store_path: Path

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
    """What the comparison notebook works on (see :func:`open_comparison`)."""

    names: dict[str, str]
    tables: dict[str, pd.DataFrame] = field(repr=False)
    framework: Framework = field(repr=False)
    as_of: pd.Timestamp
    lang: str
    store_path: Path

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
        same data always give the same report.
    framework
        Framework or framework id; default ``ci2011``.

    Raises
    ------
    UnknownTerritoryError
        When the territory is not in the store; the message (in ``lang``) lists the known ids.
    StoreError
        When the store does not exist or cannot be read.
    RunError
        When ``wave`` has no answers or ``as_of`` is not a date.
    """
    from collective_impact.store import Store

    check_lang(lang)
    fw = framework if isinstance(framework, Framework) else load_framework(framework or "ci2011")
    store = Store(_store_path(store_path), create=False, lang=lang)
    store.require_territory(territory_id, lang)
    tables = store.load(territories=[territory_id])
    row = tables["territories"].iloc[0]
    chosen_wave, waves = _resolve_wave(wave, tables["responses"], lang)
    return TerritoryData(
        territory_id=territory_id, name=str(row["name"]), phase=str(row["phase"]), tables=tables, framework=fw,
        wave=chosen_wave, waves=waves, as_of=_resolve_as_of(as_of, tables, lang), lang=lang, store_path=store.path,
    )


def open_comparison(store_path: str | os.PathLike | None, *, territories: list[str] | None = None,
                    lang: str = "fr", framework: Framework | str | None = None) -> ComparisonData:
    """Load several territories (all by default) for the comparison notebook.

    Raises :class:`UnknownTerritoryError` when one of ``territories`` is not in the store.
    """
    from collective_impact.store import Store

    check_lang(lang)
    fw = framework if isinstance(framework, Framework) else load_framework(framework or "ci2011")
    store = Store(_store_path(store_path), create=False, lang=lang)
    if territories is not None:
        for territory_id in territories:
            store.require_territory(territory_id, lang)
    tables = store.load(territories=territories)
    frame = tables["territories"]
    names = dict(zip(frame["territory_id"], frame["name"], strict=True))
    if territories is not None:
        names = {tid: names[tid] for tid in territories}
    return ComparisonData(names=names, tables=tables, framework=fw, as_of=_resolve_as_of(None, tables, lang),
                          lang=lang, store_path=store.path)
