"""nbval settings for ``pytest --nbval-lax notebooks/`` (run by ``tests/test_notebooks.py``).

The report notebooks of this folder run as they are, with their default parameters,
against the store named by ``$COLLECTIVE_IMPACT_STORE``. The Voila apps of ``apps/`` are
not executed here: each waits for the address of a browser request (territory, wave,
language) before drawing anything, so a kernel without a page has nothing to run; they are
tested in a real browser (``tests/test_apps_browser.py``), and ``tests/test_notebooks.py``
checks that nbval can still collect them.
"""

collect_ignore = ["apps"]
