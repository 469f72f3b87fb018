"""The messages of the personal link and of the results given back
(``i18n/messages/questionnaire.yaml``): every one used exists in both languages, none is left unused."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import collective_impact.apps
from collective_impact.i18n import catalogue

APPS = Path(collective_impact.apps.__file__).parent
MESSAGES = Path(collective_impact.i18n.__file__).parent / "messages" / "questionnaire.yaml"


def test_questionnaire_messages_are_defined_in_both_languages_and_used():
    source = "".join((APPS / name).read_text(encoding="utf-8") for name in ("questionnaire.py", "results.py"))
    used = set(re.findall(r"""["'](questionnaire\.[a-z0-9_.]+)["']""", source))
    defined = set(yaml.safe_load(MESSAGES.read_text(encoding="utf-8")))
    assert sorted(used - defined) == []
    assert sorted(defined - used) == []  # nothing left unused
    texts = catalogue()
    assert [key for key in defined if not (texts[key].get("fr", "").strip() and texts[key].get("en", "").strip())] == []
