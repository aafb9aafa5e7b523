"""Training recipes: the Kaggle tutorial's (the package defaults), and a faster one.

Both are plain dicts of :class:`~skdigits.CNNDigitClassifier` parameters,
importable without TensorFlow. ``CNNDigitClassifier()`` trains with
:data:`TUTORIAL_RECIPE`; ``CNNDigitClassifier(**FAST_RECIPE)`` trains in
about 0.28 of the time, to about 0.3 points less test accuracy
(``benchmarks/time_to_accuracy.py``). ``benchmarks/recipe_search.py``
compared the candidates on held-out training digits; none matched the
tutorial's accuracy in a third of its time, so the defaults stay the
tutorial's.
"""

#: The tutorial's recipe and the package defaults: Conv 32 (5x5) - pool -
#: Conv 64 - Conv 64 - pool - Dense 256, RMSprop at its default rate,
#: constant, 30 epochs of 128 images.
TUTORIAL_RECIPE = {
    "filters": (32, 64, 64),
    "optimizer": "rmsprop",
    "learning_rate": None,
    "lr_schedule": "constant",
    "epochs": 30,
    "batch_size": 128,
}

#: The fastest candidate of the recipe search: one convolution fewer at
#: 14x14 (a third of the tutorial's arithmetic per image), and Adam on a
#: one-cycle schedule peaking at 0.003, for 15 epochs. Dense 256, dropout
#: 0.5 and the augmentation are the tutorial's.
FAST_RECIPE = {
    "filters": (32, 64),
    "optimizer": "adam",
    "learning_rate": 0.003,
    "lr_schedule": "one-cycle",
    "epochs": 15,
    "batch_size": 128,
}
