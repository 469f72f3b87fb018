"""The figures of the evaluation report: one module per subject, one function per figure.

- :mod:`~collective_impact.plots.territory`: partners by kind;
- :mod:`~collective_impact.plots.theory_of_change`: the results chain;
- :mod:`~collective_impact.plots.measurement`: indicator progress, one indicator over time;
- :mod:`~collective_impact.plots.activities`: outcomes × partners coverage;
- :mod:`~collective_impact.plots.communication`: meeting timeline, attendance;
- :mod:`~collective_impact.plots.network`: the partner network;
- :mod:`~collective_impact.plots.backbone`: the backbone's six functions;
- :mod:`~collective_impact.plots.conditions`: radar, change between waves, items;
- :mod:`~collective_impact.plots.comparison`: territories side by side;
- :mod:`~collective_impact.plots.trajectory`: conditions, agreement and indicators over the
  waves, territories' trajectories side by side;
- :mod:`~collective_impact.plots.palette`: every colour (pure constants, no matplotlib),
  shared with the report tables and the apps; ``_style`` holds the sizes, the rc settings
  and the drawing helpers the figures share;
- :mod:`~collective_impact.plots.images`: a drawn figure as SVG or PNG bytes, laid out and
  cropped once for both.

Import the module you need (``from collective_impact.plots import conditions``): this
package imports nothing itself, so that the palette stays light.

Every figure function

- draws what it is given and computes no metric: it takes the output of a metric
  function (a DataFrame, the networkx graph of
  :func:`collective_impact.metrics.network.network_graph`, a value such as a density)
  for one territory — pass ``territory_id=`` when the frame holds several — and the
  framework, thresholds and status order as arguments;
- takes its options as keywords, among them ``lang="fr"`` (``"en"`` for English): every
  title, axis label, legend and tick label comes from the i18n catalogue
  (``messages/report_figures.yaml``), the framework or the schema's code labels;
- draws text from data (labels, names, units) literally, never as mathtext or TeX;
- returns a :class:`matplotlib.figure.Figure` and leaves no figure open in pyplot (the
  figure is created by pyplot, so that Jupyter knows how to display it, then closed at
  once): a notebook shows it by ending a cell with it, a script saves it with
  ``fig.savefig(...)``;
- never fails on thin data: with nothing to draw (no meeting, no measurement, no
  answer, a network not surveyed…) it returns a figure holding a short sentence saying so.

Colours come from one place, the colour-blind-safe palette of Okabe & Ito (2008):
``BAND_COLOURS`` for the three reading bands and ``STATUS_COLOURS`` for the five
indicator statuses are used by every figure that shows them. Numbers drawn in a figure
follow the language (:mod:`collective_impact.i18n.format`): ``3,4`` and ``72 %`` in
French, ``3.4`` and ``72%`` in English.
"""
