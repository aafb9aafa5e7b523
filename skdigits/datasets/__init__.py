"""Kaggle "Digit Recognizer" CSV files within budgets, submissions, and the embedded sample of real digits.

``digit_recognizer`` holds the public functions; ``csv_reader``,
``csv_cells`` and ``csv_format`` the budgeted reader behind them. NumPy and
pandas only: no TensorFlow. Import the submodules; this package imports
nothing.
"""
