"""plot_normalization_steps: one panel per normalisation step."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from skdigits.exceptions import DataError
from skdigits.images.plotting import plot_normalization_steps


def stroke_photo():
    photo = np.full((150, 120), 225, np.uint8)
    photo[20:130, 55:66] = 30  # a dark "1" on light paper
    return photo


def test_one_panel_per_step_with_the_result_last():
    fig = plot_normalization_steps(stroke_photo())
    assert isinstance(fig, Figure) and len(fig.axes) == 7
    result = fig.axes[-1].images[0].get_array()
    assert result.shape == (28, 28) and result.max() > 200 and result[0, 0] == 0
    assert fig.axes[0].images[0].get_array().shape[:2] == (150, 120)
    assert "inverted" in fig._suptitle.get_text()
    assert [ax.get_xlabel() for ax in fig.axes][-1] == "28x28"


def test_reads_a_file_and_shows_transparency(tmp_path):
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[10:90, 45:55, 3] = 255
    Image.fromarray(rgba, "RGBA").save(tmp_path / "canvas.png")
    fig = plot_normalization_steps(tmp_path / "canvas.png", title="canvas")
    shown = fig.axes[0].images[0].get_array()
    assert shown.shape == (100, 100, 3) and shown[0, 0].min() > 0.5, "transparent pixels drawn on a light board"
    assert fig._suptitle.get_text() == "canvas"


def test_blank_image_raises_the_normalisers_error():
    with pytest.raises(DataError, match="image has no ink"):
        plot_normalization_steps(np.full((50, 50), 128, np.uint8))
