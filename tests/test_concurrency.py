"""Shared-process behaviour: threads, several estimators, and what a fit leaves behind."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from helpers import FAST

from skdigits import CNNDigitClassifier


def test_predict_from_eight_threads_matches_sequential(small_images):
    X, y = small_images
    clf = CNNDigitClassifier(**FAST).fit(X, y)
    chunks = np.array_split(np.arange(len(X)), 8)
    sequential = [clf.predict_proba(X[idx]) for idx in chunks]
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=8) as pool:
            threaded = list(pool.map(lambda idx: clf.predict_proba(X[idx]), chunks))
        for a, b in zip(sequential, threaded):
            np.testing.assert_array_equal(a, b)


def test_estimators_do_not_disturb_each_others_seeds(small_images):
    X, y = small_images
    first = CNNDigitClassifier(**FAST, augment=True).fit(X, y).predict_proba(X)
    CNNDigitClassifier(**{**FAST, "random_state": 1}, augment=True).fit(X, y)
    CNNDigitClassifier(**{**FAST, "random_state": None}, augment=True).fit(X, y)
    again = CNNDigitClassifier(**FAST, augment=True).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, again)


def test_two_seeded_fits_in_parallel_threads_match_sequential_fits(small_images):
    X, y = small_images
    seeds = (0, 1)
    sequential = [CNNDigitClassifier(**{**FAST, "random_state": s}).fit(X, y).predict_proba(X) for s in seeds]
    with ThreadPoolExecutor(max_workers=2) as pool:
        parallel = list(pool.map(
            lambda s: CNNDigitClassifier(**{**FAST, "random_state": s}).fit(X, y).predict_proba(X), seeds))
    for a, b in zip(sequential, parallel):
        np.testing.assert_array_equal(a, b)
