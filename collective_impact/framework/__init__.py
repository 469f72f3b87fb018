"""The collective impact framework as data: conditions, items, phases, bands.

A framework version is a YAML file in this folder (``ci2011.yaml``, ``ci30.yaml``);
:func:`load_framework` reads it into frozen dataclasses. Nothing about the five
conditions is written in code. Its texts have the catalogue's shape, ``{fr: ..., en: ...}``,
and are read into :class:`collective_impact.i18n.Text`, like every bilingual text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from collective_impact.errors import FrameworkError
from collective_impact.i18n import DEFAULT_LANG, Text, read_yaml, t

DEFAULT_FRAMEWORK = "ci2011"
_HERE = Path(__file__).parent


@dataclass(frozen=True)
class Item:
    """One questionnaire item, answered on the 1–5 scale."""

    id: str
    condition: str
    text: Text
    help: Text
    backbone_function: int | None = None


@dataclass(frozen=True)
class Condition:
    """One of the five conditions of collective impact."""

    id: str
    label: Text
    definition: Text
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Phase:
    """A phase of an initiative's life (FSG 2014)."""

    id: str
    label: Text
    years: tuple[float, float | None]
    evaluation: Text
    question: Text


@dataclass(frozen=True)
class BackboneFunction:
    """One of the six backbone functions (FSG / Greater Cincinnati Foundation, 2012)."""

    id: int
    label: Text


@dataclass(frozen=True)
class Bands:
    """Reading bands of a mean score, compared on unrounded values.

    ``score >= thresholds['force']`` → ``force``; else ``score >= thresholds['a_consolider']``
    → ``a_consolider``; else ``vigilance``. A missing score has no band (``None``).
    """

    thresholds: tuple[tuple[str, float], ...]
    order: tuple[str, ...]
    labels: dict

    def band(self, score: float | None) -> str | None:
        """Return the band id of ``score`` (``None`` when the score is missing)."""
        if score is None or (isinstance(score, float) and math.isnan(score)):
            return None
        for band_id, threshold in self.thresholds:
            if score >= threshold:
                return band_id
        return self.order[-1]

    def label(self, band_id: str | None, lang: str = "fr") -> str:
        """Return the label of a band in ``lang`` (an empty string for no band)."""
        if band_id is None:
            return ""
        return self.labels[band_id](lang)

    def with_thresholds(self, **thresholds: float) -> Bands:
        """Return a copy with other thresholds, e.g. ``with_thresholds(force=3.8)``."""
        new = dict(self.thresholds) | thresholds
        ordered = tuple(sorted(new.items(), key=lambda kv: -kv[1]))
        return Bands(ordered, self.order, self.labels)


@dataclass(frozen=True)
class Framework:
    """A version of the collective impact framework."""

    id: str
    label: Text
    scale_min: int
    scale_max: int
    scale_labels: dict
    dont_know: Text
    conditions: tuple[Condition, ...]
    phases: tuple[Phase, ...]
    backbone_functions: tuple[BackboneFunction, ...]
    bands: Bands

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, in questionnaire order."""
        return tuple(item for c in self.conditions for item in c.items)

    @property
    def condition_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.conditions)

    @property
    def phase_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.phases)

    def condition(self, condition_id: str) -> Condition:
        for c in self.conditions:
            if c.id == condition_id:
                return c
        raise FrameworkError(t("framework.unknown_condition", DEFAULT_LANG, id=condition_id, known=", ".join(self.condition_ids)))

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise FrameworkError(t("framework.unknown_item", DEFAULT_LANG, id=item_id))

    def phase(self, phase_id: str) -> Phase:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise FrameworkError(t("framework.unknown_phase", DEFAULT_LANG, id=phase_id, known=", ".join(self.phase_ids)))

    def items_frame(self, lang: str = "fr"):
        """Items as a DataFrame: item_id, condition, position, backbone_function, text."""
        import pandas as pd

        rows = [
            {
                "item_id": item.id,
                "condition": item.condition,
                "position": i,
                "backbone_function": item.backbone_function,
                "text": item.text(lang),
            }
            for i, item in enumerate(self.items)
        ]
        frame = pd.DataFrame(rows)
        frame["backbone_function"] = frame["backbone_function"].astype("Int64")
        return frame


def available_frameworks() -> list[str]:
    """Ids of the framework versions shipped with the package."""
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


@cache
def load_framework(framework_id: str = DEFAULT_FRAMEWORK) -> Framework:
    """Load a framework version by id (``"ci2011"``, the default, or ``"ci30"``).

    Raises
    ------
    FrameworkError
        When the id is unknown (the message lists the known ids) or the file is malformed.
    """
    known = available_frameworks()
    if framework_id not in known:
        raise FrameworkError(t("framework.unknown", DEFAULT_LANG, id=framework_id, known=", ".join(known)))
    path = _HERE / f"{framework_id}.yaml"
    try:
        raw = read_yaml(path)
        conditions = tuple(
            Condition(
                id=c["id"],
                label=Text.read(c["label"]),
                definition=Text.read(c["definition"]),
                items=tuple(
                    Item(
                        id=i["id"],
                        condition=c["id"],
                        text=Text.read(i["text"]),
                        help=Text.read(i["help"]),
                        backbone_function=i.get("backbone_function"),
                    )
                    for i in c["items"]
                ),
            )
            for c in raw["conditions"]
        )
        phases = tuple(
            Phase(
                id=p["id"],
                label=Text.read(p["label"]),
                years=(p["years"][0], p["years"][1]),
                evaluation=Text.read(p["evaluation"]),
                question=Text.read(p["question"]),
            )
            for p in raw["phases"]
        )
        functions = tuple(BackboneFunction(id=int(f["id"]), label=Text.read(f["label"])) for f in raw["backbone_functions"])
        b = raw["bands"]
        bands = Bands(
            thresholds=tuple(sorted(((k, float(v)) for k, v in b["thresholds"].items()), key=lambda kv: -kv[1])),
            order=tuple(b["order"]),
            labels={k: Text.read(v) for k, v in b["labels"].items()},
        )
        scale = raw["scale"]
        return Framework(
            id=raw["id"],
            label=Text.read(raw["label"]),
            scale_min=int(scale["min"]),
            scale_max=int(scale["max"]),
            scale_labels={lang: tuple(v) for lang, v in scale["labels"].items()},
            dont_know=Text.read(scale["dont_know"]),
            conditions=conditions,
            phases=phases,
            backbone_functions=functions,
            bands=bands,
        )
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as err:
        raise FrameworkError(t("framework.malformed", DEFAULT_LANG, file=path.name, detail=err)) from err


def resolve_framework(framework: Framework | str | None) -> Framework:
    """Return ``framework`` as a :class:`Framework` (``None`` → the default, a str → that id).

    Raises
    ------
    FrameworkError
        When ``framework`` is the id of no framework version.
    """
    if framework is None:
        return load_framework()
    if isinstance(framework, str):
        return load_framework(framework)
    return framework


__all__ = [
    "DEFAULT_FRAMEWORK",
    "BackboneFunction",
    "Bands",
    "Condition",
    "Framework",
    "Item",
    "Phase",
    "available_frameworks",
    "load_framework",
    "resolve_framework",
]
