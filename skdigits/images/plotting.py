"""plot_normalization_steps: each step of MNIST normalisation on one of the user's images (matplotlib).

Like :mod:`skdigits.plotting`, it builds a :class:`matplotlib.figure.Figure`
directly: no pyplot state, no GUI backend.
"""

import numpy as np
from matplotlib.figure import Figure

from skdigits.images.normalize import normalization_steps

__all__ = ["plot_normalization_steps"]

_PANELS = (
    ("input", "1. the image"),
    ("grey", "2. alpha flattened, grey"),
    ("ink", "3. white on black,\nlight evened out"),
    ("mask", "4. ink (Otsu +\nhysteresis, specks dropped)"),
    ("crop", "5. cropped to the ink"),
    ("box", "6. fitted into 20x20"),
    ("result", "7. centred by mass\nin 28x28"),
)


def plot_normalization_steps(image, *, scale=255.0, polarity="auto", title=None):
    """Show each step that turns a photo or drawing into an MNIST-style 28x28 digit.

    The steps are those of :class:`skdigits.images.normalize.DigitNormalizer` and
    :func:`skdigits.load_digit_images`: the image; grey with alpha
    flattened; white ink on black with the light evened out; the ink kept;
    the crop; the 20x20 box; the 28x28 result with the frame's centre
    marked.

    Parameters
    ----------
    image : ndarray of shape (h, w) or (h, w, 1 | 3 | 4), or str or os.PathLike
        The pixels, or an image file (read with :func:`skdigits.images.files.read_image`).
    scale : float, default=255.0
        The value of full white of ``image``'s pixels; ignored for a file.
    polarity : {"auto", "dark-on-light", "light-on-dark"}, default="auto"
        See :class:`DigitNormalizer`.
    title : str, default=None
        The figure's title; None names the polarity found.

    Returns
    -------
    matplotlib.figure.Figure
        Seven axes, one per step, in order.

    Raises
    ------
    skdigits.exceptions.DataError
        If the image holds no digit, as :class:`DigitNormalizer` would.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.images.plotting import plot_normalization_steps
    >>> photo = np.full((90, 120), 220, dtype=np.uint8)
    >>> photo[10:80, 50:60] = 40
    >>> fig = plot_normalization_steps(photo)
    >>> len(fig.axes), fig.axes[-1].get_title().splitlines()[0]
    (7, '7. centred by mass')
    """
    where = "image"
    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        from skdigits.images.files import read_image

        where = str(image)
        image, scale = read_image(image)
    steps = normalization_steps(image, scale=scale, polarity=polarity, where=where)
    fig = Figure(figsize=(2.0 * len(_PANELS), 2.6), layout="constrained")
    axes = fig.subplots(1, len(_PANELS))
    for ax, (key, label) in zip(axes, _PANELS):
        picture = steps[key]
        if key == "input":
            picture = picture[..., 0] if picture.shape[-1] == 1 else picture
            if picture.ndim == 3 and picture.shape[-1] == 4:
                picture = _on_checkerboard(picture)
            ax.imshow(picture, cmap="gray", vmin=0, vmax=1, interpolation="antialiased")
        else:
            ax.imshow(picture, cmap="gray", vmin=0, vmax=255 if key == "result" else 1, interpolation="nearest"
                      if key in ("box", "result") else "antialiased")
        h, w = np.shape(picture)[:2]
        ax.set_title(label, fontsize=8)
        ax.set_xlabel(f"{w}x{h}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].plot([14], [14], marker="+", color="tab:red", markersize=10)
    found = "dark ink on light: inverted" if steps["inverted"] else "light ink on dark: kept"
    fig.suptitle(title if title is not None else f"MNIST normalisation ({found})", fontsize=10)
    return fig


def _on_checkerboard(rgba):
    """Straight-alpha RGBA composited on a grey checkerboard, so transparency shows."""
    h, w = rgba.shape[:2]
    cell = max(4, min(h, w) // 12)
    board = ((np.arange(h)[:, None] // cell + np.arange(w)[None, :] // cell) % 2) * 0.15 + 0.75
    alpha = rgba[..., 3:]
    return rgba[..., :3] * alpha + board[..., None] * (1 - alpha)
