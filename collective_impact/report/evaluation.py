"""The metrics of one territory (and of the comparison), each computed once, on first use.

:class:`Evaluation` is what :attr:`TerritoryData.metrics <collective_impact.report.bundle.TerritoryData.metrics>`
returns: every step of the report, the guided evaluation and the dashboard read a
territory's metrics there, so none is computed twice. :class:`ComparisonMetrics` does
the same for :class:`~collective_impact.report.bundle.ComparisonData`. Both call the pure
functions of :mod:`collective_impact.metrics`; they word nothing.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n.format import is_missing
from collective_impact.schema import TABLES

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import ComparisonData, TerritoryData

__all__ = ["ComparisonMetrics", "Evaluation"]


class Evaluation:
    """The metrics of one territory at its wave and date, each computed on first use.

    Not a second bundle: it holds only the :class:`~collective_impact.report.bundle.TerritoryData`
    it was made for (``data``), whose :attr:`~collective_impact.report.bundle.TerritoryData.metrics`
    it is; the territory's id, tables, framework, wave, date and language are read there.
    Every step of the territory (and the apps) reads its metrics here, so none is computed
    twice.

    Parameters
    ----------
    data
        The territory.
    """

    def __init__(self, data: TerritoryData) -> None:
        self.data = data

    # --- questionnaire ---------------------------------------------------------------
    @cached_property
    def scores(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.condition_scores`, every wave."""
        from collective_impact.metrics.assessment import condition_scores

        return condition_scores(self.data.table("responses"), framework=self.data.framework)

    @cached_property
    def items(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.item_scores`, every wave."""
        from collective_impact.metrics.assessment import item_scores

        return item_scores(self.data.table("responses"), framework=self.data.framework)

    @cached_property
    def response_rates(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.response_rate`, every wave."""
        from collective_impact.metrics.assessment import response_rate

        rates = response_rate(self.data.table("responses"), self.data.table("partners"))
        return rates[rates["wave"].notna()].reset_index(drop=True)

    @cached_property
    def previous_wave(self) -> int | None:
        """The wave before the bundle's ``wave`` that has answers, if any."""
        earlier = [w for w in self.data.waves if self.data.wave is not None and w < self.data.wave]
        return earlier[-1] if earlier else None

    @cached_property
    def change(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.wave_change` from the previous wave to the bundle's ``wave``."""
        from collective_impact.metrics.assessment import wave_change

        if self.previous_wave is None:
            return wave_change(self.data.table("responses").iloc[0:0], framework=self.data.framework)
        return wave_change(self.data.table("responses"), framework=self.data.framework, wave_from=self.previous_wave,
                           wave_to=self.data.wave)

    @cached_property
    def backbone(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.backbone.backbone_functions`, every wave."""
        from collective_impact.metrics.backbone import backbone_functions

        return backbone_functions(self.data.table("responses"), framework=self.data.framework, lang=self.data.lang)

    def condition_row(self, condition: str) -> dict | None:
        """The score row of ``condition`` at the bundle's ``wave`` (``None`` without any answer)."""
        if self.data.wave is None:
            return None
        rows = self.scores[(self.scores["wave"] == self.data.wave) & (self.scores["condition"] == condition)]
        if rows.empty or is_missing(rows["mean"].iloc[0]):
            return None
        return rows.iloc[0].to_dict()

    # --- synthesis ---------------------------------------------------------------------
    @cached_property
    def profile(self):
        """:func:`~collective_impact.report.findings.territory_profile` of the territory."""
        from collective_impact.report.findings import territory_profile

        return territory_profile(self._all_tables, framework=self.data.framework, as_of=self.data.as_of, wave=self.data.wave,
                                 lang=self.data.lang, territories=[self.data.territory_id])

    def findings(self, condition: str | None) -> pd.DataFrame:
        """The synthesis findings about ``condition`` (``None``: about the whole initiative)."""
        found = self.profile.findings
        if condition is None:
            return found[found["condition"].isna()].reset_index(drop=True)
        return found[found["condition"] == condition].reset_index(drop=True)

    # --- theory of change --------------------------------------------------------------
    @cached_property
    def layers(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import outcome_layers

        return outcome_layers(self.data.table("outcomes"))

    @cached_property
    def links(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import outcome_links

        return outcome_links(self.data.table("outcomes"))

    @cached_property
    def toc_summary(self) -> dict | None:
        from collective_impact.metrics.theory_of_change import theory_of_change_summary

        summary = theory_of_change_summary(self.data.table("outcomes"))
        return summary.iloc[0].to_dict() if len(summary) else None

    @cached_property
    def toc_issues(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import theory_of_change_issues
        from collective_impact.report.findings import theory_of_change_messages

        outcomes = self.data.table("outcomes")
        return theory_of_change_messages(theory_of_change_issues(outcomes), outcomes, lang=self.data.lang)

    @cached_property
    def without_indicator(self) -> pd.DataFrame:
        """Intermediate outcomes and impacts that no indicator measures."""
        from collective_impact.metrics.theory_of_change import outcomes_without_indicator

        return outcomes_without_indicator(self.data.table("outcomes"), self.data.table("indicators"),
                                          levels=("intermediate", "impact"))

    @cached_property
    def without_activity(self) -> pd.DataFrame:
        """Activity-level and intermediate outcomes that no activity targets."""
        from collective_impact.metrics.theory_of_change import outcomes_without_activity

        return outcomes_without_activity(self.data.table("outcomes"), self.data.table("activities"))

    # --- indicators --------------------------------------------------------------------
    @cached_property
    def progress(self) -> pd.DataFrame:
        from collective_impact.metrics.indicators import indicator_progress

        return indicator_progress(self.data.table("indicators"), self.data.table("measurements"), as_of=self.data.as_of)

    @cached_property
    def completeness(self):
        from collective_impact.metrics.indicators import data_completeness

        return data_completeness(self.data.table("indicators"), self.data.table("measurements"), as_of=self.data.as_of)

    # --- activities --------------------------------------------------------------------
    @cached_property
    def coverage(self) -> pd.DataFrame:
        from collective_impact.metrics.activities import coverage_matrix

        return coverage_matrix(self.data.table("activities"), self.data.table("outcomes"), self.data.table("partners"))

    @cached_property
    def gaps(self) -> pd.DataFrame:
        from collective_impact.metrics.activities import coverage_gaps

        return coverage_gaps(self.data.table("activities"), self.data.table("outcomes"), self.data.table("partners"))

    # --- communication -----------------------------------------------------------------
    @cached_property
    def _communication_and_absent(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:func:`~collective_impact.metrics.communication.summary_and_absent`: the summary counts the absent
        partners, computed once for both."""
        from collective_impact.metrics.communication import summary_and_absent

        return summary_and_absent(self.data.table("meetings"), self.data.table("partners"), as_of=self.data.as_of)

    @cached_property
    def communication(self) -> dict | None:
        """:func:`~collective_impact.metrics.communication.communication_summary` (``None`` without meeting or
        partner)."""
        summary = self._communication_and_absent[0]
        return summary.iloc[0].to_dict() if len(summary) else None

    @cached_property
    def absent(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.communication.absent_partners` at the bundle's ``as_of``."""
        return self._communication_and_absent[1]

    @cached_property
    def meetings(self) -> pd.DataFrame:
        """The meetings held up to the bundle's ``as_of``."""
        meetings = self.data.table("meetings")
        return meetings[meetings["date"].notna() & (meetings["date"] <= self.data.as_of)].reset_index(drop=True)

    @cached_property
    def network(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.network.network_summary` up to :attr:`network_wave`."""
        from collective_impact.metrics.network import network_summary

        summary = network_summary(self.data.table("relations"), self.data.table("partners"))
        if self.network_wave is None:
            return summary.iloc[0:0]
        return summary[summary["wave"] <= self.network_wave].reset_index(drop=True)

    @cached_property
    def network_wave(self) -> int | None:
        """The network survey shown: the latest one up to the bundle's ``wave`` (as the synthesis reads it)."""
        value = self.profile.territories["network_wave"].iloc[0] if len(self.profile.territories) else None
        return None if is_missing(value) else int(value)

    @cached_property
    def graph(self):
        """The partner network at :attr:`network_wave` (``None`` when not surveyed)."""
        from collective_impact.metrics.network import network_graph

        if self.network_wave is None:
            return None
        return network_graph(self.data.table("relations"), self.data.table("partners"), self.data.territory_id,
                             self.network_wave)

    # --- judgments ---------------------------------------------------------------------
    @cached_property
    def judgments(self) -> pd.DataFrame:
        """The evaluator's appraisals of this territory (every wave)."""
        frame = self.data.table("judgments")
        return frame[frame["territory_id"] == self.data.territory_id].reset_index(drop=True)

    @property
    def _all_tables(self) -> dict[str, pd.DataFrame]:
        """Every canonical table, empty ones included (as the synthesis expects them)."""
        return {name: self.data.table(name) for name in TABLES}

    # --- trajectory (issue 14: any number of waves) ------------------------------------
    @cached_property
    def _responses_to_wave(self) -> pd.DataFrame:
        """The territory's answers up to the bundle's ``wave`` (a report of wave 3 shows nothing of wave 4)."""
        responses = self.data.table("responses")
        if self.data.wave is None:
            return responses.iloc[0:0]
        return responses[responses["wave"] <= self.data.wave].reset_index(drop=True)

    @cached_property
    def trajectory(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.trajectory.condition_trajectory` over the waves up to ``wave``."""
        from collective_impact.metrics.trajectory import condition_trajectory

        return condition_trajectory(self._responses_to_wave, framework=self.data.framework)

    @cached_property
    def changes(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.trajectory.condition_changes` between consecutive waves up to ``wave``."""
        from collective_impact.metrics.trajectory import condition_changes

        return condition_changes(self._responses_to_wave, framework=self.data.framework, pairs="consecutive")

    @cached_property
    def first_last(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.trajectory.condition_changes` from the first wave to ``wave``."""
        from collective_impact.metrics.trajectory import condition_changes

        if self._responses_to_wave["wave"].nunique() <= 2:
            # the first and last waves are then the only consecutive pair: the same rows as ``changes`` (each pair
            # of waves has its own random generator), not a second bootstrap
            return self.changes
        return condition_changes(self._responses_to_wave, framework=self.data.framework, pairs="first_last")

    @cached_property
    def indicator_paths(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.trajectory.indicator_paths` of the measurements up to ``as_of``."""
        from collective_impact.metrics.trajectory import indicator_paths

        measurements = self.data.table("measurements")
        measurements = measurements[measurements["date"] <= self.data.as_of]
        return indicator_paths(self.data.table("indicators"), measurements)

    # --- essentials (the essentials page, the ranked points) -------------------------
    @cached_property
    def points(self) -> pd.DataFrame:
        """The findings grouped by cause and ranked, in words (:func:`~collective_impact.report.findings.point_texts`)."""
        from collective_impact.report.findings import point_texts

        return point_texts(self.profile, framework=self.data.framework)

    # --- follow-up: the action plan (plan d'action et suivi) ----------------------------
    @cached_property
    def actions(self) -> pd.DataFrame:
        """The territory's actions decided up to the bundle's ``wave`` (all of them without answers)."""
        actions = self.data.table("actions")
        if self.data.wave is None:
            return actions.reset_index(drop=True)
        return actions[(actions["wave"] <= self.data.wave).fillna(True)].reset_index(drop=True)

    @cached_property
    def action_counts(self) -> dict[str, int]:
        """:func:`~collective_impact.metrics.actions.action_status_counts` of :attr:`actions`, as a dict."""
        from collective_impact.metrics.actions import STATUSES, action_status_counts

        counts = action_status_counts(self.actions)
        if counts.empty:
            return {"n_actions": 0, **{f"n_{status}": 0 for status in STATUSES}}
        return {column: int(value) for column, value in counts.iloc[0].items() if column != "territory_id"}

    @cached_property
    def overdue_actions(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.actions.overdue_actions` of :attr:`actions` at the bundle's ``as_of``."""
        from collective_impact.metrics.actions import overdue_actions

        return overdue_actions(self.actions, as_of=self.data.as_of)

    @cached_property
    def action_reviews(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.actions.latest_reviews`: each action's last note up to ``as_of``."""
        from collective_impact.metrics.actions import latest_reviews

        return latest_reviews(self.data.table("action_reviews"), as_of=self.data.as_of)

    @cached_property
    def action_follow_up(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.actions.action_follow_up` of :attr:`actions`, on the
        consecutive changes (:attr:`changes`) up to the bundle's ``wave``."""
        from collective_impact.metrics.actions import action_follow_up

        waves = [w for w in self.data.waves if self.data.wave is not None and w <= self.data.wave]
        changes = self.changes
        changes = changes[(changes["wave_to"] <= (self.data.wave or 0)).fillna(False)]
        return action_follow_up(self.actions, changes, as_of=self.data.as_of, waves={self.data.territory_id: waves})


class ComparisonMetrics:
    """The metrics of the comparison of several territories, each computed on first use.

    Not a bundle either: it holds only the :class:`~collective_impact.report.bundle.ComparisonData`
    it was made for (``data``), whose :attr:`~collective_impact.report.bundle.ComparisonData.metrics` it is.
    """

    def __init__(self, data: ComparisonData) -> None:
        self.data = data

    @cached_property
    def scores(self) -> pd.DataFrame:
        from collective_impact.metrics.assessment import condition_scores

        scores = condition_scores(self.data.table("responses"), framework=self.data.framework)
        return scores[scores["territory_id"].isin(self.data.names)].reset_index(drop=True)

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each territory's condition scores at its latest wave."""
        scores = self.scores.dropna(subset=["wave"])
        if scores.empty:
            return scores
        last = scores.groupby("territory_id")["wave"].transform("max")
        return scores[scores["wave"] == last].reset_index(drop=True)

    @cached_property
    def profile(self):
        from collective_impact.report.findings import territory_profile

        return territory_profile(self.data.tables, framework=self.data.framework, lang=self.data.lang,
                                 territories=list(self.data.names))

    @cached_property
    def progress(self) -> pd.DataFrame:
        """Indicator progress of each territory at its own evaluation date (as its report)."""
        from collective_impact.metrics.indicators import indicator_progress

        indicators, measurements = self.data.table("indicators"), self.data.table("measurements")
        frames = []
        for row in self.profile.territories.itertuples(index=False):
            if is_missing(row.as_of):
                continue
            frames.append(indicator_progress(indicators[indicators["territory_id"] == row.territory_id],
                                             measurements[measurements["territory_id"] == row.territory_id],
                                             as_of=row.as_of))
        if not frames:
            return indicator_progress(indicators.iloc[0:0], measurements.iloc[0:0], as_of=pd.Timestamp("2000-01-01"))
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def status_counts(self) -> pd.DataFrame:
        from collective_impact.metrics.indicators import status_counts

        return status_counts(self.progress)

    # --- over time (the comparison's trajectories) -------------------------------------
    @cached_property
    def trajectory(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.trajectory.condition_trajectory` of the compared territories, every wave."""
        from collective_impact.metrics.trajectory import condition_trajectory

        responses = self.data.table("responses")
        return condition_trajectory(responses[responses["territory_id"].isin(self.data.names)],
                                    framework=self.data.framework)

    @cached_property
    def first_last(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.summary.first_last_verdicts` of the compared territories."""
        from collective_impact.metrics.summary import first_last_verdicts

        responses = self.data.table("responses")
        return first_last_verdicts(responses[responses["territory_id"].isin(self.data.names)],
                                   framework=self.data.framework, scores=self.scores)
