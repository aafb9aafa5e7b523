"""Users' own digits: does MNIST normalisation make photo-like image files read as well as MNIST arrays?

Two measurements, one model trained once on the 8,000 shared MNIST
training digits (``make_digit_pipeline(random_state=0)``: the defaults, as
``skdigits train`` trains them), saved with ``save_model`` and read back with
``load_predictor``, the NumPy path ``skdigits predict --images`` takes:

1. **MNIST test digits rendered as image files** (``--n`` of them, the
   first of the official test set): each digit is scaled up 4-9x, placed
   off-centre in a larger frame and rendered in one of three styles, in
   turn:

   - ``photo``: dark blue-black ink on cream paper, light falling off
     across the sheet, blur, sensor noise, saved as RGB JPEG (quality 80);
   - ``canvas``: black strokes on a transparent background, RGBA PNG (as a
     browser canvas exports them);
   - ``chalk``: textured white chalk on a dark green smudged board, PNG.

   The files go through :func:`skdigits.images.files.predict_image_files` (read
   with Pillow, normalised, predicted), and the model's accuracy on them is
   compared with its accuracy on the same digits as 28x28 arrays.

2. **scikit-learn's load_digits**: 1,797 digits of 43 writers, 8x8 with
   16 grey levels. Scaled up 8x (bilinear) to 64x64, they are predicted
   (a) resized straight to 28x28 (not normalised) and (b) through
   :class:`skdigits.images.normalize.DigitNormalizer`.

    python benchmarks/own_digits.py [--n 3000] [--keep-files DIR] [--epochs E]
    python benchmarks/own_digits.py --figure docs/_static/normalization_steps.png   # the docs' figure only
"""

import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from _common import load_npz, parser, table, write_results

STYLES = ("photo", "canvas", "chalk")


def _placed(digit, rng):
    """The digit's ink in [0, 1], scaled up 4-9x and placed off-centre in a frame 1.4-2.2x its size."""
    factor = rng.uniform(4, 9)
    side = int(round(28 * factor))
    ink = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    ink = np.clip(np.asarray(ink, dtype=np.float32) / 255, 0, 1)
    fh, fw = (int(side * rng.uniform(1.4, 2.2)) for _ in range(2))
    frame = np.zeros((fh, fw), np.float32)
    top, left = rng.integers(0, fh - side + 1), rng.integers(0, fw - side + 1)
    frame[top:top + side, left:left + side] = ink
    return frame


def render(digit, style, rng):
    """Render a 28x28 uint8 MNIST digit as a PIL image in ``style``."""
    ink = _placed(digit, rng)
    h, w = ink.shape
    if style == "canvas":
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[..., 3] = np.round(ink * 255)
        return Image.fromarray(rgba, "RGBA")
    gy, gx = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    along = np.cos(angle) * gy + np.sin(angle) * gx
    along = (along - along.min()) / np.ptp(along)
    light = 1.0 - rng.uniform(0.15, 0.45) * along ** 2  # light falls off across the sheet, by up to 45 %
    if style == "photo":
        paper = np.array([235, 228, 210], np.float32) * light[..., None]
        pen = np.array([25, 30, 70], np.float32)
        rgb = paper * (1 - ink[..., None]) + pen * ink[..., None]
        blur, noise = rng.uniform(0.8, 2.0), 6.0
    else:
        board = np.array([40, 62, 50], np.float32) * (0.8 + 0.4 * light[..., None])
        smudge = np.asarray(Image.fromarray((rng.random((h // 16 + 1, w // 16 + 1)) * 255).astype(np.uint8))
                            .resize((w, h), Image.Resampling.BICUBIC), np.float32)[..., None] / 255
        board = board + 25 * smudge
        texture = (0.55 + 0.45 * rng.random((h, w)))[..., None]
        chalk = np.array([235, 235, 225], np.float32)
        rgb = board * (1 - ink[..., None] * texture) + chalk * ink[..., None] * texture
        blur, noise = rng.uniform(0.5, 1.2), 4.0
    image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(blur))
    pixels = np.asarray(image, np.float32) + rng.normal(0, noise, (h, w, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_rendered(X, folder, seed=0):
    """Render each digit in the styles in turn into ``folder``; return the file paths in order."""
    rng = np.random.default_rng(seed)
    paths = []
    for i, digit in enumerate(X):
        style = STYLES[i % len(STYLES)]
        suffix = ".jpg" if style == "photo" else ".png"
        path = Path(folder) / f"{i:05d}_{style}{suffix}"
        render(digit, style, rng).save(path, quality=80) if suffix == ".jpg" else render(digit, style, rng).save(path)
        paths.append(path)
    return paths


def sklearn_digits_views():
    """load_digits scaled to 0..255 and up 8x; returns (not normalised 28x28, normalised 28x28, y)."""
    from sklearn.datasets import load_digits

    from skdigits.images.normalize import DigitNormalizer

    digits = load_digits()
    big = [np.asarray(Image.fromarray((d * 255 / 16).astype(np.float32), "F")
                      .resize((64, 64), Image.Resampling.BILINEAR)) for d in digits.images]
    big = np.clip(np.stack(big), 0, 255)
    plain = np.stack([np.asarray(Image.fromarray(b, "F").resize((28, 28), Image.Resampling.BOX)) for b in big])
    plain = np.clip(np.round(plain), 0, 255).astype(np.uint8)
    normalised = DigitNormalizer().fit_transform(big.astype(np.uint8))
    return plain, normalised, digits.target


def save_figure(path, X, y, index=61, seed=3):
    """The docs' figure: a photo-like JPEG of test digit ``index`` through each normalisation step."""
    from skdigits.images.plotting import plot_normalization_steps

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        render(X[index], "photo", np.random.default_rng(seed)).save(photo, quality=80)
        title = f"A photo-like JPEG of MNIST test digit {index} (label {y[index]}) through load_digit_images"
        plot_normalization_steps(photo, title=title).savefig(path, dpi=110)
    print(f"wrote {path}")


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=3000, help="MNIST test digits to render")
    p.add_argument("--keep-files", type=Path, default=None,
                   help="write the rendered files here and keep them (reused if it already holds --n files)")
    p.add_argument("--figure", type=Path, default=None, help="only write the normalisation figure there")
    p.add_argument("--model", type=Path, default=None, help="save the trained model here; reuse it if it exists")
    p.add_argument("--epochs", type=int, default=None, help="train this many epochs (default: the defaults' 15)")
    args = p.parse_args()
    if args.figure:
        save_figure(args.figure, *load_npz(args.test))
        return

    from skdigits import load_predictor, make_digit_pipeline, save_model
    from skdigits.images.files import as_model_input, predict_image_files

    X_train, y_train = load_npz(args.train)
    X_test, y_test = load_npz(args.test)
    X_test, y_test = X_test[:args.n], y_test[:args.n]
    fit_seconds = None
    with tempfile.TemporaryDirectory() as tmp:
        model_path = args.model or Path(tmp) / "model.skdigits"
        if not Path(model_path).exists():  # --model from an earlier run: reuse it instead of training again
            start = time.perf_counter()
            params = {} if args.epochs is None else {"epochs": args.epochs}
            trained = make_digit_pipeline(random_state=0, **params).fit(X_train.reshape(len(X_train), -1), y_train)
            fit_seconds = round(time.perf_counter() - start, 1)
            save_model(trained, model_path)
        model = load_predictor(model_path)
        folder = args.keep_files or Path(tmp) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        if len(list(folder.iterdir())) != len(X_test):  # --keep-files from an earlier run with the same --n: reuse
            write_rendered(X_test, folder)
        render_seconds = time.perf_counter() - start
        start = time.perf_counter()
        rows = predict_image_files(model, folder)
        load_seconds = time.perf_counter() - start
    predicted_files = np.array([row["label"] for row in rows])

    def accuracy(X, y):
        return float(np.mean(model.predict(as_model_input(model, X)) == y))

    def files_accuracy(keep):
        return float(np.mean(predicted_files[keep] == y_test[keep]))

    styles = np.array([STYLES[i % len(STYLES)] for i in range(len(y_test))])
    results = {
        "n": int(len(y_test)),
        "fit_seconds": fit_seconds,
        "render_seconds": round(render_seconds, 1),
        "predict_image_files_seconds": round(load_seconds, 1),
        "arrays_accuracy": accuracy(X_test, y_test),
        "files_accuracy": files_accuracy(slice(None)),
        "files_accuracy_by_style": {s: files_accuracy(styles == s) for s in STYLES},
        "arrays_accuracy_by_style": {s: accuracy(X_test[styles == s], y_test[styles == s]) for s in STYLES},
    }
    plain, normalised, y_digits = sklearn_digits_views()
    results["load_digits_not_normalised"] = accuracy(plain, y_digits)
    results["load_digits_normalised"] = accuracy(normalised, y_digits)
    rows = [[style, f"{results['arrays_accuracy_by_style'][style]:.2%}",
             f"{results['files_accuracy_by_style'][style]:.2%}"] for style in STYLES]
    rows.append([f"all {results['n']:,}", f"{results['arrays_accuracy']:.2%}", f"{results['files_accuracy']:.2%}"])
    write_results("own_digits", results, [
        table(f"The first {results['n']:,} MNIST test digits as 28x28 arrays and rendered as image files "
              "(photo: RGB JPEG; canvas: RGBA PNG; chalk on a board: PNG), predicted by load_predictor with a model "
              "of the defaults",
              ["style", "as 28x28 arrays", "as image files"], rows),
        table(f"scikit-learn's load_digits ({len(y_digits):,} digits, 8x8), predicted by the same model",
              ["input", "accuracy"],
              [["resized straight to 28x28", f"{results['load_digits_not_normalised']:.2%}"],
               ["through the MNIST normalisation (DigitNormalizer)", f"{results['load_digits_normalised']:.2%}"]]),
    ], args.json)


if __name__ == "__main__":
    main()
