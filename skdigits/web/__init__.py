"""``skdigits serve``: the drawing page (``static/draw.html``) and the local HTTP server that answers it.

Import :mod:`skdigits.web.server`; this package imports nothing.
"""
