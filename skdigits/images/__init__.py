"""Users' own digits: image files read within budgets, and MNIST normalisation.

``files`` reads image files (Pillow) and predicts on them, ``normalize`` is
:class:`~skdigits.DigitNormalizer`, ``ink`` its steps on one image, and
``plotting`` draws those steps. Import the submodules; this package imports
nothing.
"""
