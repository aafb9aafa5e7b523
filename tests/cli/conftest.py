"""Fixtures of the command-line tests: Kaggle-format files written from the embedded sample."""

import pytest
from sklearn.model_selection import train_test_split

from skdigits.datasets.digit_recognizer import load_sample, write_digit_recognizer


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Kaggle-format files written from the embedded sample: train (300), test (40), labelled (100)."""
    folder = tmp_path_factory.mktemp("kaggle")
    X, y = load_sample()
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
    X_eval, y_eval = X_rest.iloc[:100], y_rest.iloc[:100]
    paths = dict(train=folder / "train.csv", test=folder / "test.csv", labelled=folder / "labelled.csv",
                 bad=folder / "bad.csv", folder=folder)
    write_digit_recognizer(X_train, paths["train"], y=y_train)
    write_digit_recognizer(X_rest.iloc[100:140], paths["test"])
    write_digit_recognizer(X_eval, paths["labelled"], y=y_eval)
    paths["bad"].write_text("label,pixel0\n3,oops\n", encoding="utf-8")
    return {k: str(v) for k, v in paths.items()}
