"""Tests of collective_impact.report.tables: DataFrames as escaped HTML tables, and the report's recurring tables."""

from __future__ import annotations

import pandas as pd
import pytest

from collective_impact.report.tables import partner_table, show_table


def test_show_table_escapes_headers_and_cells_and_formats_numbers():
    frame = pd.DataFrame({"<i>Nom</i>": ["<script>alert(1)</script>", "A & B"], "Score": [3.456, float("nan")],
                          "Nombre": [1234, 5]})
    page = str(show_table(frame, lang="fr"))
    assert "<script>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;i&gt;Nom&lt;/i&gt;" in page
    assert "A &amp; B" in page
    assert "3,46" in page and "—" in page
    assert "1\u202f234" in page  # thousands separator, no decimals for integers
    assert "3.46" in str(show_table(frame, lang="en"))


def test_show_table_leaves_no_tex_for_mathjax():
    # JupyterLab and Voila run MathJax over HTML outputs: "$" and "\\" must not stand in one run of text
    frame = pd.DataFrame({"Taux $x$": ["$\\href{https://evil.example}{x}$", "*a*"]})
    page = str(show_table(frame, caption="\\(c\\)"))
    assert "$" not in page and "\\" not in page
    assert "<span>&#36;</span><span>&#92;</span>href{https://evil.example}{x}<span>&#36;</span>" in page
    assert "Taux <span>&#36;</span>x<span>&#36;</span>" in page
    assert "<caption><span>&#92;</span>(c<span>&#92;</span>)</caption>" in page
    assert ">*a*</td>" in page  # no Markdown escape in HTML


def test_show_table_refuses_a_colour_that_is_not_hex_and_applies_formats():
    frame = pd.DataFrame({"Taux": [0.5, 0.25]})
    with pytest.raises(ValueError, match="#RRGGBB"):
        show_table(frame, colours={"Taux": ["red", None]})
    page = str(show_table(frame, formats={"Taux": lambda v: f"{round(v * 100)} pour cent"},
                          colours={"Taux": ["#ABCDEF", None]}))
    assert "50 pour cent" in page and "25 pour cent" in page
    assert page.count("background-color: #ABCDEF") == 1


def test_partner_table_labels_kinds_and_backbone():
    partners = pd.DataFrame({"name": ["Mairie", "Centre social"], "kind": ["mairie", "inconnu"],
                             "is_backbone": pd.array([True, pd.NA], dtype="boolean")})
    frame = partner_table(partners, lang="fr")
    assert list(frame.columns) == ["Partenaire", "Type de structure", "Structure pivot"]
    assert frame["Structure pivot"].tolist() == ["oui", "non"]
    assert frame["Type de structure"].tolist() == ["Mairie / commune", "inconnu"]  # an unknown code as itself
