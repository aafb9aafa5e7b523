"""Limits on what a model may be: one home for what training allows and what a model file may hold.

A network that trains must also save and load, so the parameter constraints
(:mod:`skdigits.utils.constraints`) and the safe format's budgets
(:mod:`skdigits.persistence.budgets`, which re-exports these) use the same
numbers. Every one is far above any digit network (the defaults: 2
convolutions of at most 64 filters, dense 256, 10 classes, at most 15 epochs).
Imports nothing.
"""

#: Convolutions of a network (``len(filters)``).
MAX_LAYERS = 32
#: Filters of one convolution.
MAX_FILTERS = 4096
#: Side of a convolution's square kernel.
MAX_KERNEL_SIZE = 64
#: Width of the hidden dense layer.
MAX_DENSE_UNITS = 1 << 16
#: Height and width of the images a model reads, each.
MAX_IMAGE_SIDE = 1024
#: Classes of a classifier (its outputs). More almost always means continuous targets passed as ``y``.
MAX_CLASSES = 1000
#: Members of one ensemble.
MAX_ENSEMBLE_MEMBERS = 32
#: Passes over the training data in one fit.
MAX_EPOCHS = 10_000
#: Images per gradient step.
MAX_BATCH_SIZE = 1 << 16
#: Pixels (width x height) of one image read or normalised: any phone camera's photo.
MAX_IMAGE_PIXELS = 50_000_000
#: Bytes of working memory that one image may need in a network's forward pass (its peak: the activations
#: alive at once and a convolution's im2col matrix; :mod:`skdigits.network.cost`).
MAX_WORKING_BYTES_PER_IMAGE = 16 << 20
#: Floating-point operations of one image's forward pass through a network (:mod:`skdigits.network.cost`).
MAX_FLOPS_PER_IMAGE = 1_000_000_000
#: Long side over short side of one image read or normalised. A digit's photo, scan or drawing is far
#: squarer; a 1 x 50,000,000 strip is an attack on the decoder's per-row memory, not a digit.
MAX_IMAGE_ASPECT = 100
#: Working memory of decoding or normalising one image, estimated from its mode and size before any
#: pixel is decoded: each mode's bytes per pixel, its conversion and the normaliser's float32 copies.
#: With Python, NumPy and Pillow themselves, no image within the budgets peaks above about 700 MB.
MAX_IMAGE_BYTES = 512 * 2**20
