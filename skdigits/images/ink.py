"""The steps of MNIST normalisation on one image (NumPy, SciPy, Pillow): used by :mod:`skdigits.images.normalize`.

Each function takes and returns float32 images in [0, 1]. An image with no
digit raises :class:`skdigits.exceptions.DataError`; ``where`` names it.
"""

import numpy as np
from scipy import ndimage

from skdigits.exceptions import DataError

_FRAME, _BOX, _CENTRE = 28, 20, 14.0  # MNIST puts the centre of mass at pixel (14, 14)
WORK_SIDE = 512  # larger images are area-averaged to this first: bounded time, no detail a 20x20 box keeps is lost
_MIN_CONTRAST = 0.08  # ink must differ from the background by 8 % of full scale
_MIN_SEPARATION = 3.2  # ink-background gap in robust background deviations; uniform noise gives about 2.7
_MIN_SHAPE_SHARE = 0.6  # the kept strokes must hold this share of the ink; scattered noise holds far less
_MAX_ISOLATED = 0.5  # above this share of ink pixels without ink neighbours, the "ink" is salt noise
_SPECK_SHARE = 0.08  # a component smaller than this share of the largest one is a speck
_MIN_STROKE = 1.5  # strokes thinner than this (in 20x20-box pixels) are thickened ...
_MAX_STROKE = 3.5  # strokes thicker than this (in 20x20-box pixels) are thinned towards the target
_TARGET_STROKE = 2.5  # ... to about this (MNIST's strokes are 2-3 pixels wide)


def to_grey(pixels):
    """Grey in [0, 1]. Alpha is flattened onto a background opposite to the opaque pixels' tone.

    A canvas drawing is often black strokes on transparent black: flattening
    onto black would erase it, onto white keeps it. Light strokes go on black.
    """
    channels = pixels.shape[-1]
    colour = pixels[..., :3] if channels >= 3 else pixels[..., :1]
    grey = colour @ np.array([0.299, 0.587, 0.114], np.float32) if channels >= 3 else colour[..., 0]
    if channels != 4:
        return grey
    alpha = pixels[..., 3]
    if alpha.min() >= 0.999:
        return grey
    opaque = alpha > 0.5
    tone = float(grey[opaque].mean()) if opaque.any() else 1.0
    del opaque
    # grey * alpha + background * (1 - alpha), computed in place (the same operations, so the same bits):
    # a 50-megapixel image's temporaries would otherwise cost 12 bytes a pixel.
    if tone < 0.5:
        rest = np.subtract(np.float32(1.0), alpha)
        grey *= alpha
        grey += rest
    else:
        grey *= alpha
    return grey


def area_resize(image, factor):
    """Anti-aliased resize of a float image by ``factor`` (area average down, bilinear up)."""
    from PIL import Image

    h, w = image.shape
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    method = Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32), mode="F").resize(size, method)
    return np.asarray(resized, dtype=np.float32)


def otsu_threshold(values, bins=256):
    """Otsu's threshold of values in [0, 1]: the cut that maximises the between-class variance.

    Parameters
    ----------
    values : ndarray
        Values in [0, 1].
    bins : int, default=256
        Histogram bins.

    Returns
    -------
    float
        The threshold; values above it are the bright class.
    """
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts).astype(np.float64)
    total = weight[-1]
    mass = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = mass / weight
        mean_high = (mass[-1] - mass) / (total - weight)
        between = weight * (total - weight) * (mean_low - mean_high) ** 2
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return float(edges[int(np.argmax(between)) + 1])


def white_on_black(grey, polarity, where):
    """Return (ink as white on black with the light evened out, whether it was inverted)."""
    low, high = np.percentile(grey, [0.5, 99.5])
    if high - low < _MIN_CONTRAST and grey.max() - grey.min() < 2 * _MIN_CONTRAST:
        raise DataError(
            f"{where} has no ink: its pixels span only {grey.min():.3f}..{grey.max():.3f} of full scale "
            "(a blank image?). Draw or photograph a digit with visible contrast."
        )
    inverted = _ink_is_dark(grey) if polarity == "auto" else polarity == "dark-on-light"
    ink = 1.0 - grey if inverted else grey
    if min(grey.shape) < 64 or _evenly_lit(ink):  # nothing to even out: leave the strokes as they are
        return ink, inverted
    size = _background_size(ink)
    if inverted:
        # Light multiplies what the paper reflects: dividing by the paper's local brightness
        # (a grey closing wider than strokes) evens out falling light, shadows and a desk's tone.
        paper = -_opening(-ndimage.gaussian_filter(grey, 1.0), size)
        ink = 1.0 - np.clip(grey / np.maximum(paper, 1e-3), 0.0, 1.0)
    return _even_light(ink, size), inverted


def _evenly_lit(ink, blocks=4, tolerance=0.2):
    """Whether the background's level is the same all over: the darkest pixels of 4x4 blocks agree.

    Correcting the light of an evenly lit image could only harm it: in a tight
    crop (a digit filling its image) no window is wider than the strokes.
    """
    threshold = otsu_threshold(ink)
    bright = ink[ink > threshold]
    if bright.size > 10:  # a shadow or a desk joins the bright class as a second, wide level below the ink
        cut = otsu_threshold((bright - bright.min()) / max(float(np.ptp(bright)), 1e-6)) * np.ptp(bright) + bright.min()
        low, high = bright[bright <= cut], bright[bright > cut]
        if low.size > 0.3 * bright.size and high.size and high.mean() - low.mean() > 6 * max(float(low.std()), 1e-6):
            wide = (ink > threshold) & (ink <= cut)
            if ndimage.binary_erosion(wide, iterations=3).sum() > 0.5 * wide.sum():
                return False  # the lower level is flat, wide and far below the ink: a shadow or a desk
    # Each block's background level: its 5th percentile (strokes cover far less than 95 % of a block).
    levels = [float(np.percentile(ink[np.ix_(rows, cols)], 5))
              for rows in np.array_split(np.arange(ink.shape[0]), blocks)
              for cols in np.array_split(np.arange(ink.shape[1]), blocks)]
    return max(levels) - min(levels) < tolerance


def _background_size(ink):
    """A square wider than any stroke: three stroke widths, and at least a quarter of the image.

    The stroke width is measured on the image's fine detail (the image minus a
    wide blur), where a shadow or a desk is only an edge, not a blob.
    """
    factor = min(1.0, 128 / max(ink.shape))
    small = area_resize(ink, factor) if factor < 1 else ink
    detail = np.clip(small - ndimage.gaussian_filter(small, max(2.0, min(small.shape) / 8), mode="nearest"), 0, None)
    top = float(detail.max())
    if top <= 0:
        return max(15, min(ink.shape) // 4)
    mask = detail > otsu_threshold(detail / top) * top
    perimeter = np.count_nonzero(np.diff(mask, axis=0)) + np.count_nonzero(np.diff(mask, axis=1))
    stroke = 2.0 * mask.sum() / max(perimeter, 1) / factor  # width of a long band = 2 * area / perimeter
    return int(max(15, 3 * stroke, min(ink.shape) // 4))


def _opening(image, size):
    """Grey opening by a size x size square, one axis at a time (fast)."""
    for extreme in (ndimage.minimum_filter1d, ndimage.maximum_filter1d):
        image = extreme(extreme(image, size, axis=0, mode="nearest"), size, axis=1, mode="nearest")
    return image


def _ink_is_dark(grey):
    """Polarity: strokes are the thin minority, so they make the long tail of the image's fine detail.

    The detail (the image minus a blur wider than strokes) has a long negative
    tail for dark ink and a positive one for light ink, whatever the light
    across the sheet, a shadow or a desk around the paper does. When the
    tail is not clear, the class that owns most of the border is the background.
    """
    if max(grey.shape) > 128:  # a global property: a small copy answers it as well, and fast
        grey = area_resize(grey, 128 / max(grey.shape))
    sigma = max(2.0, min(grey.shape) / 8)
    detail = grey - ndimage.gaussian_filter(grey, sigma, mode="nearest")
    h, w = detail.shape
    # The centre first: around a photographed sheet, the desk's edge is detail too.
    for region in (detail[h // 5:h - h // 5, w // 5:w - w // 5], detail):
        spread = float(region.std())
        skew = float(np.mean(region ** 3)) / spread ** 3 if spread > 0 else 0.0
        if abs(skew) > 0.25:
            return skew < 0
    threshold = otsu_threshold(grey)
    border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    bright_border = float(np.mean(border > threshold))
    if abs(bright_border - 0.5) < 0.1:  # the digit touches most of the border: the minority class is ink
        bright_border = float(np.mean(grey > threshold))
    return bright_border > 0.5


def _even_light(ink, size):
    """Subtract the background under the strokes (a white top-hat): what dividing by the paper left over,
    and the uneven light under light ink on a dark board. A grey opening wider than any stroke keeps the
    background and drops the strokes."""
    background = _opening(ndimage.gaussian_filter(ink, 1.0), size)
    return np.clip(ink - background, 0.0, 1.0).astype(np.float32)


def separate_ink(ink, where):
    """Return (the digit's mask, soft ink in [0, 1]); refuse an image with no digit-like shape."""
    raw = ink > otsu_threshold(ink)
    neighbours = ndimage.convolve(raw.astype(np.uint8), np.ones((3, 3), np.uint8), mode="constant") - raw
    isolated = float(np.mean(neighbours[raw] <= 1)) if raw.any() else 0.0
    if isolated > _MAX_ISOLATED:  # strokes are runs of pixels; salt noise is single dots
        raise DataError(
            f"{where} looks like noise, not a digit: {isolated:.0%} of its ink pixels are isolated dots. "
            "Photograph or draw the digit as connected strokes."
        )
    smooth = ndimage.gaussian_filter(ink, 1.0) if min(ink.shape) >= 64 else ink  # photo noise, not strokes
    ink, smooth = _remove_ruling(ink, smooth)
    threshold, strong, bg_level, ink_level = _levels(smooth, where)
    # Hysteresis: faint pixels count as ink where they touch clear ink (thin strokes survive).
    weak = smooth > bg_level + 0.5 * (threshold - bg_level)
    labels, count = ndimage.label(weak, structure=np.ones((3, 3)))
    keep = np.zeros(count + 1, dtype=bool)
    keep[np.unique(labels[strong])] = True
    keep[0] = False
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    frames = _frames(labels, np.arange(count + 1) > 0, keep)
    sizes[~keep | frames] = 0  # faint blobs that touch no clear ink are not ink, nor is a frame
    kept = sizes >= max(_SPECK_SHARE * sizes.max(), 1)
    kept[0] = False
    mask = kept[labels]
    share = sizes[kept].sum() / max(int(sizes.sum()), 1)
    if share < _MIN_SHAPE_SHARE:
        raise DataError(
            f"{where} looks like noise, not a digit: its ink is scattered over {count} specks "
            f"(the largest strokes hold {share:.0%} of it). Photograph the digit on plain paper."
        )
    soft = np.clip((ink - bg_level) / max(ink_level - bg_level, 1e-6), 0.0, 1.0)
    near = ndimage.binary_dilation(mask, structure=np.ones((3, 3)), iterations=2)
    return mask, (soft * near).astype(np.float32)


def _levels(smooth, where):
    """Otsu's threshold, the clear ink, the background's and the ink's levels; refuse blank or noise."""
    threshold = otsu_threshold(smooth)
    strong = smooth > threshold
    if not strong.any():
        raise DataError(f"{where} has no ink (no pixel stands out from the background).")
    background = smooth[~strong]
    bg_level = float(np.median(background)) if background.size else 0.0
    # A robust spread: the blurred edges of strokes are a minority of the background class, noise is all of it.
    bg_spread = 1.4826 * float(np.median(np.abs(background - bg_level))) if background.size > 1 else 0.0
    ink_level = float(np.median(smooth[strong]))
    gap = ink_level - bg_level
    if gap < _MIN_CONTRAST:
        raise DataError(
            f"{where} has no ink: the brightest class differs from the background by only "
            f"{gap:.3f} of full scale. Draw or photograph a digit with visible contrast."
        )
    if gap < _MIN_SEPARATION * bg_spread:
        raise DataError(
            f"{where} looks like noise, not a digit: ink and background differ by {gap / max(bg_spread, 1e-9):.1f} "
            f"standard deviations of the background (a digit gives {_MIN_SEPARATION:g} or more)."
        )
    return threshold, strong, bg_level, ink_level


def _remove_ruling(ink, smooth):
    """Subtract the lines of lined or squared paper: three or more evenly spaced thin rows (columns) of ink.

    A row's median is its background, whatever part of the digit crosses it; a
    ruled line lifts it. Subtracting each lifted row's excess keeps the digit's
    pixels in it. One or two such rows could be a digit's bars (a tight crop of
    a 7 or a 2), so three evenly spaced ones are needed.
    """
    if min(ink.shape) < 64:
        return ink, smooth
    for axis in (1, 0):
        profile = np.median(smooth, axis=axis)
        base = float(np.median(profile))
        spread = 1.4826 * float(np.median(np.abs(profile - base)))
        lifted = profile > base + max(0.03, 8 * spread)
        labels, count = ndimage.label(lifted)
        if count < 3:
            continue
        bands = [np.flatnonzero(labels == k) for k in range(1, count + 1)]
        centres = np.array([band.mean() for band in bands])
        gaps = np.diff(centres)
        if gaps.std() > 0.15 * gaps.mean() or max(len(band) for band in bands) > 0.25 * gaps.min():
            continue  # not evenly spaced thin lines: a desk's edges, a digit's bars
        excess = np.where(ndimage.binary_dilation(lifted), np.clip(profile - base, 0, None), 0.0)
        excess = excess[:, np.newaxis] if axis == 1 else excess[np.newaxis, :]
        ink, smooth = np.clip(ink - excess, 0, 1), np.clip(smooth - excess, 0, 1)
    return ink.astype(np.float32), smooth.astype(np.float32)


def _frames(labels, kept, inked):
    """Components that are a frame, not the digit: touching the border and spanning most of it,
    while some inked component does not touch it (the desk around a photographed sheet, the sheet's edge)."""
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    touching = np.zeros_like(kept)
    touching[border] = True
    touching &= kept
    if not touching.any() or not (inked & ~touching).any():
        return np.zeros_like(kept)
    frames = np.zeros_like(kept)
    h, w = labels.shape
    for index, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is not None and touching[index]:
            rows, cols = found
            frames[index] = (rows.stop - rows.start) >= 0.6 * h or (cols.stop - cols.start) >= 0.6 * w
    return frames


def fit_box(crop, crop_mask):
    """Scale the digit to fit 20x20 keeping its aspect ratio; thicken strokes that would vanish."""
    h, w = crop.shape
    factor = _BOX / max(h, w)
    perimeter = np.count_nonzero(np.diff(crop_mask, axis=0)) + np.count_nonzero(np.diff(crop_mask, axis=1))
    stroke = 2.0 * crop_mask.sum() / max(perimeter, 1)  # width of a long band = 2 * area / perimeter
    if stroke * factor < _MIN_STROKE:
        grow = int(round(_TARGET_STROKE / factor - stroke))
        if grow >= 2:
            crop = np.pad(crop, grow)
            crop = ndimage.grey_dilation(crop, size=(grow, grow))
            rows, cols = np.flatnonzero(crop.max(axis=1) > 0), np.flatnonzero(crop.max(axis=0) > 0)
            crop = crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
            h, w = crop.shape
            factor = _BOX / max(h, w)
    elif stroke * factor > _MAX_STROKE:  # a marker's or a blurred digit's strokes: thin them towards MNIST's
        shrink = int(round(0.5 * (stroke - _TARGET_STROKE / factor)))
        if shrink >= 2:
            thinner = ndimage.grey_erosion(crop, size=(shrink, shrink))
            if thinner.sum() >= 0.3 * crop.sum():  # never erode a digit away
                crop = thinner
    box = area_resize(crop, factor)
    if factor > 1:  # bilinear up-scaling; keep the box within 20x20 exactly
        box = box[:_BOX, :_BOX]
    return np.clip(box, 0.0, 1.0)


def centre_by_mass(box):
    """Place ``box`` in a 28x28 frame so that its centre of mass is at (14, 14), as MNIST."""
    h, w = box.shape
    total = box.sum()
    if total <= 0:
        com_y, com_x = (h - 1) / 2, (w - 1) / 2
    else:
        com_y = float((box.sum(axis=1) * np.arange(h)).sum() / total)
        com_x = float((box.sum(axis=0) * np.arange(w)).sum() / total)
    top = int(np.clip(round(_CENTRE - com_y), 0, _FRAME - h))
    left = int(np.clip(round(_CENTRE - com_x), 0, _FRAME - w))
    frame = np.zeros((_FRAME, _FRAME), dtype=np.float32)
    frame[top:top + h, left:left + w] = box
    return np.round(frame * 255).astype(np.uint8)
