"""Training recipes: the package defaults (a fast one), the Kaggle tutorial's, and an accurate one.

All are plain dicts of :class:`~skdigits.CNNDigitClassifier` parameters,
importable without TensorFlow. ``CNNDigitClassifier()`` trains with
:data:`FAST_RECIPE`; ``CNNDigitClassifier(**TUTORIAL_RECIPE)`` is the
tutorial's; :data:`ACCURATE_RECIPE` trades training time for accuracy.
``benchmarks/recipe_search.py`` chose them on held-out training digits,
never on the MNIST test set. Their time and accuracy, measured side by side,
are on the documentation's benchmarks page (``benchmarks/frontier.py``).
"""

TUTORIAL_RECIPE = {
    "filters": (32, 64, 64),
    "optimizer": "rmsprop",
    "learning_rate": None,
    "lr_schedule": "constant",
    "label_smoothing": 0.0,
    "temperature_scaling": False,
    "epochs": 30,
    "batch_size": 128,
    "precision": "float32",
}
"""The Kaggle tutorial's recipe: the yardstick the other recipes are measured against.

Conv 32 (5x5), pool, Conv 64, Conv 64, pool, Dense 256; RMSprop at its
default rate, constant, plain cross-entropy, 30 epochs of 128 images, in
float32 as the tutorial trains on every machine. No
temperature scaling: without label smoothing, a temperature fitted on the
training digits sharpens the probabilities and raises the held-out
log-loss (``benchmarks/calibration.py``).
"""

FAST_RECIPE = {
    "filters": (32, 64),
    "optimizer": "adam",
    "learning_rate": 0.004,
    "lr_schedule": "one-cycle",
    "label_smoothing": 0.1,
    "temperature_scaling": True,
    "epochs": "auto",
    "batch_size": 128,
    "precision": "auto",
}
"""The package defaults: the tutorial's accuracy in a fraction of its time.

Chosen by the recipe search on held-out digits: one convolution fewer at
14x14 (under half the tutorial's arithmetic per image), Adam on a one-cycle
schedule peaking at 0.004, label smoothing 0.1, 15 epochs on up to 10,000
digits and fewer on more, down to 8 from 40,000 (``epochs="auto"``: on
Kaggle's 42,000 digits, 8 epochs were no worse on held-out digits than 15,
on 8,000 they were worse). On a CPU that computes bfloat16 in hardware it
trains in bfloat16 (``precision="auto"``), 10 epochs from 40,000 digits:
on the 42,000, 10 bfloat16 epochs were no worse on held-out digits than 8
float32 ones, and 8 bfloat16 epochs were worse. Dense 256,
dropout 0.5 and the augmentation are the tutorial's. A temperature fitted
after training undoes the smoothing's under-confidence (lower held-out
log-loss, accuracy unchanged).
"""

ACCURATE_RECIPE = {
    "filters": (32, 32, 32, 64, 64, 64, 128),
    "kernel_sizes": (3, 3, 5, 3, 3, 5, 4),
    "downsample": "stride",
    "padding": "valid",
    "batch_norm": True,
    "dense_units": 128,
    "optimizer": "adam",
    "lr_schedule": "one-cycle",
    "label_smoothing": 0.0,
    "temperature_scaling": False,
    "epochs": 40,
    "block_dropout": 0.2,
    "dropout": 0.3,
    "rotation_range": 10.0,
    "zoom_range": 0.1,
    "shift_range": 0.1,
    "learning_rate": 0.003,
    "batch_size": 128,
    "precision": "float32",
}
"""A recipe for the top of the board: a strided, batch-normalised network.

A network of the kind the leading Kaggle notebooks use (Chris Deotte's):
Conv 32-32-32 (3x3, 3x3, then 5x5 with stride 2), Conv 64-64-64 (the
same), Conv 128 (4x4, stride 2), the stride-1 convolutions unpadded, batch
norm after every convolution and the dense layer, dropout 0.2 after every
block, Dense 128, dropout 0.3; rotation 10 degrees, zoom 0.1, shift 0.1;
Adam on a one-cycle schedule peaking at 0.003, no label smoothing, 40
epochs of 128, in float32 (trained on 42,000 digits, its median accuracy
on held-out digits over three seeds was lower in bfloat16). About 3 times
the defaults' arithmetic per image.
``benchmarks/recipe_search.py`` chose it on held-out digits over 30
epochs, over Deotte's own dropout 0.4 with rotation 15 and zoom 0.15, and
over 60 epochs, label smoothing and batches of 64. No
temperature scaling, as for the tutorial's recipe (no label smoothing). It
sets every parameter that FAST_RECIPE sets, so that it does not depend on
the defaults, and it needs images of at least 28x28.
"""
