"""Text for terminals: control characters in file names and messages are shown escaped, never sent raw.

A file name may hold any character but ``/`` and NUL: a newline that
forges a line of a table, an escape sequence that a terminal obeys
(``\\x1b]...`` retitles a window, ``\\x1b[2J`` clears it), a right-to-left
override that reverses what follows, or (from bytes that are not UTF-8) a
lone surrogate that stdout cannot even encode. :func:`printable` shows each
such character as the escape Python's ``repr`` uses; every message of a
:class:`~skdigits.exceptions.SkdigitsError` and everything the ``skdigits``
command prints goes through it. CSV and JSON outputs are escaped by their
own formats.

Imports nothing.
"""

__all__ = ["printable"]


def printable(text, keep=""):
    """``text`` with every non-printable character, except those in ``keep``, shown as its escape.

    Parameters
    ----------
    text : str
        A file name, a label or a message.
    keep : str, default=""
        Characters to leave as they are, e.g. ``"\\n"`` for a multi-line message.

    Returns
    -------
    str
        ``text`` unchanged if all of it is printable; otherwise with control
        characters (C0, DEL, C1), format characters such as U+202E, line and
        paragraph separators and lone surrogates as ``\\n``, ``\\x1b``,
        ``\\u202e``, ``\\udcff``... A space stays a space.

    Examples
    --------
    >>> from skdigits.utils.terminal import printable
    >>> printable("evil\\n7.png\\x1b[2J")
    'evil\\\\n7.png\\\\x1b[2J'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == " " or char in keep else repr(char)[1:-1]
                   for char in text)
