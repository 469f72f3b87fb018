"""The demo data set built: territories cycling through the profiles, each from its own random stream.

:func:`demo_tables` gives the canonical tables, :func:`write_demo_workbook` the workbook
(see the package's notes on the profiles and on reproducibility).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from collective_impact.demo.disagreeing import _DISAGREEING
from collective_impact.demo.followed import _FOLLOWED
from collective_impact.demo.mature import _MATURE
from collective_impact.demo.model import _Profile
from collective_impact.demo.starting import _STARTING
from collective_impact.demo.tables import (
    _actions,
    _activities,
    _Collector,
    _indicators,
    _meetings,
    _relations,
    _responses,
    _theory_of_change,
    _years_before,
)
from collective_impact.demo.weak_backbone import _WEAK_BACKBONE
from collective_impact.i18n import t
from collective_impact.io import write_workbook
from collective_impact.schema import TABLES

DEFAULT_SEED = 2026
DEFAULT_AS_OF = date(2026, 10, 1)
_PROFILES: tuple[_Profile, ...] = (_MATURE, _STARTING, _WEAK_BACKBONE, _DISAGREEING)
"""The four designed profiles, in the order territories cycle through them."""
_DEMO: tuple[_Profile, ...] = (*_PROFILES, _FOLLOWED)
"""The demo territories: the four profiles, then the territory followed over five waves."""


def _profile(k: int) -> _Profile:
    """The profile of territory ``k``: the demo's own for the first five, then the four in turn."""
    return _DEMO[k] if k < len(_DEMO) else _PROFILES[k % len(_PROFILES)]


# Names of the extra territories (benchmarks): fictional neighbourhoods and communes.
_EXTRA_QUARTIERS = (
    "Les Acacias", "Les Peupliers", "La Source", "Le Moulin", "Les Glycines", "Le Plateau", "Les Érables",
    "La Roseraie", "Les Chênes", "Le Val Fleuri", "Les Cèdres", "La Fontaine", "Les Lilas", "Le Parc",
    "Les Marronniers", "Les Coteaux", "La Pépinière", "Les Sablons", "Le Bois-Joli", "Les Aubépines",
)
_EXTRA_COMMUNES = (
    "Montclair-sur-Vesle", "Saint-Aubin-des-Prés", "Roncières-la-Grande", "Villebrune", "Beaurivage-sur-Loue",
    "Champlaurent", "Sainte-Colombe-des-Vignes", "Pont-Varel", "Lormière-sur-Sauldre", "Fontbrune-les-Bois",
    "Vaudrecourt", "Saint-Méen-des-Landes", "Castelroux", "Bourg-Aval", "Marcenay-le-Haut", "Port-Aubert",
    "Valcombe", "Saint-Éloi-des-Marais", "Neuvillers", "Rochebelle", "Beaumesnil-sur-Tarne", "Clairvaux-les-Monts",
    "Sauveterre-du-Lys", "Montferrand-la-Rivière", "Belcastel-sur-Ombre", "Villars-des-Pins", "Loubens-le-Vieux",
    "Saint-Ferréol-d'Aval", "Charmeil-sur-Arve", "Mirebel",
)


@dataclass
class _Identity:
    territory_id: str
    name: str
    quartier: str
    commune: str
    qpv_code: str | None


def _identity(profile: _Profile, k: int, rng: np.random.Generator) -> _Identity:
    """Id, name and place of territory ``k``: the profile's own for the first five, new ones after."""
    if k < len(_DEMO):
        return _Identity(profile.territory_id, profile.name, profile.quartier, profile.commune, profile.qpv_code)
    j = k - len(_PROFILES)
    # Every (neighbourhood, commune) pair comes once in the first 600 extra territories.
    commune = _EXTRA_COMMUNES[j % len(_EXTRA_COMMUNES)]
    quartier = _EXTRA_QUARTIERS[(j + j // len(_EXTRA_COMMUNES)) % len(_EXTRA_QUARTIERS)]
    if profile.qpv_format is None:
        quartier = f"Pays de {commune}"
        name = quartier
    else:
        name = f"{quartier} – {commune}"
    number = int(rng.integers(1, 100))
    qpv = {
        "QN": f"QN{profile.department_code}{number:02d}M",
        "QP": f"QP{profile.department_code}{number:03d}",
        None: None,
    }[profile.qpv_format]
    return _Identity(f"{profile.territory_id}-{k + 1:04d}", name, quartier, commune, qpv)


def _territory(k: int, seed: int, as_of: date, out: _Collector) -> None:
    profile = _profile(k)
    rng = np.random.default_rng([seed, k])
    who = _identity(profile, k, rng)
    tid = who.territory_id
    if who.name in out.names:  # many territories (benchmarks): names come round again
        who.name = f"{who.name} ({k + 1})"
    out.names.add(who.name)
    start = _years_before(as_of, rng.uniform(*profile.age_years)).replace(day=1)
    out.rows["territories"].append(
        (tid, who.name, who.commune, profile.department, who.qpv_code, profile.phase, start)
    )

    partner_ids = [p[0] for p in profile.partners]
    kinds = {pid: kind for pid, _, kind in profile.partners}
    for pid, name, kind in profile.partners:
        label = name.format(commune=who.commune, quartier=who.quartier)
        out.rows["partners"].append((tid, pid, label, kind, pid == profile.backbone))

    survey_windows = _responses(profile, tid, rng, as_of, out)
    _theory_of_change(profile, tid, out)
    _indicators(profile, tid, rng, as_of, out)
    _activities(profile, tid, start, as_of, out)
    _meetings(profile, tid, partner_ids, kinds, rng, as_of, out)
    _relations(profile, tid, partner_ids, rng, out)
    _actions(profile, tid, as_of, out)
    for wave, condition, band, justification in profile.judgments:
        # A month after the wave closed, and never after the as-of date (the last wave closes two weeks before it).
        recorded = min(survey_windows[wave - 1][1] + timedelta(days=30), as_of - timedelta(days=1))
        out.rows["judgments"].append(
            (tid, wave, condition, band, justification, "Équipe d'évaluation", recorded)
        )


def demo_tables(
    *, seed: int = DEFAULT_SEED, n_territories: int = len(_DEMO), as_of: date = DEFAULT_AS_OF
) -> dict[str, pd.DataFrame]:
    """Return the demo data set: canonical typed tables for every table of the schema.

    Parameters
    ----------
    seed
        Seed of the random streams; the same seed gives the same tables on every run.
    n_territories
        Number of territories (default 5, the demo). Territory ``k`` (0-based) follows
        profile ``k % 4`` (mature, starting, weak backbone, disagreeing), except territory 4,
        the one followed over five waves (``QPV-CANAL``). The first five are the designed
        demo territories; the others get their own ids (``QPV-NORD-0009``…), names and seeds.
    as_of
        The date the data set describes: the last wave closes two weeks before it, meetings
        cover the year before it, measurements and review notes stop at it, actions are
        dated from it.

    Returns
    -------
    dict[str, DataFrame]
        One frame per table id of :data:`collective_impact.schema.TABLES`, columns in schema
        order with the schema dtypes.
    """
    if isinstance(n_territories, bool) or not isinstance(n_territories, int) or n_territories < 1:
        raise ValueError(t("demo.n_territories", "fr", value=n_territories))
    out = _Collector()
    for k in range(n_territories):
        _territory(k, seed, as_of, out)
    return {table_id: out.frame(table_id) for table_id in TABLES}


def write_demo_workbook(path: str | os.PathLike, *, lang: str = "fr", seed: int = DEFAULT_SEED) -> Path:
    """Write the demo workbook (the five demo territories) to ``path`` and return the path.

    The cell content is the same on every run; the header labels are in ``lang``.
    """
    write_workbook(demo_tables(seed=seed), path, lang=lang)
    return Path(path)
