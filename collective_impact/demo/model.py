"""What a demo territory's profile says: its partners, survey, indicators, meetings, network and action plan.

Frozen dataclasses holding the designed numbers of a profile (means, probabilities, dates in
years or days from the as-of date); one module per profile fills them in.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class _Indicator:
    id: str
    label: str
    unit: str
    outcome: str | None
    baseline: float
    target: float
    years_before: int  # baseline dated that many years before the as-of year
    years_after: int  # target dated that many years after it
    source: str
    pace: float | None  # progress / share of the period elapsed; None: not measured yet
    month_day: tuple[int, int] = (12, 31)
    decimals: int = 0


@dataclass(frozen=True)
class _Survey:
    means: dict  # condition -> mean answer at wave 1
    items: dict  # item -> mean answer at wave 1 (overrides the condition)
    gain: float  # change of every mean from wave 1 to wave 2
    sd_respondent: float
    sd_answer: float
    dont_know: dict  # condition -> probability of "ne sait pas"
    camp_shift: float = 0.0  # camp 0 answers +shift, camp 1 -shift
    waves: int = 2  # yearly waves, the last one closing two weeks before the as-of date
    trend: tuple[tuple[str, float], ...] = ()  # condition, change of its means at each wave (beyond ``gain``)
    panel: bool = False  # a partner's respondent keeps the same id from wave to wave


@dataclass(frozen=True)
class _Meetings:
    counts: dict  # meeting kind -> meetings in the year before the as-of date
    attend: float
    backbone_attend: float
    absent: tuple[str, ...]  # partners at no meeting of the last six months
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # working groups: theme, members


@dataclass(frozen=True)
class _Network:
    respond: float  # share of partners answering the network survey
    tie: tuple[float, float]  # probability of a relation, waves 1 and 2
    backbone_tie: float  # added when the backbone is one end of the relation
    trust: float
    value: float
    missing: float
    levels: tuple[float, float, float, float, float]  # none … collaboration
    level_gain: float  # probability of one more level at wave 2
    trust_gain: float = 0.0  # change of the trust ratings from wave 1 to wave 2
    cross_camp_trust: float | None = None
    cross_camp_tie: float = 1.0
    backbone_resources: float | None = None  # mean value_resources rating of the backbone


@dataclass(frozen=True)
class _Action:
    """An action of the plan; its dates are days from the as-of date (negative: before it)."""

    id: str
    title: str
    condition: str
    partner: str
    wave: int  # the wave after which it was decided
    due: int
    status: str
    start: int | None = None
    outcome: str | None = None
    indicator: str | None = None
    origin: str | None = None


@dataclass(frozen=True)
class _Profile:
    key: str
    territory_id: str
    name: str
    quartier: str
    commune: str
    department: str
    department_code: str
    qpv_code: str | None
    qpv_format: str | None  # "QN" (2024 geography), "QP" (2015) or None
    phase: str
    age_years: tuple[float, float]
    partners: tuple[tuple[str, str, str], ...]  # id, name ({commune} and {quartier} filled in), kind
    backbone: str
    camps: dict
    survey: _Survey
    outcomes: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # id, label, level, leads_to
    indicators: tuple[_Indicator, ...]
    activities: tuple[tuple[str, str, str, str, float, float | None], ...]  # id, label, partner, outcome, start, end
    meetings: _Meetings
    network: _Network
    measure_blank: float  # probability that a measured value is blank (statistical secrecy…)
    measure_drop: float  # probability that a measurement was never entered
    judgments: tuple[tuple[int, str, str, str], ...] = ()  # wave, condition, band, justification
    actions: tuple[_Action, ...] = ()
    reviews: tuple[tuple[str, int, str, str | None], ...] = ()  # action, days from the as-of date, note, status
