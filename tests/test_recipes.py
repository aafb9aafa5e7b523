"""Guards: the defaults are the fast recipe, the one the recipe search chose; the tutorial's recipe is its reference."""

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


def test_the_classifier_defaults_are_the_fast_recipe():
    params = CNNDigitClassifier().get_params()
    assert {name: params[name] for name in FAST_RECIPE} == FAST_RECIPE
    assert set(TUTORIAL_RECIPE) == set(FAST_RECIPE)  # so that **TUTORIAL_RECIPE undoes every default it changes


def test_the_fast_recipe_is_the_one_the_recipe_search_chose(recipe_search):
    assert recipe_search.CANDIDATES[recipe_search.CHOSEN] == FAST_RECIPE
    assert FAST_RECIPE["epochs"] < TUTORIAL_RECIPE["epochs"]


def test_the_tutorial_recipe_is_the_searchs_reference(recipe_search):
    assert recipe_search.CANDIDATES["reference"] == TUTORIAL_RECIPE
    expected = dict(filters=(32, 64, 64), optimizer="rmsprop", learning_rate=None,
                    lr_schedule="constant", label_smoothing=0.0, temperature_scaling=False, epochs=30,
                    batch_size=128)
    assert expected == TUTORIAL_RECIPE


def test_the_tutorial_recipe_builds_the_tutorials_network():
    clf = CNNDigitClassifier(**TUTORIAL_RECIPE, image_shape=(28, 28))
    import numpy as np

    X = np.random.RandomState(0).rand(40, 784).astype(np.float32)
    clf.set_params(epochs=1).fit(X, np.arange(40) % 10)
    convs = [(layer.filters, layer.kernel_size) for layer in clf.model_.layers if layer.name.startswith("conv")]
    assert convs == [(32, (5, 5)), (64, (3, 3)), (64, (3, 3))]
    assert clf.model_.get_layer("dense").units == 256
    assert type(clf.model_.optimizer).__name__ == "RMSprop"
    assert clf.model_.loss == "sparse_categorical_crossentropy"
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.001)
    assert clf.temperature_ == 1.0  # the tutorial's own probabilities


def test_the_defaults_build_two_convolutions_and_train_on_smoothed_labels():
    import numpy as np

    from skdigits.network import SmoothedSparseCrossentropy

    X = np.random.RandomState(0).rand(40, 784).astype(np.float32)
    clf = CNNDigitClassifier(image_shape=(28, 28), epochs=1).fit(X, np.arange(40) % 10)
    convs = [(layer.filters, layer.kernel_size) for layer in clf.model_.layers if layer.name.startswith("conv")]
    assert convs == [(32, (5, 5)), (64, (3, 3))]
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert isinstance(clf.model_.loss, SmoothedSparseCrossentropy) and clf.model_.loss.label_smoothing == 0.1
    assert clf.temperature_scaling and clf.temperature_ != 1.0  # the smoothing's softness is calibrated away
