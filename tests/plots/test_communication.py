"""Tests of collective_impact.plots.communication: meeting timeline and attendance."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from collective_impact.plots.communication import MEETING_KIND_COLOURS, attendance_heatmap, meeting_timeline


def test_one_partner(gare, draw, attendance_figure):
    one = dict(gare, partners=gare["partners"].iloc[:1], meetings=gare["meetings"].assign(attendees="P01"))
    fig = draw(attendance_figure(one["meetings"], one["partners"]))
    assert "100\u202f%" in fig.texts  # the only partner came to every meeting


def test_rates_drawn_are_the_rates_given(gare, draw):
    meetings = gare["meetings"]
    rates = pd.DataFrame({"territory_id": "QPV-GARE", "partner_id": ["P02", "P01"], "name": ["Beta", "Alpha"],
                          "attendance_rate": [0.25, 0.5]})
    fig = draw(attendance_heatmap(meetings, rates))
    # one row per partner given, in partner_id order, with the rate given written on the right
    assert [t.get_text() for t in fig.fig.axes[1].get_yticklabels()] == ["Alpha", "Beta"]
    right = [s for s in fig.texts if s.endswith("%")]  # the labels of the secondary axis, top to bottom
    assert right == ["50\u202f%", "25\u202f%"]


def test_no_meetings(gare, draw, attendance_figure):
    none = gare["meetings"].iloc[:0]
    assert draw(meeting_timeline(none)).says("Aucune réunion enregistrée pour ce territoire.")
    assert draw(attendance_figure(none, gare["partners"])).says("Aucune réunion enregistrée pour ce territoire.")
    assert draw(meeting_timeline(none, lang="en")).says("No meeting recorded for this territory.")


def test_meetings_without_attendee_list(gare, draw, attendance_figure, as_of):
    meetings = gare["meetings"].copy()
    meetings.loc[meetings.index[:3], "attendees"] = np.nan
    assert "Liste non renseignée" in draw(attendance_figure(meetings, gare["partners"])).texts
    timeline = draw(meeting_timeline(meetings, as_of=as_of))
    assert "Participants non renseignés" in timeline.texts


def test_cells_drawn_are_the_attendance_lists(gare, draw):
    meetings = gare["meetings"].copy()
    meetings.loc[meetings.index[2], "attendees"] = np.nan  # a list not recorded: neither present nor absent
    partners = gare["partners"]
    rates = pd.DataFrame({"territory_id": "QPV-GARE", "partner_id": sorted(partners["partner_id"]), "name": "x",
                          "attendance_rate": 0.5})
    drawing = draw(attendance_heatmap(meetings, rates))
    fig = drawing.fig
    ordered = meetings.sort_values(["date", "meeting_id"], kind="stable").reset_index(drop=True)
    rows = {pid: i for i, pid in enumerate(sorted(partners["partner_id"]))}
    present, absent = set(), set()
    for j, attendees in enumerate(ordered["attendees"]):
        if isinstance(attendees, str):
            came = {a.strip() for a in re.split(r"[;,]", attendees)}
            present |= {(rows[p], j) for p in rows if p in came}
            absent |= {(rows[p], j) for p in rows if p not in came}
    assert present and absent
    assert drawing.cells(fig.axes[1], "#3D3D3D") == present
    assert drawing.cells(fig.axes[1], "#ECECEC") == absent
    # the strip: one cell per meeting, coloured by its kind
    strip = fig.axes[0]
    for kind in ordered["kind"].unique():
        expected = {(0, j) for j in ordered.index[ordered["kind"] == kind]}
        assert drawing.cells(strip, MEETING_KIND_COLOURS[kind]) == expected
