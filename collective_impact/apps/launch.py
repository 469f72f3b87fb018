"""Start one of our Voila servers without the imports it never uses (``python -m collective_impact.apps.launch MODULE ARGS…``).

:class:`server.VoilaServer <collective_impact.apps.server.VoilaServer>` runs this module
with the server's module (:mod:`~collective_impact.apps.voila_app`,
:mod:`~collective_impact.apps.access` or :mod:`~collective_impact.apps.partners`) and its
options: the imports listed in :data:`SKIPPED` are made to fail at once (Python's own way,
a ``None`` in ``sys.modules``), then the module runs as ``python -m MODULE ARGS…`` would.

Why: jupyter_server loads jupyter_events, which loads jsonschema, which imports
``rfc3987_syntax`` when it is installed, to check the ``iri`` format of JSON schemas. Its
import builds a grammar with lark: 2 s on an idle core, 9 s on two loaded cores, before the
server answers anything. No schema our servers validate (jupyter_server's events) uses
that format, and jsonschema treats a missing checker as "not checked" (its import is in a
``suppress(ImportError)``). Kernels never import jsonschema on their way to a page.

This module imports nothing of Jupyter itself, so that the skipping happens first.
"""

from __future__ import annotations

import runpy
import sys

__all__ = ["SKIPPED", "main"]

#: Modules whose import fails at once in the servers (see the module's notes).
SKIPPED = ("rfc3987_syntax",)


def main(argv: list[str] | None = None) -> None:
    """Run ``argv[0]`` as ``python -m argv[0] argv[1:]`` after skipping :data:`SKIPPED`."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        raise SystemExit("usage: python -m collective_impact.apps.launch MODULE [ARGS…]")
    module, *args = argv
    for name in SKIPPED:
        # a module already loaded stays (a test importing this one after jsonschema)
        sys.modules.setdefault(name, None)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
