"""The calculations: pure functions, canonical DataFrames in, DataFrames out.

They never read files or the store. Each function's docstring gives its formula, its
source and how it treats missing values and small groups; ``docs/metrics.md`` explains
them to evaluators in French. Modules: ``assessment`` (questionnaire), ``backbone``,
``indicators``, ``theory_of_change``, ``activities``, ``communication``, ``network``,
``synthesis``, ``trajectory`` (any number of waves).
"""
