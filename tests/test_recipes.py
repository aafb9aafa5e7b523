"""Guards: the defaults are the tutorial's recipe, and the fast recipe is the one the recipe search chose."""

import importlib.util
from pathlib import Path

import pytest

from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def recipe_search():
    spec = importlib.util.spec_from_file_location("recipe_search", BENCHMARKS / "recipe_search.py")
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(BENCHMARKS))  # for its `from _common import ...`
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


def test_the_classifier_defaults_are_the_tutorial_recipe():
    params = CNNDigitClassifier().get_params()
    assert {name: params[name] for name in TUTORIAL_RECIPE} == TUTORIAL_RECIPE


def test_the_fast_recipe_is_the_one_the_recipe_search_chose(recipe_search):
    assert recipe_search.CANDIDATES[recipe_search.CHOSEN] == FAST_RECIPE
    assert FAST_RECIPE["epochs"] < TUTORIAL_RECIPE["epochs"]


def test_the_tutorial_recipe_is_the_searchs_reference(recipe_search):
    assert recipe_search.CANDIDATES["reference"] == TUTORIAL_RECIPE
    assert TUTORIAL_RECIPE == dict(filters=(32, 64, 64), optimizer="rmsprop", learning_rate=None,
                                   lr_schedule="constant", epochs=30, batch_size=128)


def test_the_tutorial_recipe_builds_the_tutorials_network():
    clf = CNNDigitClassifier(**TUTORIAL_RECIPE, image_shape=(28, 28))
    import numpy as np

    X = np.random.RandomState(0).rand(40, 784).astype(np.float32)
    clf.set_params(epochs=1).fit(X, np.arange(40) % 10)
    convs = [(layer.filters, layer.kernel_size) for layer in clf.model_.layers if layer.name.startswith("conv")]
    assert convs == [(32, (5, 5)), (64, (3, 3)), (64, (3, 3))]
    assert clf.model_.get_layer("dense").units == 256
    assert type(clf.model_.optimizer).__name__ == "RMSprop"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.001)
