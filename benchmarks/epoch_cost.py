"""Where an epoch's time goes: the defaults' epoch time and GFLOP/s against variants that each remove one cost.

Trains one ``CNNDigitClassifier`` per variant on the training digits and
alternates single epochs between them (``partial_fit``), so that slow
phases of a shared machine hit every variant alike; the first epoch of each
(graph tracing) is dropped. Variants (each the defaults with one change):

* ``no-augment``: without the in-graph random warp;
* ``constant-rate``: without the per-batch one-cycle callback;
* ``steps-per-execution-8``: Keras runs 8 steps per call into the graph;
* ``batch-64``, ``batch-256``: twice the steps of half the images, or half
  the steps of twice the images;
* ``valid-padding``: unpadded convolutions (about half the arithmetic);
* ``valid-batch-256``: both of the last two changes;
* ``float32``, ``bfloat16``: ``precision`` set (the defaults' ``"auto"``
  is one of the two, depending on the CPU: see
  :mod:`skdigits._training.precision`). Only CPUs with AVX512_BF16 or AMX
  compute bfloat16 natively; elsewhere oneDNN emulates it
  (``ONEDNN_MAX_CPU_ISA=AVX2`` shows an AVX2 laptop's case on this machine);
* ``predict``: the forward pass alone (``predict_proba`` of the training
  digits, timed the same way).

GFLOP/s counts 2 per multiply-add of the Conv2D and Dense layers, times 3
in training (forward, input gradients, weight gradients), times the images.
Prints the median epoch seconds, GFLOP/s and the median per-epoch ratio to
the defaults.

    python benchmarks/epoch_cost.py [--epochs 4] [--variants float32 bfloat16 ...]
"""

import time

from frontier import forward_flops

from _common import EpochTimer, load_scaled, median, parser, table, write_results

VARIANTS = {
    "defaults": {},
    "no-augment": {"augment": False},
    "constant-rate": {"lr_schedule": "constant"},
    "steps-per-execution-8": {},
    "batch-64": {"batch_size": 64},
    "batch-256": {"batch_size": 256},
    "valid-padding": {"padding": "valid"},
    "valid-batch-256": {"padding": "valid", "batch_size": 256},
    "float32": {"precision": "float32"},
    "bfloat16": {"precision": "bfloat16"},
}


def classifier(name, params, timer):
    """A CNNDigitClassifier for the variant (steps_per_execution is no parameter)."""
    from skdigits import CNNDigitClassifier

    class Variant(CNNDigitClassifier):
        def _compile_network(self, model):
            model = super()._compile_network(model)
            if name == "steps-per-execution-8":
                model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], steps_per_execution=8)
            return model

    return Variant(**params, random_state=0, callbacks=[timer])


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4, help="timed epochs per variant, after one warm-up epoch")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                   help="the variants to time (the defaults always)")
    args = p.parse_args()

    X, y = load_scaled(args.train)
    variants = {name: VARIANTS[name] for name in VARIANTS if name == "defaults" or name in args.variants}
    timers = {name: EpochTimer() for name in variants}
    models = {name: classifier(name, params, timers[name]) for name, params in variants.items()}
    times = {name: [] for name in [*variants, "predict"]}
    for epoch in range(args.epochs + 1):
        for name, model in models.items():
            model.partial_fit(X, y)
            if epoch:
                times[name].append(timers[name].times[-1])
        start = time.perf_counter()
        models["defaults"].predict_proba(X)
        if epoch:
            times["predict"].append(time.perf_counter() - start)
            print(f"epoch {epoch}: " + ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()), flush=True)

    rows = []
    for name, seconds in times.items():
        model = models.get(name, models["defaults"])
        flop = forward_flops(model.model_) * len(X) * (1 if name == "predict" else 3)
        rows.append({"variant": name, "median_seconds": median(seconds),
                     "gflops_per_second": flop / median(seconds) / 1e9,
                     "ratio_to_defaults": median([a / b for a, b in zip(seconds, times["defaults"])]),
                     "forward_mflop_per_image": forward_flops(model.model_) / 1e6, "seconds": seconds})
    write_results("epoch_cost", {"n_images": len(X), "epochs": args.epochs, "rows": rows}, [table(
        f"One epoch of the defaults on {len(X):,} digits against variants that each remove one cost; "
        f"medians of {args.epochs} alternating epochs",
        ["variant", "forward MFLOP per image", "epoch (median)", "GFLOP/s", "/ the defaults' epoch"],
        [[r["variant"], f"{r['forward_mflop_per_image']:.1f}", f"{r['median_seconds']:.2f} s",
          f"{r['gflops_per_second']:.0f}", f"{r['ratio_to_defaults']:.3f}"] for r in rows],
        note="GFLOP/s counts 2 per multiply-add of the convolution and dense layers, x 3 in training; "
             "'predict' is the forward pass alone over the same digits.")], args.json)


if __name__ == "__main__":
    main()
