"""Activation bombs: tiny model files with legal weights whose forward pass needs gigabytes or hours.

The attack of issue 23, class 1: a model file of a few kilobytes, every
parameter within its budget, about 12.6 M all-zero weights (a 1x1
convolution of 3072 filters, then a 64x64 kernel over those channels).
Both loaders accepted it; predicting one 28x28 digit with it needs ~10 GB of
working memory. Each is now refused from its manifest, naming the budget and
the network, before any weight is read; build_cnn refuses to build it; and
a MemoryError that still happens in the CLI is one line, exit status 2.
"""

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers import TINY, refused, small_digits, zip_members

from skdigits import CNNDigitClassifier, load_model, load_predictor, save_model
from skdigits.exceptions import BudgetExceededError
from skdigits.network.architecture import describe, weight_shapes
from skdigits.network.cost import network_cost

NETWORK = "estimator.npz"
#: The issue's bomb: 28x28 digits, a 1x1 convolution of 3072 filters, a 64x64 kernel over them.
BOMB = dict(image_side=28, filters=(3072, 1), kernel_sizes=(1, 64))
#: Within the memory budget (~4 MB per image) but 1.7 GFLOP per image: a 5x5 kernel of 2048 filters.
SLOW = dict(image_side=32, filters=(64, 2048), kernel_sizes=(3, 5))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    model = CNNDigitClassifier(**TINY).fit(*small_digits())
    return save_model(model, tmp_path_factory.mktemp("bomb") / "tiny.skdigits")


def _crafted(saved, path, *, image_side, filters, kernel_sizes):
    """A copy of ``saved`` whose classifier and network have these layers and images, weights all zero, deflated."""
    members = zip_members(saved)
    manifest = json.loads(members["manifest.json"])
    estimator = manifest["estimator"]
    fitted = estimator["fitted"]
    architecture = fitted["network"]["architecture"]
    for entry in (estimator["params"], architecture):
        entry.update(filters=list(filters), kernel_sizes=list(kernel_sizes))
    architecture["image_shape"] = fitted["image_shape_"] = [image_side, image_side]
    fitted["n_features_in_"] = image_side * image_side
    inner = io.BytesIO()
    np.savez_compressed(inner, **{name: np.zeros(shape, "<f4") for name, shape in
                                  weight_shapes(describe(architecture))})
    members.update({"manifest.json": json.dumps(manifest).encode(), NETWORK: inner.getvalue()})
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path, architecture


@pytest.fixture
def no_weights_read(monkeypatch):
    """Fail the test if a loader reads a network's weights (the refusal must come from the manifest)."""
    from skdigits.persistence import weights

    def never(*args, **kwargs):
        raise AssertionError("a network's weights were read")

    monkeypatch.setattr(weights, "read_npz", never)


def test_the_issues_bomb_is_a_few_kilobytes_of_legal_parameters_that_need_gigabytes(saved, tmp_path):
    bomb, architecture = _crafted(saved, tmp_path / "bomb.skdigits", **BOMB)
    assert os.path.getsize(bomb) < 100_000
    n_weights = sum(int(np.prod(shape)) for _, shape in weight_shapes(describe(architecture)))
    assert 12_500_000 < n_weights < 12_700_000  # within MAX_PARAMETERS and MAX_WEIGHTS
    cost = network_cost(architecture)
    assert cost.peak == "conv2" and cost.working_bytes > 9_000_000_000


@pytest.mark.usefixtures("no_weights_read")
def test_both_loaders_refuse_the_activation_bomb_from_its_manifest(saved, tmp_path):
    bomb, architecture = _crafted(saved, tmp_path / "bomb.skdigits", **BOMB)
    working = network_cost(architecture).working_bytes
    message = refused(bomb, BudgetExceededError,
                      rf"the network estimator .* would need {working:,} bytes of working memory per image \(at its "
                      r"layer conv2\), over the budget MAX_WORKING_BYTES_PER_IMAGE=16,777,216 "
                      r"\(skdigits.persistence.budgets\)")
    assert message.endswith("Nothing from the file was run.")


@pytest.mark.usefixtures("no_weights_read")
def test_both_loaders_refuse_a_network_over_the_arithmetic_budget(saved, tmp_path):
    slow, architecture = _crafted(saved, tmp_path / "slow.skdigits", **SLOW)
    cost = network_cost(architecture)
    assert cost.working_bytes < 16 << 20 and cost.flops > 1_500_000_000
    refused(slow, BudgetExceededError,
            rf"would need {cost.flops:,} floating-point operations per image \([\d,]+ at its layer conv2\), over the "
            r"budget MAX_FLOPS_PER_IMAGE=1,000,000,000")


def test_the_refusal_is_the_budget_alone_a_raised_budget_loads_the_file(saved, tmp_path, monkeypatch):
    """The crafted file is otherwise sound: only the compute budget stands between it and predict."""
    from skdigits.persistence import budgets

    slow, architecture = _crafted(saved, tmp_path / "slow.skdigits", **SLOW)
    monkeypatch.setattr(budgets, "MAX_FLOPS_PER_IMAGE", 10 ** 10)
    predictor = load_predictor(slow)
    network = predictor.network
    assert network.working_bytes == network_cost(architecture).working_bytes
    assert network.chunk_size == (32 << 20) // network.working_bytes  # chunks sized by the working memory
    assert predictor.predict(np.zeros((2, 32 * 32), np.float32)).shape == (2,)


def test_the_numpy_network_never_chunks_more_than_32_mib_of_work(saved, tmp_path, monkeypatch):
    """A network that needs 15 MB per image (within the budget) predicts two images per chunk, not 1024."""
    from skdigits.persistence import budgets

    path, architecture = _crafted(saved, tmp_path / "wide.skdigits", image_side=100, filters=(200,),
                                  kernel_sizes=(3,))
    cost = network_cost(architecture)
    assert 12 << 20 < cost.working_bytes <= 16 << 20, cost.working_bytes
    monkeypatch.setattr(budgets, "MAX_FLOPS_PER_IMAGE", 10 ** 10)
    network = load_predictor(path).network
    assert network.chunk_size == 2 and network.chunk_size * cost.working_bytes <= 32 << 20


def test_build_cnn_refuses_the_bomb_before_keras_builds_anything(monkeypatch):
    from skdigits._training.backend import keras
    from skdigits.network.keras_model import build_cnn

    def never(*args, **kwargs):
        raise AssertionError("Keras built a layer")

    monkeypatch.setattr(keras, "Input", never)
    with pytest.raises(BudgetExceededError, match=r"build_cnn: the network for 28x28 images with filters=\(3072, 1\) "
                                                  r"and kernel_sizes=\(1, 64\) would need [\d,]+ bytes of working "
                                                  r"memory per image \(at its layer conv2\), over the budget "
                                                  r"MAX_WORKING_BYTES_PER_IMAGE=16,777,216 \(skdigits.utils.limits\)"):
        build_cnn(image_shape=(28, 28), n_classes=10, filters=(3072, 1), kernel_sizes=(1, 64), dense_units=8)
    with pytest.raises(BudgetExceededError, match=r"MAX_FLOPS_PER_IMAGE=1,000,000,000 \(skdigits.utils.limits\)"):
        build_cnn(image_shape=(32, 32), n_classes=10, filters=(64, 2048), kernel_sizes=(3, 5), dense_units=8)


def test_the_classifier_refuses_to_train_the_bomb(monkeypatch):
    from skdigits._training import loop

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(loop, "batches", never)
    X, y = np.zeros((20, 28 * 28), np.float32), np.arange(20) % 2
    with pytest.raises(BudgetExceededError, match="MAX_WORKING_BYTES_PER_IMAGE"):
        CNNDigitClassifier(**{**TINY, "filters": (3072, 1), "kernel_sizes": (1, 64)}).fit(X, y)


@pytest.mark.parametrize("recipe", ["FAST_RECIPE", "TUTORIAL_RECIPE", "ACCURATE_RECIPE"])
def test_every_recipe_trains_saves_and_loads_in_both_loaders(recipe, tmp_path):
    from skdigits import recipes
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    rows = np.random.RandomState(0).permutation(len(X))[:96]
    X, y = X.iloc[rows], y.iloc[rows]
    model = CNNDigitClassifier(**{**getattr(recipes, recipe), "epochs": 1, "random_state": 0}).fit(X, y)
    path = save_model(model, tmp_path / f"{recipe}.skdigits")
    np.testing.assert_array_equal(load_model(path).predict(X), model.predict(X))
    np.testing.assert_allclose(load_predictor(path).predict_proba(X), model.predict_proba(X), atol=1e-5)


# ---------------------------------------------------------------- the CLI
def _png(path):
    from PIL import Image

    image = np.zeros((28, 28), np.uint8)
    image[6:22, 12:16] = 255
    Image.fromarray(image).save(path)
    return path


def test_predict_refuses_the_bomb_in_one_line(saved, tmp_path, capsys):
    from skdigits import cli

    bomb, _ = _crafted(saved, tmp_path / "bomb.skdigits", **BOMB)
    assert cli.main(["predict", "--model", str(bomb), "--images", str(_png(tmp_path / "one.png")), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("skdigits: error: ") and "Traceback" not in err
    assert str(bomb) in err and "MAX_WORKING_BYTES_PER_IMAGE" in err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as Linux enforces it")
def test_a_memory_error_in_predict_is_one_line_naming_the_inputs_with_exit_status_2(saved, tmp_path):
    """With the budgets raised, the bomb reaches NumPy: its MemoryError is one line, never a 30-line traceback."""
    bomb, _ = _crafted(saved, tmp_path / "bomb.skdigits", **BOMB)
    image = _png(tmp_path / "one.png")
    script = ("import resource, sys; from skdigits.persistence import budgets; "
              "budgets.MAX_WORKING_BYTES_PER_IMAGE = budgets.MAX_FLOPS_PER_IMAGE = 10 ** 12; "
              "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); from skdigits import cli; "
              f"sys.exit(cli.main(['predict', '--model', {str(bomb)!r}, '--images', {str(image)!r}, '--quiet']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SKDIGITS_DEBUG": "", "OMP_NUM_THREADS": "1",
                               "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("skdigits: error: out of memory in 'skdigits predict' on "
                               f"--model {bomb}, --images {image} (Unable to allocate"), lines[0]
