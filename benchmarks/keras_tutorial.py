"""The Kaggle tutorial's recipe written by hand in Keras 3, as a user would, without skdigits.

The reference recipe (DESIGN.md): Conv2D(32, 5x5) -> MaxPool -> Conv2D(64,
3x3) -> Conv2D(64, 3x3) -> MaxPool -> Flatten -> Dense(256) -> Dropout(0.5)
-> Dense(10, softmax); RMSprop at its default rate, cross-entropy, 30
epochs of 128. Keras 3 has no ``ImageDataGenerator``, so the augmentation
(rotation 10 degrees, zoom 0.1, shifts 0.1) is Keras' own three
preprocessing layers at the front of the model, with
``ImageDataGenerator``'s default ``fill_mode="nearest"``. Seeding is
Keras' global ``keras.utils.set_random_seed``, which is what the tutorial
does. ``frontier.py --recipes keras-tutorial ...`` times it beside the
skdigits recipes; alone, this script trains and scores one seed
(``results/keras_tutorial.json``):

    python benchmarks/keras_tutorial.py [--seed 0] [--epochs 30]
"""

import time

import numpy as np

from _common import load_scaled, parser, quiet_keras, table, write_results

EPOCHS = 30


def build(seed):
    """The tutorial's model, compiled; ``seed`` None leaves Keras' global seeds alone (as the tests need)."""
    keras = quiet_keras()  # TensorFlow's start-up log kept quiet, as in every benchmark
    if seed is not None:
        keras.utils.set_random_seed(seed)
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.RandomRotation(10 / 360, fill_mode="nearest"),
        layers.RandomZoom(0.1, fill_mode="nearest"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"),
        layers.Conv2D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fit(X, y, seed, epochs=EPOCHS):
    """Train the tutorial's model on ``(X, y)``; return it."""
    model = build(seed)
    model.fit(X, y, batch_size=128, epochs=epochs, shuffle=True, verbose=0)
    return model


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=EPOCHS)
    args = p.parse_args()
    X, y = load_scaled(args.train)
    X_test, y_test = load_scaled(args.test)
    start = time.perf_counter()
    model = fit(X, y, args.seed, args.epochs)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(X_test, batch_size=1024, verbose=0).argmax(axis=1) == y_test))
    write_results("keras_tutorial", {"seed": args.seed, "epochs": args.epochs, "n_train": len(X),
                                     "n_test": len(X_test), "seconds": seconds, "accuracy": accuracy}, [table(
        f"The tutorial hand-written in Keras, seed {args.seed}, {args.epochs} epochs on {len(X):,} digits",
        ["training time", "test accuracy"], [[f"{seconds:.1f} s", f"{accuracy:.4f}"]])], args.json)


if __name__ == "__main__":
    main()
