import pytest

from skdigits.utils.shapes import resolve_image_shape


@pytest.mark.parametrize(
    "n_features, image_shape, expected",
    [
        (784, None, (28, 28)),
        (64, None, (8, 8)),
        (1, None, (1, 1)),
        (10, (1, -1), (1, 10)),
        (10, (-1, 5), (2, 5)),
        (12, (3, 4), (3, 4)),
    ],
)
def test_resolves_geometry(n_features, image_shape, expected):
    assert resolve_image_shape(n_features, image_shape) == expected


def test_non_square_width_names_the_problem():
    with pytest.raises(ValueError, match=r"X has 783 features; expected a square image \(784 = 28x28\)"):
        resolve_image_shape(783)


def test_label_column_left_in_gets_a_hint():
    with pytest.raises(ValueError, match="785 = 1 \\+ 28x28: is the label column still in X"):
        resolve_image_shape(785)


@pytest.mark.parametrize(
    "image_shape, n_features, match",
    [
        ((3, 4), 10, "needs 12"),
        ((-1, 3), 10, "not a multiple of 3"),
        ((-1, -1), 10, "at most one side"),
        ((0, 5), 10, "positive int"),
        ((2.5, 4), 10, "positive int"),
        ("28x28", 784, "pair"),
        ((28,), 784, "pair"),
    ],
)
def test_bad_image_shape(image_shape, n_features, match):
    with pytest.raises(ValueError, match=match):
        resolve_image_shape(n_features, image_shape)
