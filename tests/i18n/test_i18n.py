"""The text catalogue: every message in French and English, every key used is defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collective_impact.i18n import catalogue, check_lang, t

ROOT = Path(__file__).resolve().parents[2]
KEY_USE = re.compile(r"""\b(?:t|message)\(\s*["']([a-z_0-9]+\.[a-z_0-9.]+)["']""")


def test_every_message_exists_in_both_languages():
    for key, texts in catalogue().items():
        assert set(texts) >= {"fr", "en"}, key
        assert str(texts["fr"]).strip() and str(texts["en"]).strip(), key


def test_french_and_english_have_the_same_placeholders():
    # "{n_noun}" is a number with its noun: word order may attach it to another number in
    # each language ("{good_noun} sur {n}" / "{good} of {n_noun}"), hence the suffix is dropped
    placeholder = re.compile(r"\{(\w+?)(?:_noun)?(?:[:!][^}]*)?\}")
    for key, texts in catalogue().items():
        fields = [sorted(set(placeholder.findall(str(texts[lang])))) for lang in ("fr", "en")]
        assert fields[0] == fields[1], key


def test_every_literal_key_used_in_the_package_and_notebooks_is_defined():
    sources = list((ROOT / "collective_impact").rglob("*.py")) + list((ROOT / "notebooks").rglob("*.ipynb"))
    used = {key for path in sources for key in KEY_USE.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 50  # the scan found the calls
    missing = sorted(used - set(catalogue()))
    assert missing == []


def test_formatting_and_language_choice():
    assert t("problem.row", "fr", row=7) == "ligne 7"
    assert t("problem.row", "en", row=7) == "row 7"
    with pytest.raises(KeyError):
        t("no.such.key")
    with pytest.raises(ValueError, match="fr, en"):
        check_lang("de")
