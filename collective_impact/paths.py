"""Where things are: every path of the project is built here, from one root.

The notebooks and templates live at the top of the repository (``notebooks/``,
``templates/``); the wheel carries them inside the package (``collective_impact/_data/``,
mapped by ``pyproject.toml``). :func:`shipped` finds them through
:mod:`importlib.resources` in an installed package and falls back to the checkout.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from collective_impact.schema import ID_PATTERN

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
STORE_ENV = "COLLECTIVE_IMPACT_STORE"


def shipped(name: str) -> Path:
    """The folder ``name`` (``notebooks`` or ``templates``) of the installed package, else of the checkout.

    Papermill, nbconvert and Voila need real folders: a package imported from a zip file
    is not supported.
    """
    resource = files("collective_impact").joinpath("_data", name)
    if isinstance(resource, Path) and resource.is_dir():
        return resource
    return PROJECT_ROOT / name


NOTEBOOKS_DIR = shipped("notebooks")
APPS_DIR = NOTEBOOKS_DIR / "apps"
TEMPLATES_DIR = shipped("templates")


def default_store() -> Path:
    """The store used when none is given: ``$COLLECTIVE_IMPACT_STORE`` or ``data/evaluation.sqlite``."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    return Path.cwd() / "data" / "evaluation.sqlite"


def resolve_store(path: str | os.PathLike | None) -> Path:
    """The store path to use: ``path`` when given, else :func:`default_store`."""
    return Path(path) if path else default_store()


def safe_name(identifier: str) -> str:
    """Return ``identifier`` if it can be used in a file name, else raise ``ValueError``.

    Only ``[A-Za-z0-9_-]`` is allowed: no separator, no dot, so no path traversal.
    """
    if not isinstance(identifier, str) or not ID_PATTERN.fullmatch(identifier):
        raise ValueError(f"identifiant non valide pour un nom de fichier : {identifier!r}")
    return identifier
