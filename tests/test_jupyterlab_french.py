"""JupyterLab in French: the ``lab`` extra installs the French language pack, the package
ships the default setting choosing it (``jupyter-config/…/overrides.d``, installed by the
wheel's shared data under ``<prefix>/share/jupyter/lab/settings/``), and every menu path the
README and the notebooks give (*Exécution → Exécuter toutes les cellules*) is made of the
pack's own labels.

Without JupyterLab (the ``lab`` extra not installed) the tests of the installed environment
are skipped, saying so; under ``CI=true`` that is a failure instead: CI installs the extra
(``make test`` → ``pip install -e ".[test,lab]"``), so they always run there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from jupyterlab_server.settings_utils import _get_overrides

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = "@jupyterlab/translation-extension:plugin"
PACK = "jupyterlab-language-pack-fr-FR"
# a menu path as the README and the notebooks write it: *Menu → Item*
MENU_PATH = re.compile(r"\*([^*→\n]+?) → ([^*\n]+?)\*")


def _shared_data() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]


def _need_lab() -> None:
    """Skip (fail under CI=true) when the ``lab`` extra is not installed."""
    try:
        importlib.metadata.distribution("jupyterlab")
    except importlib.metadata.PackageNotFoundError:
        reason = "JupyterLab is not installed (the lab extra: pip install -e '.[lab]')"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true: CI installs the lab extra, these tests must run")
        pytest.skip(reason)


def _menu_paths(text: str) -> set[tuple[str, str]]:
    return {(menu.strip(), item.strip()) for menu, item in MENU_PATH.findall(text)}


def _french_paths() -> set[tuple[str, str]]:
    """The French menu paths of the README and of the notebooks' Markdown cells."""
    texts = [(ROOT / "README.md").read_text(encoding="utf-8")]
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts += ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
    # the English lines of the notebooks give the English menus: not the pack's business
    return {(menu, item) for text in texts for menu, item in _menu_paths(text)
            if not menu.isascii() or not item.isascii()}


def test_overrides_file_installed_by_the_package_sets_french(tmp_path):
    # laid out as the wheel installs it (pyproject's shared data), then read by JupyterLab's own reader
    mapping = _shared_data()
    targets = {target for source, target in mapping.items() if target.startswith("share/jupyter/lab/settings/")}
    assert targets == {"share/jupyter/lab/settings/overrides.d/collective-impact.json"}
    for source, target in mapping.items():
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / source, tmp_path / target)
    overrides, error = _get_overrides(str(tmp_path / "share/jupyter/lab/settings"))
    assert error == ""
    assert overrides == {PLUGIN: {"locale": "fr_FR"}}


def test_lab_extra_lists_the_french_pack():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lab = config["project"]["optional-dependencies"]["lab"]
    assert any(requirement.startswith(PACK + ">=") for requirement in lab), lab
    # `make demo` installs the lab extra
    assert '".[test,lab]"' in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_installed_jupyterlab_opens_in_french():
    _need_lab()
    from jupyterlab.labapp import LabApp
    from jupyterlab_server.translation_utils import get_language_packs

    try:
        importlib.metadata.distribution(PACK)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"JupyterLab is installed without its French language pack: pip install -e '.[lab]' ({PACK})")
    packs, _ = get_language_packs("fr_FR")
    assert "fr_FR" in packs
    # the default setting of this environment, where this JupyterLab reads it
    overrides, error = _get_overrides(LabApp().app_settings_dir)
    assert error == ""
    assert overrides.get(PLUGIN, {}).get("locale") == "fr_FR", (
        f"{LabApp().app_settings_dir}: no French default; reinstall the package (pip install -e '.[lab]')")


def test_menu_paths_of_readme_and_notebooks_are_the_packs_labels():
    _need_lab()
    catalogue = json.loads(importlib.resources.files("jupyterlab_language_pack_fr_FR").joinpath(
        "locale/fr_FR/LC_MESSAGES/jupyterlab.json").read_text(encoding="utf-8"))
    # the pack's JSON: msgid (with "context\x04" before it for a context) -> [translation, plural…]
    menus = {values[0] for key, values in catalogue.items() if key.startswith("menu\x04") and values}
    items = {value for key, values in catalogue.items() if key for value in values}
    paths = _french_paths()
    assert ("Exécution", "Exécuter toutes les cellules") in paths
    for menu, item in paths:
        assert menu in menus, f"*{menu} → {item}*: JupyterLab in French has no menu {menu!r}"
        assert item in items, f"*{menu} → {item}*: JupyterLab in French shows no {item!r}"
    # the pack's own words for what the README asks
    assert catalogue["menu\x04Run"] == ["Exécution"]
    assert catalogue["Run All Cells"] == ["Exécuter toutes les cellules"]
