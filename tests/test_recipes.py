"""Guards: the defaults are the fast recipe, the one the recipe search chose; the tutorial's recipe is its reference;
the accurate recipe builds its strided network."""

import importlib.util
from pathlib import Path

import pytest

from skdigits import FAST_RECIPE, TUTORIAL_RECIPE, CNNDigitClassifier

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _benchmark(name):
    """Import ``benchmarks/<name>.py`` (which imports its neighbours, e.g. ``_common``)."""
    import sys

    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))  # for its `from _common import ...`
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


@pytest.fixture(scope="module")
def recipe_search():
    return _benchmark("recipe_search")


def test_the_classifier_defaults_are_the_fast_recipe():
    params = CNNDigitClassifier().get_params()
    assert {name: params[name] for name in FAST_RECIPE} == FAST_RECIPE
    assert set(TUTORIAL_RECIPE) == set(FAST_RECIPE)  # so that **TUTORIAL_RECIPE undoes every default it changes


def test_the_fast_recipe_is_the_one_the_recipe_search_chose(recipe_search):
    assert recipe_search.CANDIDATES[recipe_search.CHOSEN] == FAST_RECIPE
    from skdigits._training.epochs import resolve_epochs

    assert all(resolve_epochs(FAST_RECIPE["epochs"], n) < TUTORIAL_RECIPE["epochs"] for n in (1, 10_000, 60_000))


def test_the_tutorial_recipe_is_the_searchs_reference(recipe_search):
    assert recipe_search.CANDIDATES["reference"] == TUTORIAL_RECIPE
    expected = dict(filters=(32, 64, 64), optimizer="rmsprop", learning_rate=None,
                    lr_schedule="constant", label_smoothing=0.0, temperature_scaling=False, epochs=30,
                    batch_size=128, precision="float32")
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

    from skdigits._training.compile import SmoothedSparseCrossentropy

    X = np.random.RandomState(0).rand(40, 784).astype(np.float32)
    clf = CNNDigitClassifier(image_shape=(28, 28), epochs=1).fit(X, np.arange(40) % 10)
    convs = [(layer.filters, layer.kernel_size) for layer in clf.model_.layers if layer.name.startswith("conv")]
    assert convs == [(32, (5, 5)), (64, (3, 3))]
    assert type(clf.model_.optimizer).__name__ == "Adam"
    assert isinstance(clf.model_.loss, SmoothedSparseCrossentropy) and clf.model_.loss.label_smoothing == 0.1
    assert clf.temperature_scaling and clf.temperature_ != 1.0  # the smoothing's softness is calibrated away


def test_the_accurate_recipe_is_the_one_the_recipe_search_chose(recipe_search):
    from skdigits import ACCURATE_RECIPE

    if not hasattr(recipe_search, "ACCURATE_CANDIDATES"):
        pytest.skip("benchmarks/recipe_search.py has no ACCURATE_CANDIDATES yet")
    chosen = recipe_search.ACCURATE_CANDIDATES[recipe_search.ACCURATE_CHOSEN]
    # The search predates temperature_scaling; without label smoothing the recipe turns it off.
    assert {**chosen, "temperature_scaling": False} == ACCURATE_RECIPE


def test_the_accurate_recipe_sets_every_parameter_the_fast_recipe_sets():
    from skdigits import ACCURATE_RECIPE

    # So that it overrides every default the fast recipe sets, and names only real parameters.
    assert set(FAST_RECIPE) <= set(ACCURATE_RECIPE) <= set(CNNDigitClassifier().get_params())
    assert ACCURATE_RECIPE["temperature_scaling"] is False and ACCURATE_RECIPE["label_smoothing"] == 0.0
    assert CNNDigitClassifier(**ACCURATE_RECIPE).get_params()["downsample"] == "stride"


def test_the_accurate_recipe_builds_a_strided_batch_normalised_network():
    import numpy as np

    from skdigits import ACCURATE_RECIPE
    from skdigits._training.backend import keras

    X = np.random.RandomState(0).rand(20, 784).astype(np.float32)
    clf = CNNDigitClassifier(**ACCURATE_RECIPE, image_shape=(28, 28)).set_params(epochs=1, random_state=0)
    clf.fit(X, np.arange(20) % 10)
    convs = [layer for layer in clf.model_.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size[0], c.strides[0]) for c in convs] == [
        (32, 3, 1), (32, 3, 1), (32, 5, 2), (64, 3, 1), (64, 3, 1), (64, 5, 2), (128, 4, 2)]
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in clf.model_.layers)
    assert [layer.rate for layer in clf.model_.layers if isinstance(layer, keras.layers.Dropout)] == [0.2] * 3 + [0.3]
    assert clf.predict_proba(X).shape == (20, 10)
    assert clf.temperature_ == 1.0  # temperature_scaling=False


def test_the_frontier_counts_the_tutorial_networks_arithmetic():
    from skdigits.network.keras_model import build_cnn

    if not (BENCHMARKS / "frontier.py").exists():
        pytest.skip("benchmarks/frontier.py is not in this checkout yet")
    module = _benchmark("frontier")

    # Multiply-adds: conv1 28*28*32*25, conv2 14*14*64*9*32, conv3 14*14*64*9*64, dense 7*7*64*256, output 256*10.
    macs = 28 * 28 * 32 * 25 + 14 * 14 * 64 * 9 * 32 + 14 * 14 * 64 * 9 * 64 + 7 * 7 * 64 * 256 + 256 * 10
    assert module.forward_flops(build_cnn(image_shape=(28, 28), n_classes=10)) == 2 * macs
    assert set(module.recipes()) == {"keras-tutorial", "tutorial", "defaults", "accurate"}


def test_the_hand_written_keras_tutorial_is_the_tutorials_network():
    """The side-by-side compares like with like: the same layers, weights and arithmetic as TUTORIAL_RECIPE's."""
    from skdigits.network.keras_model import build_cnn

    module = _benchmark("frontier")
    # No seed: keras.utils.set_random_seed would reseed Python's, NumPy's and TensorFlow's global
    # streams for every later test in this process.
    hand_written, ours = module.keras_tutorial.build(None), build_cnn(image_shape=(28, 28), n_classes=10)
    assert module.forward_flops(hand_written) == module.forward_flops(ours)
    assert hand_written.count_params() == ours.count_params()
    assert type(hand_written.optimizer).__name__ == "RMSprop" and module.keras_tutorial.EPOCHS == 30
