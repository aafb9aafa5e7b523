"""scikit-learn's estimator checks over both estimators.

The checks feed arbitrary 2-D data (2 to 10 features), so both estimators
run with ``image_shape=(1, -1)``: every row is a one-pixel-high image. The
default square-image behaviour is covered in test_preprocessing.py and
test_classifier.py.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdigits import CNNDigitClassifier, CNNEnsembleClassifier, DigitImageTransformer

# One epoch of many small, fast steps: enough for the checks' easy problems.
FAST_CHECKS = dict(
    image_shape=(1, -1),
    filters=(8,),
    kernel_sizes=3,
    dense_units=16,
    dropout=0.0,
    augment=False,
    optimizer="adam",
    learning_rate=0.01,
    epochs=1,
    batch_size=8,
    random_state=0,
)

CLASSIFIER_EXPECTED_FAILURES = {
    "check_estimator_tags_renamed": (
        "scikeras' BaseWrapper, our parent class, still defines the old _more_tags; "
        "our own tags are the new __sklearn_tags__"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatch SGD: weighting a sample by 2 is not the same as repeating it, "
        "since repeats change the batches"
    ),
}


ENSEMBLE_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": CLASSIFIER_EXPECTED_FAILURES[
        "check_sample_weight_equivalence_on_dense_data"
    ],
}


def _expected_failures(estimator):
    if isinstance(estimator, CNNDigitClassifier):
        return CLASSIFIER_EXPECTED_FAILURES
    if isinstance(estimator, CNNEnsembleClassifier):
        return ENSEMBLE_EXPECTED_FAILURES
    return {}


@parametrize_with_checks(
    [
        DigitImageTransformer(image_shape=(1, -1)),
        CNNDigitClassifier(**FAST_CHECKS),
        # One member keeps the checks' cost down; tests/test_ensemble.py covers the averaging.
        CNNEnsembleClassifier(CNNDigitClassifier(**FAST_CHECKS), n_estimators=1, random_state=0),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
