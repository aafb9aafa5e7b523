"""Every parameter type-checked and finite, in one style; sample weights; training that diverges.

Each refusal must be skdigits' InvalidParameterError (and scikit-learn's, so
its checks recognise it), name the parameter and the valid values, and come
before any training.
"""

import math

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skdigits import (
    CNNDigitClassifier,
    CNNEnsembleClassifier,
    DigitImageTransformer,
)
from skdigits.exceptions import (
    BudgetExceededError,
    DataError,
    InvalidParameterError,
    SkdigitsError,
    TrainingDivergedError,
)
from skdigits.utils import constraints
from skdigits.utils.compat import SklearnInvalidParameterError

RNG = np.random.RandomState(0)
IMAGES = RNG.rand(40, 8, 8, 1).astype(np.float32)
PIXELS = (IMAGES.reshape(40, -1) * 255).round()
Y = np.arange(40) % 2
TINY = {"filters": (2,), "kernel_sizes": 3, "dense_units": 4, "epochs": 1, "batch_size": 20, "augment": False,
        "random_state": 0}

NON_FINITE = [math.inf, -math.inf, math.nan]
CLASSIFIER_REALS = ["dropout", "block_dropout", "rotation_range", "zoom_range", "shift_range", "learning_rate",
                    "label_smoothing", "validation_split"]
CLASSIFIER_INTS = ["epochs", "batch_size", "dense_units", "patience", "verbose", "random_state", "kernel_sizes"]


def _refused(fit, name, owner, match=None):
    """``fit()`` raises skdigits' InvalidParameterError naming ``name`` of ``owner``; return the message."""
    with pytest.raises(InvalidParameterError) as excinfo:
        fit()
    error = excinfo.value
    assert isinstance(error, SklearnInvalidParameterError)  # what scikit-learn's checks look for
    assert isinstance(error, SkdigitsError) and isinstance(error, ValueError) and isinstance(error, TypeError)
    message = str(error)
    assert f"'{name}' parameter of {owner} must be" in message or f"{name}=" in message, message
    if match:
        assert match in message, message
    return message


def _classifier_fit(**params):
    return lambda: CNNDigitClassifier(**{**TINY, **params}).fit(IMAGES, Y)


@pytest.mark.parametrize("value", NON_FINITE, ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize("name", CLASSIFIER_REALS)
def test_classifier_refuses_non_finite_reals(name, value):
    message = _refused(_classifier_fit(**{name: value}), name, "CNNDigitClassifier")
    assert "finite float in the range" in message


@pytest.mark.parametrize("value", NON_FINITE, ids=["inf", "-inf", "nan"])
def test_transformer_refuses_a_non_finite_scale(value):
    _refused(lambda: DigitImageTransformer(scale=value).fit(PIXELS), "scale", "DigitImageTransformer",
             "finite float in the range (0.0, inf)")


@pytest.mark.parametrize("name", CLASSIFIER_INTS + CLASSIFIER_REALS)
@pytest.mark.parametrize("value", [True, False, np.True_])
def test_booleans_are_not_numbers(name, value):
    _refused(_classifier_fit(**{name: value}), name, "CNNDigitClassifier")


@pytest.mark.parametrize("filters", [(8, True), (True,), [np.True_]])
def test_booleans_are_not_layer_widths(filters):
    _refused(_classifier_fit(filters=filters), "filters", "CNNDigitClassifier",
             "list or tuple of at most 32 ints in [1, 4096]")


@pytest.mark.parametrize("name, value", [("n_estimators", True), ("n_jobs", True), ("random_state", False),
                                         ("n_estimators", math.inf), ("n_jobs", 0)])
def test_ensemble_refuses_booleans_and_nonsense(name, value):
    ensemble = CNNEnsembleClassifier(CNNDigitClassifier(**TINY), **{name: value})
    _refused(lambda: ensemble.fit(IMAGES, Y), name, "CNNEnsembleClassifier")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"filters": ()}, "non-empty list or tuple of at most 32 ints in [1, 4096]"),
        ({"filters": (8, 0)}, "non-empty list or tuple of at most 32 ints in [1, 4096]"),
        ({"filters": "32"}, "non-empty list or tuple of at most 32 ints in [1, 4096]"),
        ({"kernel_sizes": (3, 3)}, "one size per layer of filters (1), or a single int for all"),
        ({"kernel_sizes": 0}, "an int in the range [1, 64]"),
        ({"dropout": 1.5}, "a finite float in the range [0.0, 1.0) that float32 holds (0 or a magnitude in "
                           "[1.18e-38, 3.4e+38]). Got 1.5 instead."),
        ({"dropout": "0.5"}, "Got '0.5' instead."),
        ({"epochs": 0}, "an int in the range [1, 10000]"),
        ({"epochs": 2.0}, "an int in the range [1, 10000]"),
        ({"batch_size": 0}, "batch_size"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"patience": -1}, "None or an int in the range [0, inf)"),
        ({"learning_rate": -0.1}, "None or a finite float in the range (0.0, inf)"),
        ({"learning_rate": "0.01"}, "learning_rate"),
        ({"rotation_range": 200.0}, "a finite float in the range [0.0, 180.0]"),
        ({"optimizer": "nope"}, "not a Keras optimizer"),
        ({"optimizer": 42}, "optimizer"),
        ({"random_state": "seed"}, "random_state"),
        ({"random_state": -1}, "an int in the range [0, 4294967295]"),
        ({"callbacks": ["not a callback"]}, "None or a list of keras.callbacks.Callback instances"),
        ({"lr_schedule": "cosine"}, "a str among {"),
        ({"downsample": "avg-pool"}, "a str among {"),
        ({"downsample": None}, "downsample"),
        ({"padding": "causal"}, "a str among {"),
        ({"block_dropout": 1.0}, "a finite float in the range [0.0, 1.0)"),
        ({"block_dropout": "0.2"}, "block_dropout"),
        ({"batch_norm": "yes"}, "batch_norm"),
        ({"augment": None}, "augment"),
        ({"label_smoothing": 1.0}, "[0.0, 1.0)"),
        ({"label_smoothing": "0.1"}, "label_smoothing"),
        ({"image_shape": (0, 8)}, "a pair (height, width) of ints in [1, 1024]"),
        ({"image_shape": (-1, -1)}, "image_shape"),
        ({"image_shape": "8x8"}, "image_shape"),
    ],
)
def test_bad_classifier_parameters_are_named_at_fit(params, match):
    (name,) = params
    _refused(_classifier_fit(**params), name, "CNNDigitClassifier", match)


@pytest.mark.parametrize("scale", [0, -1, "255", True])
def test_bad_scale(scale):
    _refused(lambda: DigitImageTransformer(scale=scale).fit(PIXELS), "scale", "DigitImageTransformer")


@pytest.mark.parametrize("n_estimators", [0, 2.0, True, None])
def test_bad_n_estimators_is_named(n_estimators):
    ensemble = CNNEnsembleClassifier(CNNDigitClassifier(**TINY), n_estimators=n_estimators)
    _refused(lambda: ensemble.fit(IMAGES, Y), "n_estimators", "CNNEnsembleClassifier", "an int in the range [1, 32]")


@pytest.mark.parametrize("n_jobs, started", [(10**6, 2), (2, 2), (1, 1), (None, None), (-1, -1)])
def test_an_ensemble_starts_no_more_processes_than_members(monkeypatch, n_jobs, started):
    import skdigits.ensemble

    asked = []

    class Recording(skdigits.ensemble.Parallel):
        def __init__(self, n_jobs=None, **kwargs):
            asked.append(n_jobs)
            super().__init__(n_jobs=1, **kwargs)

    monkeypatch.setattr(skdigits.ensemble, "Parallel", Recording)
    CNNEnsembleClassifier(CNNDigitClassifier(**TINY), n_estimators=2, n_jobs=n_jobs).fit(IMAGES, Y)
    assert asked == [started]


def test_an_ensemble_member_must_predict_probabilities():
    _refused(lambda: CNNEnsembleClassifier(estimator="cnn").fit(IMAGES, Y), "estimator", "CNNEnsembleClassifier",
             "an object implementing 'fit' and 'predict_proba'")


def test_numpy_numbers_are_accepted():
    clf = CNNDigitClassifier(**{**TINY, "epochs": np.int64(1), "batch_size": np.int32(20), "dropout": np.float32(0.25),
                                "learning_rate": np.float64(0.01), "random_state": np.uint32(3),
                                "filters": np.array([2]), "kernel_sizes": np.int16(3), "rotation_range": np.int64(5)})
    constraints.validate_params(clf)
    assert clf.fit(IMAGES, Y).predict(IMAGES[:3]).shape == (3,)
    constraints.validate_params(DigitImageTransformer(scale=np.float32(16), image_shape=(np.int64(8), -1)))
    ensemble = CNNEnsembleClassifier(n_estimators=np.int8(2), n_jobs=-1, random_state=np.random.RandomState(0))
    constraints.validate_params(ensemble)


def test_a_huge_learning_rate_finite_in_float32_is_a_parameter_the_nan_guard_handles():
    constraints.validate_params(CNNDigitClassifier(learning_rate=1e30))  # finite in float32: allowed, see below
    with pytest.raises(InvalidParameterError, match="'learning_rate'.*float32"):  # inf in float32: refused
        constraints.validate_params(CNNDigitClassifier(learning_rate=1e308))


@pytest.mark.parametrize("estimator", [CNNDigitClassifier(), CNNEnsembleClassifier(), DigitImageTransformer()],
                         ids=lambda e: type(e).__name__)
def test_every_parameter_has_a_constraint(estimator):
    assert set(type(estimator)._parameter_constraints) == set(estimator.get_params(deep=False))
    constraints.validate_params(estimator)  # the defaults are valid


def test_the_classifiers_parameter_names_need_no_tensorflow():
    assert tuple(CNNDigitClassifier._get_param_names()) == constraints.CLASSIFIER_PARAMETERS


# ---- sample_weight -------------------------------------------------------------------

@pytest.mark.parametrize(
    "weights, match",
    [
        (-np.ones(40), r"sample_weight has negative values \(min -1\)"),
        (np.r_[np.nan, np.ones(39)], "Input sample_weight contains NaN"),
        (np.r_[np.inf, np.ones(39)], "Input sample_weight contains infinity"),
        (np.zeros(40), "sample_weight is all zeros"),
        (np.ones(39), r"sample_weight has shape \(39,\); expected \(40,\)"),
        (np.ones((40, 2)), r"sample_weight has shape \(40, 2\)"),
        (np.full(40, 1e300), "beyond float32's range"),
        (["a"] * 40, "sample_weight"),
    ],
)
def test_bad_sample_weights_are_named(weights, match):
    with pytest.raises(DataError, match=match):
        CNNDigitClassifier(**TINY).fit(IMAGES, Y, sample_weight=weights)


def test_an_ensemble_passes_bad_weights_on_to_be_refused():
    with pytest.raises(DataError, match="negative values"):
        CNNEnsembleClassifier(CNNDigitClassifier(**TINY), n_estimators=2).fit(IMAGES, Y, sample_weight=-np.ones(40))


def test_good_sample_weights_train():
    weights = np.r_[np.zeros(10), np.full(30, 2.0)]
    clf = CNNDigitClassifier(**TINY).fit(IMAGES, Y, sample_weight=weights)
    assert np.isfinite(clf.history_["loss"]).all()
    assert CNNDigitClassifier(**TINY).fit(IMAGES, Y, sample_weight=3.0).n_classes_ == 2  # one weight for all


# ---- training that diverges ------------------------------------------------------------

DIVERGES = dict(TINY, learning_rate=3e38, lr_schedule="constant", optimizer="sgd", epochs=2)


def test_a_diverging_fit_stops_and_leaves_the_classifier_unfitted():
    clf = CNNDigitClassifier(**DIVERGES)
    with pytest.raises(TrainingDivergedError, match=r"Training diverged: the loss became (nan|inf) in batch \d+ "
                       r"of epoch 1 \(learning_rate=3e\+38.*Lower learning_rate") as excinfo:
        clf.fit(IMAGES, Y)
    assert isinstance(excinfo.value, FloatingPointError) and isinstance(excinfo.value, SkdigitsError)
    assert not any(name.endswith("_") for name in vars(clf))  # nothing fitted is left to save
    with pytest.raises(NotFittedError):
        clf.predict(IMAGES)


def test_a_diverging_partial_fit_is_refused_too():
    clf = CNNDigitClassifier(**TINY).fit(IMAGES, Y)
    clf.set_params(learning_rate=3e38, optimizer="sgd", lr_schedule="constant")
    clf.model_.optimizer.learning_rate = 3e38  # the compiled optimizer keeps its rate across partial_fit
    with pytest.raises(TrainingDivergedError):
        clf.partial_fit(IMAGES, Y)
    assert not hasattr(clf, "model_")


def test_a_diverging_ensemble_member_stops_the_ensemble():
    ensemble = CNNEnsembleClassifier(CNNDigitClassifier(**DIVERGES), n_estimators=2, random_state=0)
    with pytest.raises(TrainingDivergedError):
        ensemble.fit(IMAGES, Y)
    assert not hasattr(ensemble, "estimators_")


def test_a_sound_fit_passes_the_guard():
    clf = CNNDigitClassifier(**{**TINY, "validation_split": 0.25}).fit(IMAGES, Y)
    assert all(np.isfinite(v).all() for v in clf.history_.values())


# ---- build_cnn and the augmentation layer, called directly -------------------------------

@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"dropout": math.nan}, "dropout"),
        ({"dense_units": True}, "dense_units"),
        ({"image_shape": (28, -1)}, "image_shape"),
        ({"n_classes": 0}, "n_classes"),
        ({"filters": (8, 8), "kernel_sizes": (3,)}, "kernel_sizes"),
        ({"augmentation": {"rotation": math.inf}}, "rotation"),
        ({"augmentation": {"spin": 10}}, "augmentation"),
        ({"seed": -5}, "seed"),
        ({"downsample": "avg-pool"}, "downsample"),
        ({"padding": "full"}, "padding"),
        ({"block_dropout": -0.1}, "block_dropout"),
    ],
)
def test_build_cnn_checks_its_arguments(kwargs, name):
    from skdigits.network.keras_model import build_cnn

    args = {"image_shape": (8, 8), "n_classes": 2, "filters": (2,), **kwargs}
    owner = "RandomDigitAffine" if name == "rotation" else "build_cnn"
    _refused(lambda: build_cnn(**args), name, owner)


def test_build_cnn_refuses_a_network_over_the_weight_budget_before_building():
    from skdigits.network.keras_model import MAX_WEIGHTS, build_cnn

    # Each argument within its own limit, the product far over the budget.
    with pytest.raises(BudgetExceededError, match=r"would have 68,719,673,386 weights, over the budget of 25,000,000"):
        build_cnn(image_shape=(1024, 1024), n_classes=2, filters=(4,), kernel_sizes=(3,), dense_units=1 << 16)
    with pytest.raises(BudgetExceededError, match="skdigits.network.keras_model.MAX_WEIGHTS"):
        CNNDigitClassifier(**{**TINY, "filters": (4096,), "dense_units": 4096}).fit(IMAGES, Y)
    assert MAX_WEIGHTS == 25_000_000


ACCURATE_NETWORK = {"filters": (32, 32, 32, 64, 64, 64, 128), "kernel_sizes": (3, 3, 5, 3, 3, 5, 4),
                    "downsample": "stride", "padding": "valid", "dense_units": 128, "block_dropout": 0.2}


def _counted(image_shape, n_classes, filters, dense_units, kernel_sizes=None, **options):
    """The weights the network description lists, without building anything."""
    from skdigits.network.architecture import describe, parameter_count

    filters, kernel_sizes = constraints.layer_widths(filters, kernel_sizes, "test")
    arch = {"image_shape": image_shape, "n_classes": n_classes, "filters": filters, "kernel_sizes": kernel_sizes,
            "dense_units": dense_units, "dropout": 0.5, "batch_norm": False, "downsample": "max-pool",
            "padding": "same", "block_dropout": 0.0, "augmentation": None, **options}
    return parameter_count(describe(arch))


@pytest.mark.parametrize("config", [{"filters": (32, 64, 64)},
                                    {"filters": (3, 5), "kernel_sizes": (5, 1), "dense_units": 7},
                                    {"image_shape": (1, 10), "filters": (4, 4, 6)},
                                    {**ACCURATE_NETWORK, "batch_norm": True},  # the accurate recipe's network
                                    ACCURATE_NETWORK,
                                    {"image_shape": (9, 7), "filters": (3, 5, 5), "kernel_sizes": (4, 3, 2),
                                     "downsample": "stride"},
                                    {"image_shape": (13, 11), "filters": (3, 5), "kernel_sizes": (4, 3),
                                     "padding": "valid", "batch_norm": True}])
def test_the_weight_count_is_the_built_networks(config):
    from skdigits.network.keras_model import build_cnn

    config = {"image_shape": (28, 28), "n_classes": 10, "dense_units": 256, **config}
    model = build_cnn(**config)
    assert _counted(**config) == model.count_params()


def test_the_weight_budget_counts_the_flattened_size_after_unpadded_convolutions():
    from skdigits.network.keras_model import build_cnn

    # 128x128 images, one 64x64 kernel: 'same' keeps 128 (pooled to 64x64), 'valid' leaves 65 (pooled to 33x33).
    net = {"image_shape": (128, 128), "n_classes": 2, "filters": (1,), "kernel_sizes": (64,), "dense_units": 8000}
    with pytest.raises(BudgetExceededError, match=r"would have 32,796,099 weights"):
        build_cnn(**net)
    with pytest.raises(BudgetExceededError, match=r"would have 32,796,099 weights"):
        build_cnn(**net, downsample="stride")  # 'same'-padded stride 2: 128 -> 64 as well
    assert _counted(**net, padding="valid") == \
        64 * 64 + 1 + (33 * 33 + 1) * 8000 + 8001 * 2  # under the budget: 8.7 million


@pytest.mark.parametrize("name, value", [("rotation", math.nan), ("zoom", 1.0), ("shift", -math.inf),
                                         ("zoom", True), ("seed", 1.5)])
def test_the_augmentation_layer_refuses_meaningless_ranges(name, value):
    from skdigits.network.augmentation import RandomDigitAffine

    _refused(lambda: RandomDigitAffine(**{name: value}), name, "RandomDigitAffine")


# ---------------------------------------------------------------- found by a hostile tester
@pytest.mark.parametrize("value", [__import__("fractions").Fraction(1, 100), __import__("decimal").Decimal("0.01")])
def test_reals_that_numpy_cannot_test_are_refused_by_name(value):
    with pytest.raises(InvalidParameterError, match="'learning_rate'"):
        CNNDigitClassifier(**TINY, learning_rate=value).fit(IMAGES, Y)


def test_numpy_ints_reach_keras_as_python_ints():
    model = CNNDigitClassifier(**{**TINY, "dense_units": np.int64(4), "batch_size": np.uint8(255),
                                  "epochs": np.int16(1), "patience": np.int8(1)}).fit(IMAGES, Y)
    assert model.model_.get_layer("dense").units == 4 and len(model.history_["loss"]) == 1


@pytest.mark.parametrize("name, value", [
    ("epochs", 10**20), ("epochs", 10_001), ("kernel_sizes", 65), ("filters", (2,) * 33), ("filters", (4097,)),
    ("dense_units", (1 << 16) + 1), ("batch_size", (1 << 16) + 1), ("image_shape", (2048, 2048)),
])
def test_what_the_model_file_could_not_hold_is_refused_before_training(name, value):
    # The safe format's budgets on a network are the estimator's own limits: a model that trains also saves.
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        CNNDigitClassifier(**{**TINY, name: value}).fit(IMAGES, Y)


def test_an_ensemble_larger_than_a_model_file_holds_is_refused_at_once():
    from skdigits.utils.limits import MAX_ENSEMBLE_MEMBERS

    with pytest.raises(InvalidParameterError, match="'n_estimators'.*32"):
        CNNEnsembleClassifier(CNNDigitClassifier(**TINY), n_estimators=10**9).fit(IMAGES, Y)
    assert MAX_ENSEMBLE_MEMBERS == 32


def test_more_classes_than_the_budget_is_refused_before_training():
    X = np.zeros((1001, 8, 8, 1), np.float32)
    with pytest.raises(BudgetExceededError, match="1,001 classes.*MAX_CLASSES=1,000"):
        CNNDigitClassifier(**TINY).fit(X, np.arange(1001))


def test_partial_fit_refuses_labels_it_was_not_fitted_on():
    model = CNNDigitClassifier(**TINY).fit(IMAGES, Y)
    with pytest.raises(DataError, match=r"labels \[99\].*its classes are \[0, 1\]"):
        model.partial_fit(IMAGES[:4], np.full(4, 99))
    model.partial_fit(IMAGES[:4], Y[:4])  # known labels still train
    assert len(model.history_["loss"]) == 2


def test_partial_fit_checks_parameters_set_after_fitting():
    model = CNNDigitClassifier(**TINY).fit(IMAGES, Y)
    model.set_params(learning_rate=math.inf)
    with pytest.raises(InvalidParameterError, match="'learning_rate'"):
        model.partial_fit(IMAGES, Y)
