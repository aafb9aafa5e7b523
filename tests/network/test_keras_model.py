import numpy as np
import pytest

from skdigits._training.backend import keras
from skdigits._training.compile import SmoothedSparseCrossentropy, make_loss, make_optimizer
from skdigits.network.architecture import conv_blocks
from skdigits.network.augmentation import RandomDigitAffine
from skdigits.network.keras_model import build_cnn


def _digit_like(n=8, side=28, seed=0):
    """Images with a bright blob off-centre, so that any warp moves ink."""
    images = np.zeros((n, side, side, 1), dtype=np.float32)
    images[:, side // 4 : side // 2, side // 3 : side // 2 + 2] = 1.0
    return images + np.random.RandomState(seed).rand(n, side, side, 1).astype(np.float32) * 0.01


def test_conv_blocks_follow_the_reference_recipe():
    assert conv_blocks([32, 64, 64]) == [[0], [1, 2]]
    assert conv_blocks([8]) == [[0]]
    assert conv_blocks([16, 16, 32, 16]) == [[0, 1], [2], [3]]


def test_default_network_is_the_tutorial_network():
    model = build_cnn(image_shape=(28, 28), n_classes=10)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == [
        "Conv2D", "MaxPooling2D", "Conv2D", "Conv2D", "MaxPooling2D",
        "Flatten", "Dense", "Dropout", "Dense",
    ]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size) for c in convs] == [(32, (5, 5)), (64, (3, 3)), (64, (3, 3))]
    assert model.get_layer("dense").units == 256
    assert model.get_layer("dropout").rate == 0.5
    assert model.output_shape == (None, 10)


def test_default_kernels_follow_the_tutorial_for_any_depth():
    model = build_cnn(image_shape=(8, 8), n_classes=3, filters=(4, 8))
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.kernel_size for c in convs] == [(5, 5), (3, 3)]


@pytest.mark.parametrize("image_shape", [(1, 2), (1, 5), (3, 3), (28, 28)])
def test_network_runs_on_tiny_images(image_shape):
    model = build_cnn(image_shape=image_shape, n_classes=3, filters=(4, 8, 8), kernel_sizes=(3, 3, 3),
                      dense_units=4, augmentation=dict(rotation=10, zoom=0.1, shift=0.1), seed=0)
    out = model.predict(np.zeros((2, *image_shape, 1), dtype=np.float32), verbose=0)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_same_seed_gives_the_same_network():
    a = build_cnn(image_shape=(8, 8), n_classes=10, seed=3)
    b = build_cnn(image_shape=(8, 8), n_classes=10, seed=3)
    c = build_cnn(image_shape=(8, 8), n_classes=10, seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(a.get_weights(), c.get_weights()))


def test_augmentation_is_inactive_at_inference():
    layer = RandomDigitAffine(seed=0)
    images = _digit_like()
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    np.testing.assert_array_equal(np.asarray(layer(images)), images)


def test_augmentation_warps_each_image_differently_in_training():
    layer = RandomDigitAffine(rotation=10, zoom=0.1, shift=0.1, seed=0)
    images = np.repeat(_digit_like(1), 8, axis=0)
    out = np.asarray(layer(images, training=True))
    assert out.shape == images.shape
    assert not np.allclose(out, images, atol=1e-3)
    assert len({o.tobytes() for o in out}) == 8
    assert out.min() >= 0.0 and out.max() <= images.max() + 1e-6  # bilinear: no overshoot
    # A mild warp moves ink, but keeps most of it in the frame.
    np.testing.assert_allclose(out.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2, 3)), rtol=0.35)


def test_zero_ranges_are_the_identity():
    layer = RandomDigitAffine(rotation=0, zoom=0, shift=0, seed=0)
    images = _digit_like()
    np.testing.assert_allclose(np.asarray(layer(images, training=True)), images, atol=1e-5)


def test_shift_moves_ink_by_at_most_the_range():
    side = 20
    image = np.zeros((1, side, side, 1), dtype=np.float32)
    image[0, 10, 10] = 1.0
    layer = RandomDigitAffine(rotation=0, zoom=0, shift=0.1, seed=1)
    out = np.asarray(layer(np.repeat(image, 32, axis=0), training=True))[..., 0]
    for warped in out:
        rows, cols = np.nonzero(warped > 1e-6)
        assert np.abs(rows - 10).max() <= 3 and np.abs(cols - 10).max() <= 3


def test_augmentation_is_seeded():
    images = _digit_like()
    a = np.asarray(RandomDigitAffine(seed=7)(images, training=True))
    b = np.asarray(RandomDigitAffine(seed=7)(images, training=True))
    c = np.asarray(RandomDigitAffine(seed=8)(images, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_augmentation_layer_serialises():
    layer = RandomDigitAffine(rotation=5, zoom=0.2, shift=0.05, seed=3)
    restored = keras.layers.deserialize(keras.layers.serialize(layer))
    assert isinstance(restored, RandomDigitAffine)
    assert (restored.rotation, restored.zoom, restored.shift, restored.seed) == (5.0, 0.2, 0.05, 3)


def test_make_optimizer():
    opt = make_optimizer("adam", 0.01)
    assert isinstance(opt, keras.optimizers.Adam)
    assert float(opt.learning_rate) == pytest.approx(0.01)
    assert isinstance(make_optimizer("rmsprop"), keras.optimizers.RMSprop)
    given = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    copy = make_optimizer(given)
    assert copy is not given and isinstance(copy, keras.optimizers.SGD)
    assert copy.momentum == 0.9 and float(copy.learning_rate) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="optimizer='nope' is not a Keras optimizer"):
        make_optimizer("nope")


def test_one_cycle_rate_follows_the_one_cycle_policy():
    from skdigits._training.schedules import one_cycle_rate

    assert one_cycle_rate(0.0, 1.0) == pytest.approx(1 / 25)
    assert one_cycle_rate(0.3, 1.0) == pytest.approx(1.0)
    assert one_cycle_rate(0.15, 1.0) == pytest.approx((1 + 1 / 25) / 2)  # cosine midpoint of the warm-up
    assert one_cycle_rate(0.65, 1.0) == pytest.approx((1 + 1e-4) / 2)  # cosine midpoint of the annealing
    assert one_cycle_rate(1.0, 1.0) == pytest.approx(1e-4)
    assert one_cycle_rate(1.7, 2.0) == one_cycle_rate(1.0, 2.0)


def test_smoothed_loss_is_cross_entropy_against_smoothed_targets():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)
    labels = np.array([0, 1])
    targets = np.full((2, 3), 0.2 / 3) + 0.8 * np.eye(3)[labels]  # label_smoothing 0.2 over 3 classes
    expected = -(targets * np.log(proba)).sum(axis=1).mean()
    loss = SmoothedSparseCrossentropy(0.2)
    np.testing.assert_allclose(float(loss(labels, proba)), expected, rtol=1e-5)
    np.testing.assert_allclose(float(loss(labels[:, None], proba)), expected, rtol=1e-5)  # Keras' (batch, 1)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, SmoothedSparseCrossentropy) and restored.label_smoothing == 0.2


def test_no_smoothing_is_keras_own_sparse_loss():
    assert make_loss(0.0) == "sparse_categorical_crossentropy"
    assert make_loss(0.1).label_smoothing == 0.1


def test_the_strided_options_keep_todays_networks_exactly():
    # The sum of the seed-0 tutorial network's initial weights before downsample/padding/block_dropout existed.
    model = build_cnn(image_shape=(28, 28), n_classes=10, filters=(32, 64, 64), seed=0,
                      downsample="max-pool", padding="same", block_dropout=0.0)
    assert float(sum(w.sum() for w in model.get_weights())) == pytest.approx(20.37226676940918, rel=1e-6)
    assert [type(layer).__name__ for layer in model.layers[1:]] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout", "Dense",
    ]


def test_stride_downsampling_strides_each_blocks_last_convolution_instead_of_pooling():
    model = build_cnn(image_shape=(28, 28), n_classes=10, filters=(32, 32, 32, 64, 64, 64, 128),
                      kernel_sizes=(3, 3, 5, 3, 3, 5, 4), downsample="stride", padding="valid",
                      block_dropout=0.4, batch_norm=True, dense_units=128, dropout=0.4, seed=0)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.strides for c in convs] == [(1, 1), (1, 1), (2, 2), (1, 1), (1, 1), (2, 2), (2, 2)]
    # Stride-1 convolutions are 'valid' (28 -> 26 -> 24); the strided ones 'same' (24 -> 12).
    assert [c.padding for c in convs] == ["valid", "valid", "same", "valid", "valid", "same", "same"]
    assert [c.output.shape[1] for c in convs] == [26, 24, 12, 10, 8, 4, 2]
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers)
    drops = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert [(d.name, d.rate) for d in drops] == [
        ("block1_dropout", 0.4), ("block2_dropout", 0.4), ("block3_dropout", 0.4), ("dropout", 0.4)]
    # Batch norm follows every convolution and the dense layer, before the ReLU.
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 8
    assert model.output_shape == (None, 10)


def test_block_dropout_drops_only_in_training():
    model = build_cnn(image_shape=(12, 12), n_classes=3, filters=(4, 8), block_dropout=0.5, dropout=0.0,
                      dense_units=8, seed=0)
    x = _digit_like(4, side=12)
    np.testing.assert_array_equal(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))


@pytest.mark.parametrize("option", [dict(downsample="avg-pool"), dict(padding="causal"), dict(downsample=None),
                                    dict(block_dropout=1.0)])
def test_unknown_downsampling_or_padding_is_refused(option):
    from skdigits.exceptions import InvalidParameterError

    (name,) = option
    with pytest.raises(InvalidParameterError, match=rf"'{name}' parameter of build_cnn must be"):
        build_cnn(image_shape=(28, 28), n_classes=10, **option)


def test_valid_padding_on_images_too_small_is_refused_before_building():
    from skdigits.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=r"8x8 images: unpadded, conv4 \(3x3\) has no pixels left"):
        build_cnn(image_shape=(8, 8), n_classes=10, filters=(32, 32, 32, 64, 64, 64, 128),
                  kernel_sizes=(3, 3, 5, 3, 3, 5, 4), downsample="stride", padding="valid")
    build_cnn(image_shape=(14, 14), n_classes=10, filters=(8, 16), padding="valid")  # 14 -> 10 -> 5 -> 3: fits


def test_under_a_mixed_policy_the_warp_and_the_probabilities_stay_float32():
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = build_cnn(image_shape=(8, 8), n_classes=3, filters=(4,), dense_units=8,
                          augmentation={"rotation": 5.0}, seed=0)
    finally:
        keras.mixed_precision.set_global_policy(before)
    compute = {layer.name: layer.compute_dtype for layer in model.layers[1:]}
    assert compute.pop("augment") == compute.pop("probabilities") == "float32"
    assert set(compute.values()) == {"bfloat16"}, compute
    assert {w.dtype for w in model.weights} == {"float32"}  # mixed: the weights themselves stay float32
    probabilities = model(np.random.RandomState(0).rand(2, 8, 8, 1).astype("float32"))
    assert probabilities.dtype == "float32"


def test_under_the_default_policy_every_layer_is_float32():
    model = build_cnn(image_shape=(8, 8), n_classes=3, filters=(4,), dense_units=8, augmentation={"rotation": 5.0},
                      seed=0)
    assert {layer.compute_dtype for layer in model.layers} == {"float32"}
