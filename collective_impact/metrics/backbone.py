"""The six functions of the backbone (structure pivot), scored from the questionnaire.

FSG / Greater Cincinnati Foundation (SSIR, 2012) describe six functions of a backbone
organisation: 1 guide vision and strategy; 2 support aligned activities; 3 establish
shared measurement practices; 4 build public will; 5 advance policy; 6 mobilize funding
(``shared/REFERENCE.md``). In the framework each item carrying a ``backbone_function``
(in ``ci2011``, the ``pivot`` items) measures one of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective_impact.framework import Bands, Framework, resolve_framework
from collective_impact.metrics.assessment import band_array, item_scores

COLUMNS = ("territory_id", "wave", "function_id", "label", "mean", "n_answers", "rwg", "band")


def backbone_functions(responses: pd.DataFrame, *, framework: Framework | str | None = None,
                       bands: Bands | None = None, lang: str = "fr") -> pd.DataFrame:
    """Score of each backbone function, per territory and wave.

    Parameters
    ----------
    responses
        The canonical ``responses`` table.
    framework
        The framework (or its id); default ``ci2011``. Its ``backbone_functions`` give the
        functions and labels; its items' ``backbone_function`` say which item measures which.
    bands
        Reading bands to use instead of ``framework.bands``.
    lang
        Language of the ``label`` column (``"fr"`` or ``"en"``).

    Returns
    -------
    DataFrame
        One row per ``territory_id`` and ``wave`` present in ``responses`` and per function
        of the framework, **all of them even without any answer** (``mean`` NaN,
        ``n_answers`` 0), with columns

        - ``function_id`` (1–6) and ``label``;
        - ``mean``: the mean of the item means of the function's items ("ne sait pas"
          left out; with one item per function, as in ``ci2011``, the item mean);
        - ``n_answers``: non-missing answers to those items;
        - ``rwg``: mean of the items' r_wg (James, Demaree & Wolf 1984; see
          :func:`~collective_impact.metrics.assessment.item_scores`), NaN with fewer than 2
          answers;
        - ``band``: reading band of the unrounded mean.

        A function has as many respondents as its item(s) have answers: with few answers,
        read the mean with ``n_answers``.
    """
    fw = resolve_framework(framework)
    bands = bands or fw.bands
    functions = fw.backbone_functions
    item_function = {item.id: item.backbone_function for item in fw.items if item.backbone_function is not None}

    items = item_scores(responses, framework=fw, bands=bands)
    keys = items[["territory_id", "wave"]].drop_duplicates()
    items = items[items["item_id"].isin(item_function)].assign(
        function_id=lambda f: f["item_id"].map(item_function).astype("int64"))
    by_function = items.groupby(["territory_id", "wave", "function_id"], as_index=False).agg(
        mean=("mean", "mean"), n_answers=("n_answers", "sum"), rwg=("rwg", "mean"))

    grid = keys.merge(pd.DataFrame({"function_id": np.array([f.id for f in functions], dtype="int64")}),
                      how="cross")
    frame = grid.merge(by_function, on=["territory_id", "wave", "function_id"], how="left")
    labels = {f.id: f.label(lang) for f in functions}
    mean = frame["mean"].to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame({
        "territory_id": frame["territory_id"].astype("str"),
        "wave": frame["wave"].astype("Int64"),
        "function_id": frame["function_id"].astype("int64"),
        "label": pd.array(frame["function_id"].map(labels), dtype="str"),
        "mean": mean,
        "n_answers": frame["n_answers"].fillna(0).astype("int64"),
        "rwg": frame["rwg"].to_numpy(dtype="float64", na_value=np.nan),
        "band": band_array(mean, bands),
    }, columns=list(COLUMNS))
