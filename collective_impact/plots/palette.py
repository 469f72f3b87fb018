"""The one palette: colours of bands, indicator statuses, levels and meeting kinds, for figures, report tables and apps.

Pure constants (no matplotlib import), so that report tables, the batch index and the
apps can use the same colours as the figures without loading the plotting stack.
"""

from __future__ import annotations

#: The Okabe–Ito palette (Okabe & Ito 2008), distinguishable with the common colour
#: vision deficiencies.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
_GREY = "#8C8C8C"
_DARK = "#333333"
_LIGHT = "#E3E3E3"
_PALE = "#F4F4F4"

#: Colour of each reading band, in every figure that shows bands (radar rings, bars,
#: heatmap cells): strength green, to consolidate yellow, point of vigilance vermillion —
#: a traffic light whose three colours stay apart for colour-blind readers and, unlike
#: orange and vermillion, also as the light tints drawn behind scores.
BAND_COLOURS: dict[str, str] = {
    "force": OKABE_ITO["bluish_green"],
    "a_consolider": OKABE_ITO["yellow"],
    "vigilance": OKABE_ITO["vermillion"],
}
#: Colour of each indicator status (:data:`collective_impact.metrics.indicators.STATUSES`).
STATUS_COLOURS: dict[str, str] = {
    "achieved": OKABE_ITO["bluish_green"],
    "on_track": OKABE_ITO["sky_blue"],
    "behind": OKABE_ITO["orange"],
    "regressing": OKABE_ITO["vermillion"],
    "no_data": "#BDBDBD",
}
#: Fill of the boxes of the results chain: one blue, lighter upstream, darker toward impact.
LEVEL_COLOURS: dict[str, str] = {"activity": "#E1EEF8", "intermediate": "#B3D3EC", "impact": "#77AEDB"}
#: The backbone organisation, wherever partners are drawn.
BACKBONE_COLOUR = OKABE_ITO["reddish_purple"]
_PARTNER_COLOUR = OKABE_ITO["blue"]
#: Colour of each kind of meeting (timeline and attendance strip).
MEETING_KIND_COLOURS: dict[str, str] = {
    "comite_pilotage": OKABE_ITO["blue"],
    "comite_technique": OKABE_ITO["sky_blue"],
    "groupe_travail": OKABE_ITO["bluish_green"],
    "pleniere": OKABE_ITO["reddish_purple"],
    "rencontre_habitants": OKABE_ITO["orange"],
    "autre": _GREY,
}

#: Light tints of the same colours, behind table cells (report tables and apps).
BAND_TINTS = {"force": "#D5F0E6", "a_consolider": "#FBF6C9", "vigilance": "#F9DCCF"}
STATUS_TINTS = {"achieved": "#D5F0E6", "on_track": "#DCEEFA", "behind": "#FBEBCC", "regressing": "#F9DCCF",
                 "no_data": "#EEEEEE"}
GAP_TINTS = {"outcome_without_activity": "#F9DCCF", "outcome_single_partner": "#FBEBCC"}
DEPART_TINT = "#FBEBCC"
