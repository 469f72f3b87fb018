"""The rows of each table drawn for one territory from its profile: answers, indicators, meetings, network…

Each function appends to the builder's collector what one table holds for one territory,
drawing only from the territory's own random stream.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

from collective_impact.demo.model import _Profile
from collective_impact.framework import load_framework
from collective_impact.schema import TABLES, join_ids

_LEVELS = np.array(["none", "awareness", "cooperation", "coordination", "collaboration"], dtype=object)
_TRUST = ("trust_reliability", "trust_mission", "trust_openness")
_VALUE = ("value_power", "value_involvement", "value_resources")
_KIND_ORDER = ("comite_pilotage", "comite_technique", "groupe_travail", "pleniere", "rencontre_habitants")
# Who is invited to which kind of meeting; working groups are listed per profile.
_COPIL_KINDS = frozenset({"centre_social", "mairie", "epci", "etat", "departement", "caf", "bailleur_social", "fondation"})
_COTECH_EXCLUDED = frozenset({"etat", "departement", "conseil_citoyen", "association_locataires"})
_INHABITANT_KINDS = frozenset(
    {"centre_social", "conseil_citoyen", "association_locataires", "association", "mairie", "bailleur_social"}
)
_TITLES = {
    "comite_pilotage": ("Comité de pilotage : point d'étape", "Comité de pilotage : bilan annuel et feuille de route"),
    "comite_technique": ("Comité technique : suivi du plan d'action", "Comité technique : préparation du comité de pilotage"),
    "pleniere": ("Plénière des partenaires", "Plénière : restitution des indicateurs"),
    "rencontre_habitants": ("Rencontre avec les habitants", "Café-débat avec les habitants"),
}
# Items that partners rate lower everywhere, whatever the profile: inhabitants' say,
# breakdowns of data and informing inhabitants are the usual weak spots.
_ITEM_OFFSETS = {"agenda_5": -0.4, "mesure_4": -0.2, "mesure_5": -0.3, "communication_5": -0.3}


def _years_before(as_of: date, years: float) -> date:
    return as_of - timedelta(days=round(years * 365.25))


_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)})


def _meeting_day(day: date, as_of: date) -> date:
    """A plausible meeting day near ``day``: before ``as_of``, out of the summer and Christmas
    breaks, on a working day (public holidays with a fixed date are skipped)."""
    if day.month == 8:
        day += timedelta(days=-16 if day.day <= 15 else 16)
    elif day.month == 12 and day.day >= 20:
        day -= timedelta(days=10)
    elif day.month == 1 and day.day <= 3:
        day += timedelta(days=4)
    day = min(day, as_of - timedelta(days=1))
    while day.weekday() >= 5 or (day.month, day.day) in _HOLIDAYS:
        day -= timedelta(days=1)
    return day


class _Collector:
    """Rows of the small tables (tuples in schema order) and column arrays of the large ones."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
        self.arrays: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in TABLES}
        self.names: set[str] = set()

    def frame(self, table_id: str) -> pd.DataFrame:
        table = TABLES[table_id]
        ids = table.column_ids
        if self.arrays[table_id]:
            data = {c: np.concatenate([part[c] for part in self.arrays[table_id]]) for c in ids}
        else:
            rows = self.rows[table_id]
            data = {c: np.array([row[i] for row in rows], dtype=object) for i, c in enumerate(ids)}
        columns = {}
        for column in table.columns:
            values = data[column.id]
            if column.dtype == "datetime64[ns]":
                values = np.asarray(values, dtype="datetime64[D]")
            columns[column.id] = pd.Series(values).astype(column.dtype)
        return pd.DataFrame(columns, columns=ids)


def _responses(profile: _Profile, tid: str, rng: np.random.Generator, as_of: date, out: _Collector):
    """The waves of questionnaire answers, drawn at once per wave (one array per respondent × item)."""
    framework = load_framework()
    items = framework.items
    item_ids = np.array([item.id for item in items], dtype=object)
    survey = profile.survey
    mean = np.array(
        [survey.items.get(item.id, survey.means[item.condition]) + _ITEM_OFFSETS.get(item.id, 0.0) for item in items]
    )
    dont_know = np.array([survey.dont_know[item.condition] for item in items])
    trend = dict(survey.trend)
    step = np.array([survey.gain + trend.get(item.condition, 0.0) for item in items])
    partners = np.array([p[0] for p in profile.partners], dtype=object)
    camps = np.array([profile.camps.get(pid, 0) for pid in partners])
    n = len(partners)
    # A partner's outlook is stable: the same organisation answers alike at both waves, so the
    # change between waves is the designed gain, not a change of who happened to answer.
    outlook = rng.normal(0.0, survey.sd_respondent, size=n) + np.where(camps == 0, survey.camp_shift, -survey.camp_shift)
    # Who answers changes little between waves: a stable eagerness plus some turnover; the
    # camps (if any) are represented in proportion to their size.
    eagerness = rng.random(n)
    windows = []
    for wave in range(1, survey.waves + 1):
        # The last wave closes two weeks before the as-of date, each one before it exactly 52 weeks earlier.
        end = as_of - timedelta(days=14 + 364 * (survey.waves - wave))
        begin = end - timedelta(days=28)
        windows.append((begin, end))
        n_twice = 1 + int(n >= 12)
        # 60 to 90 % of the partners answer, the respondents (with those answering twice) stay within 90 %.
        n_answering = int(rng.integers(math.ceil(0.6 * n), math.floor(0.9 * n) - n_twice + 1))
        ranking = np.argsort(-(eagerness + rng.normal(0.0, 0.2, size=n)), kind="stable")
        answering = np.sort(np.concatenate([
            ranking[camps[ranking] == c][: round(n_answering * np.mean(camps == c))] for c in np.unique(camps)
        ]))
        # A few partners answer twice (e.g. the director and a field worker).
        twice = rng.choice(answering, size=n_twice, replace=False)
        who = np.concatenate([answering, twice])
        r = len(who)
        anonymous = rng.random(r) < 0.15
        effect = outlook[who] + rng.normal(0.0, 0.15, size=r)
        latent = mean[None, :] + step[None, :] * (wave - 1) + effect[:, None]
        latent = latent + rng.normal(0.0, survey.sd_answer, size=(r, len(items)))
        score = np.clip(np.rint(latent), 1, 5)
        score[rng.random((r, len(items))) < dont_know[None, :]] = np.nan
        days = np.sort(rng.integers(0, 29, size=r))
        answered = np.datetime64(begin, "D") + days.astype("timedelta64[D]")
        order = rng.permutation(r)  # respondent numbers follow the answer dates, not the partner list
        partner_of = np.where(anonymous, None, partners[who])[order]
        if survey.panel:
            # The same person answers for a partner at every wave ("b": its second respondent).
            second = np.arange(r) >= len(answering)
            respondents = np.array([f"R{p + 1:02d}" + ("b" if s else "") for p, s in zip(who, second, strict=True)],
                                   dtype=object)[order]
        else:
            respondents = np.array([f"R{wave}-{j + 1:02d}" for j in range(r)], dtype=object)
        m = len(items)
        out.arrays["responses"].append({
            "territory_id": np.full(r * m, tid, dtype=object),
            "wave": np.full(r * m, wave, dtype=np.int64),
            "respondent_id": np.repeat(respondents, m),
            "partner_id": np.repeat(partner_of, m),
            "item_id": np.tile(item_ids, r),
            "score": score[order].ravel(),
            "answered_on": np.repeat(answered, m),
        })
    return windows


def _theory_of_change(profile: _Profile, tid: str, out: _Collector) -> None:
    for oid, label, level, leads_to in profile.outcomes:
        out.rows["outcomes"].append((tid, oid, label, level, join_ids(leads_to) if leads_to else None))


def _indicators(profile: _Profile, tid: str, rng: np.random.Generator, as_of: date, out: _Collector) -> None:
    for ind in profile.indicators:
        month, day = ind.month_day
        baseline_date = date(as_of.year - ind.years_before, month, day)
        target_date = date(as_of.year + ind.years_after, month, day)
        out.rows["indicators"].append((
            tid, ind.id, ind.label, ind.unit, ind.outcome, float(ind.baseline), baseline_date,
            float(ind.target), target_date, ind.source,
        ))
        if ind.pace is None:
            continue
        span = (target_date - baseline_date).days
        gap = ind.target - ind.baseline
        for year in range(baseline_date.year + 1, as_of.year + 1):
            when = date(year, month, day)
            draw_drop, draw_blank, noise = rng.random(), rng.random(), rng.normal()
            if when > as_of or draw_drop < profile.measure_drop:
                continue
            elapsed = (when - baseline_date).days / span
            value = ind.baseline + gap * ind.pace * elapsed + noise * 0.04 * abs(gap)
            value = round(max(value, 0.0), ind.decimals)
            if draw_blank < profile.measure_blank:
                value = np.nan
            out.rows["measurements"].append((tid, ind.id, when, float(value)))


def _activities(profile: _Profile, tid: str, start: date, as_of: date, out: _Collector) -> None:
    age = (as_of - start).days
    for aid, label, pid, oid, begin, end in profile.activities:
        begin_date = start + timedelta(days=round(begin * age))
        end_date = None if end is None else start + timedelta(days=round(end * age))
        out.rows["activities"].append((tid, aid, label, pid, oid, begin_date, end_date))


def _meetings(profile: _Profile, tid: str, partner_ids: list[str], kinds: dict, rng: np.random.Generator,
              as_of: date, out: _Collector) -> None:
    plan = profile.meetings
    invited = {
        "comite_pilotage": [p for p in partner_ids if kinds[p] in _COPIL_KINDS],
        "comite_technique": [p for p in partner_ids if kinds[p] not in _COTECH_EXCLUDED],
        "pleniere": partner_ids,
        "rencontre_habitants": [p for p in partner_ids if kinds[p] in _INHABITANT_KINDS],
    }
    year_start = as_of - timedelta(days=365)
    six_months = as_of - timedelta(days=182)
    meetings = []
    for kind in _KIND_ORDER:
        count = plan.counts.get(kind, 0)
        for i in range(count):
            offset = (i + 0.5) * 365 / count + int(rng.integers(-6, 7))
            day = year_start + timedelta(days=int(min(max(offset, 1), 364)))
            day = _meeting_day(day, as_of)
            if kind == "groupe_travail":
                theme, members = plan.groups[i % len(plan.groups)]
                title, guests = f"Groupe de travail « {theme} »", list(members)
            else:
                title, guests = _TITLES[kind][i % len(_TITLES[kind])], invited[kind]
            present = rng.random(len(guests)) < plan.attend
            backbone_here = rng.random() < plan.backbone_attend
            attendees = [
                g for g, here in zip(guests, present, strict=True)
                if here and g != profile.backbone and not (day >= six_months and g in plan.absent)
            ]
            if backbone_here or len(attendees) < 2:
                attendees.append(profile.backbone)
            attendees.sort(key=partner_ids.index)
            meetings.append((day, _KIND_ORDER.index(kind), kind, title, attendees))
    meetings.sort(key=lambda m: (m[0], m[1]))
    for number, (day, _, kind, title, attendees) in enumerate(meetings, start=1):
        out.rows["meetings"].append((tid, f"M{number:03d}", day, kind, title, join_ids(attendees)))


def _actions(profile: _Profile, tid: str, as_of: date, out: _Collector) -> None:
    """The action plan and its review notes, dated from the as-of date."""
    def day(offset: int | None) -> date | None:
        return None if offset is None else as_of + timedelta(days=offset)

    for a in profile.actions:
        out.rows["actions"].append((tid, a.id, a.title, a.condition, a.outcome, a.indicator, a.partner, a.wave,
                                    a.origin, day(a.start), day(a.due), a.status))
    for action_id, offset, note, status in profile.reviews:
        out.rows["action_reviews"].append((tid, action_id, day(offset), note, status))


def _ratings(rng: np.random.Generator, mean: np.ndarray, m: int) -> np.ndarray:
    """Three 1–4 ratings for each of ``m`` relations around each relation's mean."""
    return np.clip(np.rint(mean[:, None] + rng.normal(0.0, 0.45, size=(m, 3))), 1, 4)


def _relations(profile: _Profile, tid: str, partner_ids: list[str], rng: np.random.Generator,
               out: _Collector) -> None:
    """The partner network at the last two waves of the questionnaire (1 and 2 but where it has more).

    Partners answering at the first answer again at the second (a few more join), and each pair keeps
    its propensity to be tied and its own warmth, so a relation of the first stays at the second when
    the tie rate does not fall and its ratings move by the designed gain plus noise.
    """
    net = profile.network
    ids = np.array(partner_ids, dtype=object)
    n = len(ids)
    backbone = ids == profile.backbone
    camp = np.array([profile.camps.get(p, 0) for p in partner_ids])
    cross = (camp[:, None] != camp[None, :]) if profile.camps else np.zeros((n, n), dtype=bool)
    eagerness = rng.random(n)
    propensity = rng.random((n, n))
    level_draw = rng.choice(len(_LEVELS), size=(n, n), p=net.levels)
    warmth = rng.normal(0.0, 0.35, size=(n, n))  # how a partner sees another, beyond the average
    regard = rng.normal(0.0, 0.35, size=(n, n))
    trust_mean = np.where(cross, net.cross_camp_trust or net.trust, net.trust) + warmth
    value_mean = net.value + regard
    boost = np.where(backbone[:, None] | backbone[None, :], net.backbone_tie, 0.0)
    tie_rate = (np.array(net.tie)[:, None, None] + boost) * np.where(cross, net.cross_camp_tie, 1.0)
    first = profile.survey.waves - 1  # the network is surveyed at the last two waves of the questionnaire
    for wave in (1, 2):
        answering = (eagerness < net.respond + 0.05 * (wave - 1)) | backbone
        tie = (propensity < tie_rate[wave - 1]) & answering[:, None] & ~np.eye(n, dtype=bool)
        src, dst = np.nonzero(tie)
        m = len(src)
        level = level_draw[src, dst]
        if wave == 2:
            level = np.minimum(level + (rng.random(m) < net.level_gain), len(_LEVELS) - 1)
        trust = _ratings(rng, trust_mean[src, dst] + net.trust_gain * (wave - 1), m)
        value = _ratings(rng, value_mean[src, dst], m)
        if net.backbone_resources is not None:
            to_backbone = backbone[dst]
            value[to_backbone, 2] = np.clip(
                np.rint(net.backbone_resources + rng.normal(0.0, 0.5, size=int(to_backbone.sum()))), 1, 4
            )
        ratings = np.concatenate([trust, value], axis=1)
        ratings[rng.random((m, 6)) < net.missing] = np.nan
        ratings[level == 0] = np.nan  # no interaction: nothing to rate
        part = {
            "territory_id": np.full(m, tid, dtype=object),
            "wave": np.full(m, first + wave - 1, dtype=np.int64),
            "from_partner": ids[src],
            "to_partner": ids[dst],
            "interaction": _LEVELS[level],
        }
        for j, column in enumerate(_TRUST + _VALUE):
            part[column] = ratings[:, j]
        out.arrays["relations"].append(part)
