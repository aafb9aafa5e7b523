"""What every part of skdigits shares: parameter constraints, input checks, limits, safe writes, signals.

Nothing here imports TensorFlow. ``compat`` is the only module that touches
another library's private API.
"""
