"""Wrapper overhead: CNNDigitClassifier against the same network in hand-written Keras.

Training: the tutorial's network and RMSprop (``TUTORIAL_RECIPE``, without
augmentation, so both sides run the same graph) on the training digits, batch 128, in one process. One epoch of
``CNNDigitClassifier.partial_fit`` and one of ``keras.Model.fit`` on NumPy
arrays (``shuffle=True``) alternate; the first epoch of each is dropped. The figure
is the ratio of the median epoch times.

Prediction: ``predict_proba`` on the test digits against ``model.predict``
of the same trained network, at Keras' default batch size (32) and at 1024,
alternating. Throughput ratio = raw time / skdigits time.

    python benchmarks/wrapper_overhead.py [--pairs 5 --predict-repeats 5]
"""

import time

from _common import EpochTimer, load_scaled, median, parser, table, write_results


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--pairs", type=int, default=5, help="timed epoch pairs, after one warm-up pair")
    p.add_argument("--predict-repeats", type=int, default=5)
    args = p.parse_args()

    from skdigits import TUTORIAL_RECIPE, CNNDigitClassifier
    from skdigits._training.compile import make_optimizer
    from skdigits.network.keras_model import build_cnn

    X, y = load_scaled(args.train)
    X_test, _ = load_scaled(args.test)

    ours_timer, raw_timer = EpochTimer(), EpochTimer()
    # The tutorial's recipe: the same network and constant RMSprop as the hand-written side.
    ours = CNNDigitClassifier(**TUTORIAL_RECIPE, augment=False, random_state=0, callbacks=[ours_timer])
    raw = build_cnn(image_shape=(28, 28), n_classes=10, seed=0)
    raw.compile(optimizer=make_optimizer("rmsprop"), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    epochs = {"skdigits": [], "keras": []}
    for pair in range(args.pairs + 1):
        ours.partial_fit(X, y)
        raw.fit(X, y, batch_size=128, epochs=1, shuffle=True, verbose=0, callbacks=[raw_timer])
        if pair:
            epochs["skdigits"].append(ours_timer.times[-1])
            epochs["keras"].append(raw_timer.times[-1])
            print(f"pair {pair}: skdigits {epochs['skdigits'][-1]:.2f} s, keras {epochs['keras'][-1]:.2f} s",
                  flush=True)
    fit_ratio = median(epochs["skdigits"]) / median(epochs["keras"])

    predict = {"skdigits": [], "keras_batch_32": [], "keras_batch_1024": []}
    calls = {"skdigits": lambda: ours.predict_proba(X_test),
             "keras_batch_32": lambda: ours.model_.predict(X_test, verbose=0),
             "keras_batch_1024": lambda: ours.model_.predict(X_test, batch_size=1024, verbose=0)}
    for call in calls.values():  # trace every shape once
        call()
    for _ in range(args.predict_repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            predict[name].append(time.perf_counter() - start)
    ours_predict = median(predict["skdigits"])
    throughput = {name: median(predict[name]) / ours_predict for name in ("keras_batch_32", "keras_batch_1024")}

    rows = [[f"one training epoch, {len(X):,} digits", f"{median(epochs['skdigits']):.2f} s",
             f"{median(epochs['keras']):.2f} s", f"{fit_ratio:.3f} (time)"]]
    for name, ratio in throughput.items():
        batch = name.rsplit("_", 1)[1]
        rows.append([f"predict {len(X_test):,} digits, against model.predict(batch_size={batch})",
                     f"{ours_predict:.2f} s", f"{median(predict[name]):.2f} s", f"{ratio:.3f} (throughput)"])
    write_results("wrapper_overhead", {
        "epoch_seconds": epochs,
        "fit_ratio": fit_ratio,
        "predict_seconds": predict,
        "predict_throughput_ratio": throughput,
    }, [table(f"CNNDigitClassifier against the same network in hand-written Keras (the tutorial's, without "
              f"augmentation); medians of {args.pairs} alternating epoch pairs and {args.predict_repeats} predictions",
              ["what", "skdigits", "hand-written Keras", "ratio"], rows,
              note="The time ratio is skdigits' epoch over Keras'; the throughput ratio is Keras' prediction time "
                   "over skdigits'.")], args.json)


if __name__ == "__main__":
    main()
