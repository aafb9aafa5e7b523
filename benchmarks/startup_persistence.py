"""Start-up and persistence: import time, model file size, and load plus first predict in a fresh process.

* ``import skdigits`` in a fresh Python process (``--import-repeats`` runs):
  wall time measured inside the process, and which heavy libraries it
  imported (TensorFlow must not be among them). Python's own start-up
  (``python -c pass``, timed from outside) is given for reference.
* File size: a digit pipeline of ``--recipe`` (``tutorial``, the default
  here: ``make_digit_pipeline(**TUTORIAL_RECIPE)``, filters 32,64,64, dense
  256; or ``fast``, the package defaults, filters 32,64) trained for
  ``--epochs`` on the training digits, saved with ``save_joblib`` and with
  ``save_model`` (the safe format). Figure: file size / the weights' bytes
  (sum of ``w.nbytes`` over ``model_.get_weights()``).
* Load plus first predict: what a user's second script pays. A fresh Python
  process times itself from before ``import skdigits`` to after its first
  ``predict`` returns (import, load, reading the digits, first predict), for
  the three loaders (``load_joblib``; ``load_model`` and ``load_predictor``,
  which reads the same safe-format file into a NumPy forward pass without
  TensorFlow) and for 1 and for 1,000 test digits, ``--load-repeats`` times,
  interleaved. ``load_predictor``'s largest probability
  difference from the trained pipeline's is reported too. Then a breakdown:
  the Keras loaders with the heavy libraries imported explicitly first
  (TensorFlow/Keras, scikit-learn),
  ``import tensorflow`` alone in a fresh process, and ``python -X importtime``
  self time summed by top-level package (median of ``--importtime-repeats``).

Wall and CPU time (user + system of the measured process) are both given:
on a shared machine the CPU time varies less.

    python benchmarks/startup_persistence.py [--epochs 1 --import-repeats 7 --load-repeats 5]
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import BACKEND, load_npz, median, parser, table, write_results

_IMPORT_CHILD = """
import time
wall, cpu = time.perf_counter(), time.process_time()
import skdigits
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
import json, sys
heavy = ("tensorflow", "keras", "scikeras", "sklearn", "scipy", "pandas", "numpy", "matplotlib")
print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "imported": [m for m in heavy if m in sys.modules]}))
"""

# argv: loader, model file, digits .npy, number of digits, "split" or "plain"
_LOAD_CHILD = """
import time
marks = [("start", time.perf_counter(), time.process_time())]
def mark(name):
    marks.append((name, time.perf_counter(), time.process_time()))
import sys
import skdigits
mark("import skdigits")
if sys.argv[5] == "split":
    import importlib
    importlib.import_module("__BACKEND__")  # TensorFlow, Keras and scikeras, quietly
    mark("import tensorflow + keras")
    import sklearn.pipeline
    mark("import scikit-learn")
    import skdigits.classifier, skdigits.persistence, skdigits.preprocessing
    mark("import skdigits modules")
model = getattr(skdigits, sys.argv[1])(sys.argv[2])
mark("load")
import numpy as np
X = np.load(sys.argv[3])[: int(sys.argv[4])]
mark("read digits")
model.predict(X)
mark("first predict")
model.predict(X)
mark("second predict")
import json
phases = {b[0]: {"seconds": b[1] - a[1], "cpu_seconds": b[2] - a[2]} for a, b in zip(marks, marks[1:])}
first = [m[0] for m in marks].index("first predict")
print(json.dumps({"phases": phases, "seconds": marks[first][1] - marks[0][1],
                  "cpu_seconds": marks[first][2] - marks[0][2]}))
""".replace("__BACKEND__", BACKEND)

# The floor under any loader: TensorFlow's own import, in a fresh process (numpy first, for comparison).
_TF_CHILD = """
import time
wall, cpu = time.perf_counter(), time.process_time()
import numpy
numpy_wall, numpy_cpu = time.perf_counter() - wall, time.process_time() - cpu
wall, cpu = time.perf_counter(), time.process_time()
import tensorflow
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
import json, sys
also = [m for m in ("keras", "sklearn", "scipy", "pandas", "matplotlib") if m in sys.modules]
print(json.dumps({"numpy_seconds": numpy_wall, "numpy_cpu_seconds": numpy_cpu, "seconds": wall, "cpu_seconds": cpu,
                  "also_imported": also}))
"""

_LOADERS = {"load_joblib": "model.joblib", "load_model": "model.skdigits", "load_predictor": "model.skdigits"}
_SAVERS = {"load_joblib": "save_joblib", "load_model": "save_model (safe)"}  # one file per format


def _python(code, *argv, flags=(), env=None):
    """Run ``code`` in a fresh interpreter; return (its stdout parsed as JSON or None, stderr, wall seconds)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *flags, "-c", code, *map(str, argv)], check=False, capture_output=True,
                          text=True, env=None if env is None else {**os.environ, **env})
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    out = done.stdout.strip().splitlines()
    return (json.loads(out[-1]) if out else None), done.stderr, wall


def _importtime(stderr):
    """Self time of each top-level package in ``python -X importtime`` output, in seconds, and the total."""
    by_package = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        own, _, name = line[len("import time:"):].split("|")
        package = name.strip().split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(own) / 1e6
    return by_package


def _load_average():
    try:
        return os.getloadavg()
    except OSError:
        return None


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1, help="training epochs of the saved pipeline")
    p.add_argument("--recipe", choices=("tutorial", "fast"), default="tutorial",
                   help="the saved pipeline's recipe (default: %(default)s, the network of the published figures)")
    p.add_argument("--import-repeats", type=int, default=7)
    p.add_argument("--load-repeats", type=int, default=5)
    p.add_argument("--importtime-repeats", type=int, default=3)
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 1000], help="digits in the first predict")
    args = p.parse_args()
    load_before = _load_average()

    # ---- import skdigits, fresh processes
    python_start, imports = [], []
    for _ in range(args.import_repeats):
        python_start.append(_python("pass")[2])
        result, _, wall = _python(_IMPORT_CHILD)
        imports.append({**result, "process_seconds": wall})
        print(f"python start {python_start[-1]:.3f} s; import skdigits {result['seconds']:.3f} s "
              f"(cpu {result['cpu_seconds']:.3f} s), imported {result['imported']}", flush=True)
    import_seconds = median([r["seconds"] for r in imports])
    tf_imported = any("tensorflow" in r["imported"] for r in imports)

    # ---- train and save
    from skdigits import (
        FAST_RECIPE,
        TUTORIAL_RECIPE,
        load_joblib,
        load_model,
        load_predictor,
        make_digit_pipeline,
        save_joblib,
        save_model,
    )

    X, y = load_npz(args.train)
    X_test, _ = load_npz(args.test)
    X, X_test = X.reshape(len(X), -1), X_test.reshape(len(X_test), -1)  # Kaggle-style rows of 784 pixels
    start = time.perf_counter()
    recipe = TUTORIAL_RECIPE if args.recipe == "tutorial" else FAST_RECIPE
    pipe = make_digit_pipeline(**{**recipe, "epochs": args.epochs}, random_state=0).fit(X, y)
    fit_seconds = time.perf_counter() - start
    weights = pipe[-1].model_.get_weights()
    weight_bytes = int(sum(w.nbytes for w in weights))
    n_params = int(pipe[-1].model_.count_params())
    print(f"fitted in {fit_seconds:.1f} s: {n_params} parameters, {weight_bytes / 1e6:.2f} MB of weights", flush=True)

    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        save_joblib(pipe, folder / _LOADERS["load_joblib"])
        save_model(pipe, folder / _LOADERS["load_model"])
        files = {}
        for loader in _SAVERS:
            size = (folder / _LOADERS[loader]).stat().st_size
            files[loader] = {"bytes": size, "ratio": size / weight_bytes}
        X_check = X_test[: max(args.sizes)]
        expected = pipe.predict(X_check)
        for loader, load in (("load_joblib", load_joblib), ("load_model", load_model)):
            assert (load(folder / _LOADERS[loader]).predict(X_check) == expected).all()
        predictor = load_predictor(folder / _LOADERS["load_predictor"])
        predictor_check = {
            "digits": len(X_check),
            "max_abs_proba_difference": float(np.abs(predictor.predict_proba(X_check)
                                                     - pipe.predict_proba(X_check)).max()),
            "predictions_equal": float((predictor.predict(X_check) == expected).mean()),
        }
        print(f"load_predictor vs Keras on {len(X_check)} digits: max |proba difference| "
              f"{predictor_check['max_abs_proba_difference']:.2e}, predictions equal "
              f"{predictor_check['predictions_equal']:.2%}", flush=True)
        digits = folder / "digits.npy"
        np.save(digits, X_test[: max(args.sizes)])

        # ---- load + first predict, fresh processes, interleaved
        # "split" imports TensorFlow first: only for the loaders that need it.
        cases = [(loader, n, mode) for mode in ("plain", "split") for loader in _LOADERS for n in args.sizes
                 if mode == "plain" or (n == min(args.sizes) and loader in _SAVERS)]
        for case in cases:
            runs[case] = []
        tf_imports = []
        for repeat in range(args.load_repeats):
            result, _, wall = _python(_TF_CHILD, env={"TF_CPP_MIN_LOG_LEVEL": "3"})
            tf_imports.append({**result, "process_seconds": wall})
            print(f"round {repeat + 1}, import tensorflow alone: {result['seconds']:.2f} s (cpu "
                  f"{result['cpu_seconds']:.2f} s; it also imported {result['also_imported']})", flush=True)
            for loader, n, mode in cases:
                result, _, wall = _python(_LOAD_CHILD, loader, folder / _LOADERS[loader], digits, n, mode)
                runs[(loader, n, mode)].append({**result, "process_seconds": wall})
                print(f"round {repeat + 1}, {loader}, {n} digits, {mode}: {result['seconds']:.2f} s "
                      f"(cpu {result['cpu_seconds']:.2f} s; whole process {wall:.2f} s)", flush=True)

        # ---- where the import time goes (SKDIGITS_TF_LOGS=1: skdigits otherwise silences stderr during
        # TensorFlow's import, and with it importtime's report)
        profiles = []
        for _ in range(args.importtime_repeats):
            _, stderr, _ = _python(f"import skdigits; skdigits.load_joblib({str(folder / 'model.joblib')!r})",
                                   flags=("-X", "importtime"), env={"SKDIGITS_TF_LOGS": "1"})
            profiles.append(_importtime(stderr))
    packages = sorted({k for prof in profiles for k in prof})
    importtime = {k: median([prof.get(k, 0.0) for prof in profiles]) for k in packages}
    importtime_total = median([sum(prof.values()) for prof in profiles])
    top = sorted(importtime.items(), key=lambda kv: -kv[1])[:10]

    def phase(case, name, key="seconds"):
        return median([r["phases"][name][key] for r in runs[case]])

    main_rows = [
        ["python start-up (python -c pass, whole process)", f"{median(python_start):.3f} s", ""],
        ["import skdigits, fresh process", f"{import_seconds:.3f} s",
         f"{median([r['cpu_seconds'] for r in imports]):.3f} s; TensorFlow imported: {'yes' if tf_imported else 'no'}"],
        ["parameters; weights' bytes", f"{n_params:,}; {weight_bytes / 1e6:.2f} MB", ""],
    ]
    for loader, name in _SAVERS.items():
        main_rows.append([f"{name} file / the weights' bytes", f"{files[loader]['ratio']:.3f}",
                          f"{files[loader]['bytes'] / 1e6:.2f} MB"])
    for loader, n, mode in cases:
        if mode == "plain":
            case = runs[(loader, n, mode)]
            main_rows.append([f"{loader} + first predict of {n:,} digit{'s' if n > 1 else ''}, fresh process",
                              f"{median([r['seconds'] for r in case]):.2f} s",
                              f"cpu {median([r['cpu_seconds'] for r in case]):.2f} s; whole process "
                              f"{median([r['process_seconds'] for r in case]):.2f} s"])
    main_rows.append(["import tensorflow alone, fresh process", f"{median([r['seconds'] for r in tf_imports]):.2f} s",
                      "it also imports " + (", ".join(tf_imports[0]["also_imported"]) or "nothing else")])
    main_rows.append(["load_predictor against Keras: largest probability difference",
                      f"{predictor_check['max_abs_proba_difference']:.1e}",
                      f"on {predictor_check['digits']:,} digits"])
    names = list(runs[cases[-1]][0]["phases"])
    breakdown = [[f"{case[0]}, {case[1]:,} digits, {case[2]}",
                  *(f"{phase(case, n):.2f} / {phase(case, n, 'cpu_seconds'):.2f}" if n in runs[case][0]["phases"]
                    else "" for n in names)] for case in cases]
    tables = [
        table(f"Start-up and files: a pipeline of the {args.recipe} recipe trained {args.epochs} epoch(s); medians of "
              f"{args.import_repeats} imports and {args.load_repeats} interleaved loads",
              ["what", "median", "more"], main_rows,
              note="Load plus first predict is timed inside a fresh process, from before import skdigits to the "
                   "first predict's return."),
        table("Where the load time goes (median seconds, wall / CPU; split runs import the heavy libraries first)",
              ["run", *names], breakdown),
        table(f"python -X importtime of import skdigits + load_joblib: self time by top-level package "
              f"(median of {len(profiles)}, {importtime_total:.2f} s of imports in all)",
              ["package", "seconds"], [[name, f"{seconds:.2f}"] for name, seconds in top]),
    ]
    write_results("startup_persistence", {
        "recipe": args.recipe, "epochs": args.epochs,
        "load_average_before_after": [load_before, _load_average()],
        "python_start_seconds": python_start,
        "import": imports,
        "median_import_seconds": import_seconds,
        "tensorflow_imported_by_import_skdigits": tf_imported,
        "fit_seconds": fit_seconds,
        "n_parameters": n_params,
        "weight_bytes": weight_bytes,
        "files": files,
        "load_predictor_vs_keras": predictor_check,
        "load_and_predict": [{"loader": k[0], "digits": k[1], "mode": k[2], "runs": v,
                              "median_seconds": median([r["seconds"] for r in v]),
                              "median_cpu_seconds": median([r["cpu_seconds"] for r in v])}
                             for k, v in runs.items()],
        "import_tensorflow_alone": tf_imports,
        "median_import_tensorflow_seconds": median([r["seconds"] for r in tf_imports]),
        "importtime_self_seconds_by_package": importtime,
        "importtime_total_seconds": importtime_total,
    }, tables, args.json)


if __name__ == "__main__":
    main()
