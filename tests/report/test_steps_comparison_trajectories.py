"""Tests of the comparison report's section "trajectoires": every territory's trajectory side by side and the
table of first-to-last changes with their verdict, on hand-built territories whose verdicts are known by hand."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from support import canonical_table as table

from collective_impact.framework import load_framework
from collective_impact.report.bundle import ComparisonData
from collective_impact.report.steps import build_comparison
from collective_impact.report.steps.comparison import trajectories_section

FW = load_framework()
PARTNERS = ("P1", "P2", "P3")
# territory → condition → {wave: the score every partner gives the condition's first item}. Within a wave the
# three partners agree, so every bootstrap replicate gives the same change: the interval is the change itself,
# and the verdict is known by hand (an interval [0, 0] touches 0: no net change).
DESIGN = {
    "A": {"agenda": {1: 2, 3: 4},          # +2: net rise
          "mesure": {1: 3, 3: 3},          # 0: no net change
          "pivot": {1: 4, 3: 2},           # −2: net fall
          "communication": {2: 3, 3: 5}},  # from its own first wave, 2: +2, net rise
    "B": {"agenda": {1: 3}, "pivot": {1: 4}},  # one wave only
    "C": {},                               # no answer at all
}
NAMES = {"A": "Les <b>Aulnes</b>", "B": "Bourg *centre*", "C": "Sans réponse"}


def comparison(design: dict, *, lang: str = "fr", names: dict[str, str] = NAMES) -> ComparisonData:
    rows = [{"territory_id": territory, "wave": wave, "respondent_id": f"{partner}-{wave}", "partner_id": partner,
             "item_id": f"{condition}_1", "score": score}
            for territory, conditions in design.items() for condition, waves in conditions.items()
            for wave, score in waves.items() for partner in PARTNERS]
    territories = table("territories", [[tid, names[tid], "demarrage"] for tid in design],
                        ["territory_id", "name", "phase"])
    return ComparisonData(names={tid: names[tid] for tid in design},
                          tables={"territories": territories, "responses": table("responses", rows)},
                          framework=FW, as_of=pd.Timestamp("2026-06-30"), lang=lang, store_path=Path("-"))


class Section:
    """The section's blocks by name and its conclusions, built alone (the other sections cost seconds)."""

    def __init__(self, data: ComparisonData) -> None:
        blocks, lines = trajectories_section(data)
        self.blocks = blocks
        self.conclusions = "\n".join(lines)

    def block(self, name: str):
        return next(block for block in self.blocks if block.name == name)


def plain(text: str) -> str:
    return html.unescape(text).replace("\u202f", " ").replace("\u00a0", " ")


def table_cells(content: str) -> tuple[list[str], list[list[str]]]:
    rows = re.findall(r"<tr>(.*?)</tr>", content, flags=re.DOTALL)
    headers = [plain(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", rows[0])]
    cells = [[plain(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
             for row in rows[1:]]
    return headers, cells


def test_the_table_gives_each_change_and_its_verdict():
    section = build_comparison(comparison(DESIGN))["trajectoires"]
    assert [b.name for b in section.blocks] == ["trajectories", "first_last_changes"]
    headers, cells = table_cells(section.block("first_last_changes").content)
    assert headers == ["Territoire", "Vagues comparées", *(c.label("fr") for c in FW.conditions)]
    by_condition = {c.id: 2 + k for k, c in enumerate(FW.conditions)}
    # C has no answer: not in the table; names as given, escaped
    assert [row[:2] for row in cells] == [["Les <b>Aulnes</b>", "1 → 3"], ["Bourg *centre*", "vague 1 seulement"]]
    a, b = cells
    assert a[by_condition["agenda"]] == "+2,00 (hausse nette)"
    assert a[by_condition["mesure"]] == "0,00 (pas de changement net)"
    assert a[by_condition["pivot"]] == "−2,00 (baisse nette)"
    assert a[by_condition["communication"]] == "+2,00 (hausse nette)"
    assert a[by_condition["activites"]] == "—"  # never answered
    assert b[by_condition["agenda"]] == b[by_condition["pivot"]] == "une seule vague"
    assert "<b>Aulnes" not in section.block("first_last_changes").content  # escaped
    # the tints follow the verdicts, and the text says the same
    content = section.block("first_last_changes").content
    assert content.count("background-color: #D5F0E6") == 2 and content.count("background-color: #F9DCCF") == 1


def test_the_conclusions_name_the_net_changes_and_the_territories_with_one_wave():
    section = Section(comparison(DESIGN))
    # names from the data escaped for Markdown and HTML, as every sentence of the report
    conclusions = section.conclusions.replace("\u202f", " ").replace("\u00a0", " ")
    aulnes = "« Les &lt;b&gt;Aulnes&lt;/b&gt; »"
    assert (f"Hausses nettes depuis la première vague : **Agenda commun** ({aulnes}) ; "
            f"**Communication continue** ({aulnes})") in conclusions
    assert (f"Baisses nettes depuis la première vague : **Structure de soutien (structure pivot)** ({aulnes})"
            in conclusions)
    assert "Une seule vague pour l'instant pour 1 territoire (« Bourg \\*centre\\* »)" in conclusions
    assert "<b>" not in conclusions
    assert "pas tous suivis depuis aussi longtemps" in conclusions
    assert "Sans réponse" not in conclusions and "« A »" not in conclusions


def test_the_small_multiples_are_drawn_for_the_territories_with_answers():
    section = Section(comparison(DESIGN))
    block = section.block("trajectories")
    assert "2 territoires" in block.alt
    assert isinstance(block.figure(), Figure)


def test_no_territory_followed_twice_yet():
    section = Section(comparison({"B": DESIGN["B"]}))
    _, cells = table_cells(section.block("first_last_changes").content)
    assert cells[0][1] == "vague 1 seulement"
    conclusions = plain(section.conclusions)
    assert "Aucun territoire n'a encore deux vagues de réponses" in conclusions
    assert "Hausses nettes" not in conclusions and "Une seule vague pour" not in conclusions


def test_no_net_change_is_said_so():
    flat = {"A": {"mesure": DESIGN["A"]["mesure"]}}
    conclusions = plain(Section(comparison(flat)).conclusions)
    assert "Aucune évolution nette depuis la première vague" in conclusions
    assert "pas tous suivis" not in conclusions  # one territory, one span


def test_without_any_answer():
    section = Section(comparison({"C": {}}))
    assert [b.name for b in section.blocks] == ["no_trajectories"]
    assert "pas de trajectoire à montrer" in section.block("no_trajectories").content


def test_in_english():
    section = build_comparison(comparison(DESIGN, lang="en"))["trajectoires"]
    assert section.title == "Trajectories, wave after wave"
    headers, cells = table_cells(section.block("first_last_changes").content)
    assert headers[:2] == ["Territory", "Waves compared"]
    assert cells[0][2 + FW.condition_ids.index("agenda")] == "+2.00 (net rise)"
    assert cells[1][1] == "wave 1 only"
    assert "Net falls since the first wave" in plain(section.conclusions)


def test_many_territories_with_one_wave_are_counted_not_all_named():
    many = {"A": DESIGN["A"], **{f"B{k}": DESIGN["B"] for k in range(7)}}
    names = {"A": NAMES["A"], **{f"B{k}": f"Bourg {k}" for k in range(7)}}
    conclusions = plain(Section(comparison(many, names=names)).conclusions)
    assert "Une seule vague pour l'instant pour 7 territoires (« Bourg 0 »" in conclusions
    assert "« Bourg 3 »" in conclusions and "« Bourg 4 »" not in conclusions  # the first four, then a count
