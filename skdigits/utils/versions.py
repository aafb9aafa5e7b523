"""Which versions of named libraries are installed, read from their metadata without importing them."""

__all__ = ["installed_versions"]


def installed_versions(names):
    """The installed version of each distribution in ``names``.

    Parameters
    ----------
    names : iterable of str
        Distribution names, as pip knows them (``"scikit-learn"``, ``"ml-dtypes"``).

    Returns
    -------
    dict of str to str or None
        Each name's version, or None where it is not installed.
    """
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found
