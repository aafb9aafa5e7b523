"""The digit CNN, defined once.

``architecture`` describes it from its parameters (NumPy only); ``keras_model``
builds it in Keras, ``numpy_model`` runs it in NumPy, and ``augmentation``
is its in-graph random warp. Import the submodules: this package imports
nothing, so the NumPy side never loads TensorFlow.
"""
