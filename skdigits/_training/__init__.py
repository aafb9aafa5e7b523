"""What ``fit`` hands to Keras: the quiet TensorFlow import, batches, schedules, interrupts and pickling.

Private: the estimators are the public face of training.
"""
