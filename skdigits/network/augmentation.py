"""RandomDigitAffine: rotation, zoom and shift as one in-graph affine warp.

Keras 3 dropped ImageDataGenerator. Chaining its RandomRotation, RandomZoom and
RandomTranslation layers would resample each image three times (three
bilinear blurs, three warps); composing the three into one matrix resamples
once. The layer is active only when called with ``training=True``, so
prediction and validation always see the original images.
"""

import math

from skdigits._training.backend import keras
from skdigits.utils.constraints import AUGMENTATION_CONSTRAINTS, validate

ops = keras.ops


@keras.saving.register_keras_serializable(package="skdigits")
class RandomDigitAffine(keras.layers.Layer):
    """Randomly rotate, zoom and shift a batch of images during training.

    Each image gets its own angle in ``[-rotation, rotation]`` degrees, zoom
    factors in ``[1 - zoom, 1 + zoom]`` (height and width drawn separately,
    as Keras' old ``ImageDataGenerator`` did) and shifts in
    ``[-shift, shift]`` of the image size. Pixels moved in from outside are
    background (0).

    Parameters
    ----------
    rotation : float, default=10.0
        Largest rotation, in degrees, in [0, 180].
    zoom : float, default=0.1
        Largest relative zoom in or out, in [0, 1).
    shift : float, default=0.1
        Largest shift, as a fraction of the image height and width, in [0, 1).
    seed : int or None, default=None
        Seed of the layer's own random generator; ``None`` draws one.
    **kwargs : dict
        Passed on to :class:`keras.layers.Layer`.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If a range is not a finite number in its interval (inf and nan
        would turn every image into NaN).
    """

    def __init__(self, rotation=10.0, zoom=0.1, shift=0.1, seed=None, **kwargs):
        validate(AUGMENTATION_CONSTRAINTS, {"rotation": rotation, "zoom": zoom, "shift": shift, "seed": seed},
                 "RandomDigitAffine")
        super().__init__(**kwargs)
        self.rotation = float(rotation)
        self.zoom = float(zoom)
        self.shift = float(shift)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True

    def _uniform(self, n, half_width):
        return keras.random.uniform((n,), -half_width, half_width, seed=self.generator)

    def call(self, inputs, training=None):
        """Warp ``inputs`` when ``training`` is true; return them unchanged otherwise.

        Parameters
        ----------
        inputs : tensor of shape (batch, height, width, channels)
            The images.
        training : bool or None
            Keras' training flag.

        Returns
        -------
        tensor of the same shape as ``inputs``
        """
        if not training:
            return inputs
        shape = ops.shape(inputs)
        n = shape[0]
        h = ops.cast(shape[1], "float32")
        w = ops.cast(shape[2], "float32")
        angle = self._uniform(n, self.rotation * math.pi / 180.0)
        zoom_x = 1.0 + self._uniform(n, self.zoom)
        zoom_y = 1.0 + self._uniform(n, self.zoom)
        shift_x = self._uniform(n, self.shift) * w
        shift_y = self._uniform(n, self.shift) * h
        # The transform maps each output pixel back to where it samples the
        # input: undo the shift, then the rotation and zoom about the centre.
        cos, sin = ops.cos(angle), ops.sin(angle)
        a0, a1 = cos / zoom_x, sin / zoom_x
        b0, b1 = -sin / zoom_y, cos / zoom_y
        cx, cy = (w - 1.0) / 2.0, (h - 1.0) / 2.0
        ox, oy = cx + shift_x, cy + shift_y
        a2 = cx - (a0 * ox + a1 * oy)
        b2 = cy - (b0 * ox + b1 * oy)
        zeros = ops.zeros_like(angle)
        transform = ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        return ops.image.affine_transform(
            inputs, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0
        )

    def compute_output_shape(self, input_shape):
        """Return ``input_shape``: the warp keeps the image size.

        Parameters
        ----------
        input_shape : tuple
            Shape of the input.

        Returns
        -------
        tuple
        """
        return input_shape

    def get_config(self):
        """Return the layer's constructor arguments for Keras serialisation.

        Returns
        -------
        dict
        """
        config = super().get_config()
        config.update(rotation=self.rotation, zoom=self.zoom, shift=self.shift, seed=self.seed)
        return config
