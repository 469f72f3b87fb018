"""The demo data set: fictional territories with contrasting, designed profiles.

Four profiles, each a realistic French setting with fictional names and numbers:

``QPV-NORD``  *Quartier Nord – Les Tilleuls*, a mature initiative (``maturite``, 6+ years):
              high and consensual scores, indicators mostly achieved or on track, many
              well attended meetings, a dense and trusting network around a strong backbone.
``QPV-GARE``  *Quartier de la Gare*, a starting one (``demarrage``, about a year): middling
              scores with many "ne sait pas", a theory of change still partly built, few
              measurements, a sparse network; it improves most between the two waves.
``QPV-HAUTS`` *Les Hauts de Montvallon* (``mise_en_oeuvre``), a weak backbone: a decent
              agenda and communication but low ``pivot`` items (functions 3 and 6 lowest),
              indicators with missing measurements, outcomes nobody works on.
``RURAL-VAL`` *Val d'Auzance*, a rural commune with its centre social (``mise_en_oeuvre``, no
              QPV): partners split in two camps, answers spread over the whole scale around a
              mean of 3 (low agreement), low trust between the camps.

and a territory followed over five yearly waves:

``QPV-CANAL`` *Quartier du Canal* (``mise_en_oeuvre``), questionnaire waves 1 to 5, one a
              year (2022 to 2026 with the default as-of date), the same respondents (ids
              ``R01``, ``R01b``…, one per partner) answering again from wave to wave so that
              changes can be paired; shared measurement and the backbone rise from wave to
              wave, the other conditions stay flat; the network surveyed at waves 4 and 5;
              the evaluator's judgments at waves 1, 3 and 5; an action plan decided after
              waves 2, 3 and 4, with actions in every status, two of them overdue at the
              as-of date, and dated review notes.

Every territory has a small action plan (actions decided after its wave 1 elsewhere), dated
in days from the as-of date; it draws nothing at random.

With more territories (benchmarks), territory ``k`` (0-based) follows profile ``k % 4`` with
its own id, name and random stream, except territory 4, the followed one: the first five
are the demo territories. Territory ``k`` draws from ``numpy.random.default_rng([seed, k])``
only, so it is the same whatever ``n_territories``, and the whole set is identical on every
run (no global random state, no clock).

The package's rooms: ``model`` (what a profile says), one module per profile (``mature``,
``starting``, ``weak_backbone``, ``disagreeing``, ``followed``), ``tables`` (each table's rows
drawn for one territory) and ``builder`` (:func:`demo_tables`, :func:`write_demo_workbook`).
"""

from __future__ import annotations

from collective_impact.demo.builder import DEFAULT_AS_OF, DEFAULT_SEED, demo_tables, write_demo_workbook

__all__ = ["DEFAULT_AS_OF", "DEFAULT_SEED", "demo_tables", "write_demo_workbook"]
