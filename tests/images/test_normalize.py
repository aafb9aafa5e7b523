"""DigitNormalizer: users' images of any size and layout → MNIST-style 28x28 digits."""

import subprocess
import sys

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings
from PIL import Image
from scipy import ndimage
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdigits.exceptions import DataError, DataTypeError, InvalidParameterError
from skdigits.images.ink import otsu_threshold
from skdigits.images.normalize import DigitNormalizer, normalization_steps
from skdigits.preprocessing import DigitImageTransformer


@pytest.fixture(scope="module")
def mnist():
    """500 real MNIST digits (28x28 uint8) from the embedded sample."""
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    return X.to_numpy().reshape(-1, 28, 28)[::10].astype(np.uint8), y.to_numpy()[::10]


def correlation(a, b):
    return float(np.corrcoef(np.asarray(a, float).ravel(), np.asarray(b, float).ravel())[0, 1])


def photo_of(digit, *, factor=6, frame=(300, 260), at=(30, 80), light=0.35, noise=5.0, seed=0):
    """Dark ink on light paper: ``digit`` scaled up, off-centre, with falling light and noise (grey uint8)."""
    rng = np.random.default_rng(seed)
    side = 28 * factor
    ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC), float) / 255
    canvas = np.zeros(frame)
    canvas[at[0]:at[0] + side, at[1]:at[1] + side] = np.clip(ink, 0, 1)
    gy, gx = np.mgrid[0:frame[0], 0:frame[1]] / max(frame)
    paper = 230 * (1 - light * (gy + gx) / 2)
    grey = paper * (1 - canvas) + 35 * canvas + rng.normal(0, noise, frame)
    return np.clip(grey, 0, 255).astype(np.uint8)


def test_mnist_digits_come_back_nearly_unchanged(mnist):
    X, _ = mnist
    out = DigitNormalizer().fit_transform(X)
    assert out.shape == X.shape and out.dtype == np.uint8
    scores = [correlation(a, b) for a, b in zip(X, out)]
    assert np.median(scores) > 0.97, np.median(scores)


def test_photo_is_inverted_cropped_boxed_and_centred_by_mass(mnist):
    digit = mnist[0][3]
    out = DigitNormalizer().fit_transform(photo_of(digit)[np.newaxis])[0]
    assert correlation(out, digit) > 0.9
    assert out[0].max() == 0 and out[:, 0].max() == 0, "background must be black"
    rows, cols = np.flatnonzero(out.max(axis=1) > 0), np.flatnonzero(out.max(axis=0) > 0)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20, "the longer side fits 20 pixels"
    assert np.allclose(ndimage.center_of_mass(out.astype(float)), (14, 14), atol=0.6)


def test_polarity_and_colour_do_not_change_the_result(mnist):
    digit = mnist[0][7]
    photo = photo_of(digit, light=0.0, noise=0.0)
    rgb = np.stack([photo, photo, photo // 2], axis=-1)
    normalizer = DigitNormalizer()
    dark_on_light, light_on_dark, colour = normalizer.transform([photo, 255 - photo, rgb])
    assert correlation(dark_on_light, light_on_dark) > 0.97
    assert correlation(dark_on_light, colour) > 0.95
    steps = normalization_steps(photo)
    assert steps["inverted"] and not normalization_steps(255 - photo)["inverted"]


def test_forced_polarity_is_obeyed(mnist):
    photo = photo_of(mnist[0][7], light=0.0, noise=0.0)
    auto = DigitNormalizer().transform(photo[np.newaxis])[0]
    forced = DigitNormalizer(polarity="dark-on-light").transform(photo[np.newaxis])[0]
    assert np.array_equal(auto, forced)
    assert not normalization_steps(photo, polarity="light-on-dark")["inverted"]
    try:  # the paper taken as ink: refused, or at least not the digit
        wrong = DigitNormalizer(polarity="light-on-dark").transform(photo[np.newaxis])[0]
    except DataError:
        return
    assert correlation(auto, wrong) < 0.8


def test_rgba_strokes_on_transparent_black_are_read_from_alpha(mnist):
    digit = mnist[0][5]
    big = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BICUBIC))
    rgba = np.zeros((280, 280, 4), np.uint8)  # black ink on transparent black: a browser canvas export
    rgba[..., 3] = big
    out = DigitNormalizer().transform(rgba[np.newaxis])[0]
    assert correlation(out, digit) > 0.93


def test_uneven_light_is_evened_out(mnist):
    digit = mnist[0][11]
    even = DigitNormalizer().transform(photo_of(digit, light=0.0)[np.newaxis])[0]
    uneven = DigitNormalizer().transform(photo_of(digit, light=0.6)[np.newaxis])[0]
    assert correlation(even, uneven) > 0.95


def scene(digit, kind, seed=0):
    """Harder photos (RGB uint8): a sheet on a dark desk, lined or squared paper, a hard shadow."""
    rng = np.random.default_rng(seed)
    ink = np.zeros((300, 400), np.float32)
    ink[60:240, 110:290] = np.asarray(Image.fromarray(digit).resize((180, 180), Image.Resampling.BICUBIC)) / 255
    ink = np.clip(ink, 0, 1)
    image = np.full((300, 400, 3), (240, 238, 230), np.float32)
    if kind == "desk":
        image[:] = (60, 45, 35)
        image[35:280, 70:340] = (232, 230, 222)
    elif kind in ("lined", "squared"):
        for r in range(12, 300, 26):
            image[r:r + 2] = (150, 170, 220)
        if kind == "squared":
            for c in range(9, 400, 26):
                image[:, c:c + 2] = (150, 170, 220)
    elif kind == "shadow":
        image[:, :170] *= 0.55
    image = image * (1 - ink[..., None]) + np.array([25, 25, 35]) * ink[..., None]
    return np.clip(image + rng.normal(0, 3, image.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("kind", ["desk", "lined", "squared", "shadow"])
def test_desk_ruling_and_shadows_are_not_taken_for_ink(mnist, kind):
    for digit in mnist[0][:4]:
        out = DigitNormalizer().transform(scene(digit, kind)[np.newaxis])[0]
        # Squared paper leaves faint seams where its lines crossed the strokes: 0.8, not 0.85.
        assert correlation(out, DigitNormalizer().transform(digit[np.newaxis])[0]) > 0.8, kind


def test_two_bars_are_not_a_ruling():
    seven = np.zeros((100, 100), np.uint8)
    seven[5:15, :] = 255  # a tight crop of a 7 with a crossbar: two full-width bars
    seven[50:58, 5:95] = 255
    seven[15:100, 60:72] = 255
    out = DigitNormalizer().transform(seven[np.newaxis])[0]
    rows = np.flatnonzero(out.max(axis=1) > 128)
    assert rows[-1] - rows[0] + 1 >= 19 and out[rows[0]].astype(bool).sum() >= 15, "the bars are kept"


def test_thin_strokes_survive_downscaling():
    image = np.full((600, 600), 255, np.uint8)
    image[50:550, 300] = 0  # a one-pixel "1" on a 600-pixel sheet
    image[50:60, 280:300] = 0
    out = DigitNormalizer().transform(image[np.newaxis])[0]
    assert out.max() == 255
    assert (out > 128).sum() >= 30, "the stroke must stay a visible line, about 2 pixels wide"


def test_marker_thick_strokes_are_thinned_towards_mnist():
    ring = np.zeros((240, 240), np.uint8)
    gy, gx = np.mgrid[0:240, 0:240]
    radius = np.hypot(gy - 120, gx - 120)
    ring[(radius > 50) & (radius < 110)] = 255  # a "0" drawn with a marker 60 pixels wide: 5.5 box pixels
    out = DigitNormalizer().transform(ring[np.newaxis])[0]
    row = out[14] > 128
    first = np.flatnonzero(row)[0]
    assert 2 <= np.argmin(row[first:]) <= 4, "the ring's side is about 4 pixels wide, not 5.5"
    assert out[14, 14] == 0, "the hole stays open"


def test_aspect_ratio_is_kept():
    wide = np.zeros((100, 300), np.uint8)
    wide[40:60, 20:280] = 255  # 260 x 20: a dash
    out = DigitNormalizer().transform(wide[np.newaxis])[0]
    rows, cols = np.flatnonzero(out.max(axis=1) > 64), np.flatnonzero(out.max(axis=0) > 64)
    assert cols[-1] - cols[0] + 1 == 20
    assert 1 <= rows[-1] - rows[0] + 1 <= 4


def test_specks_away_from_the_digit_are_dropped(mnist):
    photo = photo_of(mnist[0][3], noise=0.0)
    photo[5:8, 5:8] = 0  # a fly speck far from the digit
    photo[290:293, 250:253] = 0
    clean = DigitNormalizer().transform(photo_of(mnist[0][3], noise=0.0)[np.newaxis])[0]
    assert correlation(DigitNormalizer().transform(photo[np.newaxis])[0], clean) > 0.99


def test_images_of_different_sizes_in_a_list_and_flat_rows(mnist):
    X = mnist[0][:3]
    out = DigitNormalizer().transform([X[0], photo_of(X[1]), np.kron(X[2], np.ones((3, 5), np.uint8))])
    assert out.shape == (3, 28, 28)
    assert np.array_equal(DigitNormalizer().transform(X.reshape(3, -1)), DigitNormalizer().transform(X))
    assert DigitNormalizer().transform(X[..., np.newaxis]).shape == (3, 28, 28)
    pil = Image.fromarray(X[0]).convert("P")
    assert correlation(DigitNormalizer().transform([pil])[0], DigitNormalizer().transform(X[:1])[0]) > 0.99


@pytest.mark.parametrize("scale, image", [(1.0, "float"), (65535, "uint16"), (1, "bool")])
def test_scale_reads_floats_16_bit_and_bool(mnist, scale, image):
    digit = mnist[0][0]
    pixels = {"float": digit / 255.0, "uint16": digit.astype(np.uint16) * 257, "bool": digit > 128}[image]
    out = DigitNormalizer(scale=scale).transform(pixels[np.newaxis])[0]
    assert correlation(out, DigitNormalizer().transform(digit[np.newaxis])[0]) > 0.9


def test_blank_image_is_refused_naming_its_index(mnist):
    blank = np.full((28, 28), 200, np.uint8)
    with pytest.raises(DataError, match="image 1 has no ink"):
        DigitNormalizer().transform([mnist[0][0], blank])


@pytest.mark.parametrize("kind", ["uniform", "gaussian", "salt"])
def test_noise_is_refused_not_predicted(kind):
    rng = np.random.default_rng(0)
    noise = {
        "uniform": rng.integers(0, 256, (120, 120)),
        "gaussian": np.clip(128 + 50 * rng.standard_normal((120, 120)), 0, 255),
        "salt": np.where(rng.random((120, 120)) < 0.05, 255, 0),
    }[kind].astype(np.uint8)
    with pytest.raises(DataError, match="image 0 (has no ink|looks like noise)"):
        DigitNormalizer().transform(noise[np.newaxis])


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.zeros((2, 783)), DataError, "783 features; expected flat square images"),
        (np.zeros((2, 5, 5, 2)), DataError, "2 channels"),
        (np.zeros(5), DataError, "1-D"),
        (np.full((1, 28, 28), -1.0), DataError, r"outside \[0, scale=255\]"),
        (np.full((1, 28, 28), 300.0), DataError, "pass the value of full white as scale"),
        (np.full((1, 28, 28), np.nan), DataError, "NaN"),
        (np.full((1, 28, 28), "a"), DataError, "pixels must be real numbers"),
        (None, DataTypeError, "X is None"),
        ("digits.png", DataTypeError, "X is a str"),
    ],
)
def test_bad_input_is_named(X, error, message):
    with pytest.raises(error, match=message):
        DigitNormalizer().fit_transform(X)


@pytest.mark.parametrize("params", [{"scale": 0}, {"scale": "255"}, {"scale": True}, {"polarity": "dark"}])
def test_bad_parameters_are_refused(params):
    with pytest.raises(InvalidParameterError, match=next(iter(params))):
        DigitNormalizer(**params).fit(np.zeros((1, 28, 28)))


def test_first_step_of_a_pipeline_and_clone(mnist):
    pipe = Pipeline([("normalize", DigitNormalizer()), ("images", DigitImageTransformer())])
    out = pipe.fit_transform([photo_of(mnist[0][1]), mnist[0][2]])
    assert out.shape == (2, 28, 28, 1) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    assert clone(DigitNormalizer(scale=1.0)).get_params() == {"scale": 1.0, "polarity": "auto"}


def test_otsu_splits_two_levels_between_them():
    values = np.concatenate([np.full(900, 0.1), np.full(100, 0.8)])
    assert 0.1 <= otsu_threshold(values) < 0.8


def test_steps_are_returned_for_plots(mnist):
    steps = normalization_steps(photo_of(mnist[0][3]))
    assert set(steps) >= {"input", "grey", "ink", "mask", "crop", "box", "result", "inverted"}
    assert steps["mask"].dtype == bool and steps["result"].shape == (28, 28)
    assert max(steps["box"].shape) == 20


def test_import_loads_neither_tensorflow_nor_keras():
    code = ("import sys, skdigits.images.normalize, skdigits.images.files; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'scikeras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


_RANDOM_DATA = ("the check's data are random rows of 1-10 values: not square images (refused with a "
                "DataError saying so) or noise, which DigitNormalizer refuses by design")
_EXPECTED = {name: _RANDOM_DATA for name in [
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_estimators_dtypes",
    "check_estimators_fit_returns_self", "check_estimators_overwrite_params", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_fit2d_1sample", "check_fit2d_predict1d",
    "check_fit_check_is_fitted", "check_fit_idempotent", "check_fit_score_takes_y",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in",
    "check_pipeline_consistency", "check_positive_only_tag_during_fit", "check_readonly_memmap_input",
    "check_transformer_data_not_an_array", "check_transformer_general", "check_transformer_preserve_dtypes",
    "check_transformers_unfitted_stateless", "check_n_features_in_after_fitting", "check_estimators_nan_inf",
    "check_dtype_object", "check_complex_data",
]}


@parametrize_with_checks([DigitNormalizer()], expected_failed_checks=lambda est: _EXPECTED)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=80)),
       st.sampled_from([None, 1, 3, 4]))
def test_any_image_gives_a_digit_or_a_data_error(pixels, channels):
    image = pixels if channels is None else np.repeat(pixels[..., np.newaxis], channels, axis=-1)
    try:
        out = DigitNormalizer().transform([image])
    except DataError as exc:
        assert str(exc).startswith("image 0")
    else:
        assert out.shape == (1, 28, 28) and out.dtype == np.uint8 and out.max() > 0


def test_an_image_over_the_pixel_budget_is_refused_before_any_copy():
    import resource

    from skdigits.exceptions import BudgetExceededError
    from skdigits.images.normalize import DigitNormalizer

    huge = np.zeros((8000, 8000), np.uint8)  # 64 megapixels: over the 50 M budget, 64 MB as it is
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BudgetExceededError, match="64,000,000 pixels.*MAX_IMAGE_PIXELS=50,000,000"):
        DigitNormalizer().fit_transform([huge])
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB: no 256 MB float copy
