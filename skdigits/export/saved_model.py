"""Writing a plan's function as a TensorFlow SavedModel folder: written beside the target, then renamed onto it.

A SavedModel is a folder, which ``os.replace`` cannot swap for another, so
the rule here is stricter than for files: the target must not exist at all
(no folder, file or symlink, dangling or not). Nothing is ever replaced or
written through, and a failure or Ctrl-C leaves no half-written folder.
"""

import contextlib
import io
import os
import shutil

from skdigits.exceptions import OutputPathError
from skdigits.utils.atomic import temp_path_beside
from skdigits.utils.no_replace import rename_no_replace

__all__ = ["check_new_folder", "write_saved_model"]

_KERNEL_FILE_SYSTEMS = ("/proc", "/sys")


def check_new_folder(path):
    """Check that a SavedModel folder can be created at ``path``; return its absolute path.

    Parameters
    ----------
    path : str or os.PathLike
        The folder to create.

    Returns
    -------
    str
        The absolute path (its parent's symlinks resolved; the last part kept).

    Raises
    ------
    skdigits.exceptions.OutputPathError
        If something exists at ``path`` (a symlink too), its parent folder
        does not exist or is not writable, or it is in ``/proc`` or ``/sys``.
    """
    from skdigits.utils.atomic import check_writable

    text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else path
    if not isinstance(text, str) or not text or "\0" in text:
        raise OutputPathError(f"cannot write {path!r}: pass a folder name for the SavedModel.")
    name = os.path.basename(text.rstrip(os.sep))
    if os.path.lexists(text):
        what = ("a symlink" if os.path.islink(text) else "a folder" if os.path.isdir(text)
                else "a file" if os.path.isfile(text) else "a FIFO, device or socket")
        raise OutputPathError(f"cannot write {text!r}: it exists ({what}). A SavedModel is a folder that skdigits "
                              "creates and never replaces; remove it first, or pass a new name.")
    parent = os.path.realpath(os.path.dirname(os.path.abspath(text.rstrip(os.sep))))
    if any(parent == root or parent.startswith(root + "/") for root in _KERNEL_FILE_SYSTEMS):
        raise OutputPathError(f"cannot write {text!r}: it is in a kernel file system, not a place for files.")
    if not os.path.isdir(parent):
        raise OutputPathError(f"cannot write {text!r}: the folder {parent!r} does not exist; create it first.")
    check_writable(parent, folder=True)
    return os.path.join(parent, name)


def write_saved_model(function, networks, path):
    """Write ``function`` as the ``serving_default`` signature of a new SavedModel folder ``path``.

    Parameters
    ----------
    function : tf.function
        From :func:`skdigits.export.graph.probabilities_function`.
    networks : dict of int to keras.Model
        The networks it calls, whose weights the SavedModel holds.
    path : str or os.PathLike
        The folder to create; see :func:`check_new_folder`.

    Raises
    ------
    skdigits.exceptions.OutputPathError
        As :func:`check_new_folder`, or if ``path`` appeared while writing.
    """
    from skdigits._training.backend import keras
    from skdigits.utils.signals import sigterm_at_safe_points

    target = check_new_folder(path)
    archive = keras.export.ExportArchive()
    for network in networks.values():
        archive.track(network)
    archive.add_endpoint("serving_default", function)
    with sigterm_at_safe_points() as guard:
        temp = _new_temp_folder(target)
        try:
            with guard.raising(), contextlib.redirect_stdout(io.StringIO()):  # write_out prints the signature
                archive.write_out(temp)
            guard.check()
            try:  # os.rename would replace an empty folder that appeared meanwhile
                rename_no_replace(temp, target)
            except FileExistsError:
                raise OutputPathError(f"cannot write {os.fspath(path)!r}: it appeared while the SavedModel was "
                                      "written; nothing was replaced.") from None
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise


def _new_temp_folder(target):
    """Create an empty folder beside ``target``, named after it, and return its path.

    Not ``tempfile.mkdtemp``: its mode 0700 would travel with the rename and
    hide the model from a server running as another user; 0777 lets the
    umask decide, as ``mkdir`` does.
    """
    folder = os.path.dirname(target)
    for _ in range(100):
        temp = temp_path_beside(target)
        try:
            os.mkdir(temp, 0o777)
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputPathError(f"cannot write in the folder {folder!r} ({exc.strerror}).") from None
        return temp
    raise FileExistsError(f"could not create a temporary folder in {folder!r}")
