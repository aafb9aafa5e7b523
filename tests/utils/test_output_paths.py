"""Output paths that are not regular files: streamed in place or refused, never replaced (no TensorFlow).

The tests run as root, where file modes do not stop a write, so the
unwritable folders are the kernel's (/proc) and the special files are real
ones: /dev/null, FIFOs, sockets and device nodes made with mknod.
"""

import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from skdigits.datasets.digit_recognizer import write_submission
from skdigits.exceptions import OutputPathError, Terminated
from skdigits.utils import atomic, output_paths
from skdigits.utils.atomic import atomic_save, atomic_write, check_writable

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux special files (/dev, /proc, mkfifo)")

SUBMISSION = b"ImageId,Label\n1,7\n2,2\n"


def no_temp_files(folder):
    return not [name for name in os.listdir(folder) if name.startswith(".tmp-")]


class FifoReader:
    """Read a FIFO in a thread, without ever blocking: a test cannot hang on a FIFO nobody writes to.

    The read end is opened non-blocking, so it is open (and a writer
    accepted) as soon as ``ready`` is set; an empty read before any data
    means no writer came yet, one after the data means the writer closed.
    """

    def __init__(self, path):
        self.path, self.data, self.ready = path, b"", threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.ready.wait(10), "the reader never opened the FIFO"

    def _read(self):
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.ready.set()
        chunks, deadline = [], time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:  # a writer is there, its data is not yet
                    chunk = None
                if chunk:
                    chunks.append(chunk)
                elif chunk == b"" and chunks:
                    break
                else:
                    time.sleep(0.005)
        finally:
            os.close(fd)
        self.data = b"".join(chunks)

    def result(self):
        self.thread.join(30)
        return self.data


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "out.fifo"
    os.mkfifo(path)
    return path


# ---------------------------------------------------------------- streamed in place


def test_dev_null_is_written_in_place_and_stays_a_device():
    before = set(os.listdir("/dev"))
    assert write_submission([7, 2], "/dev/null") == Path("/dev/null")
    atomic_save("/dev/null", lambda path: Path(path).write_bytes(b"x" * 1000))
    with atomic_write("/dev/null", "wb") as f:
        f.write(b"y")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert os.stat("/dev/null").st_rdev == os.makedev(1, 3)
    assert set(os.listdir("/dev")) == before  # no temp file was left in /dev


def test_symlink_to_dev_null_is_followed_not_replaced(tmp_path):
    link = tmp_path / "submission.csv"
    link.symlink_to("/dev/null")
    write_submission([1], link)
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(os.listdir(tmp_path)) == ["submission.csv"]


def test_fifo_with_a_reader_gets_the_content_and_stays_a_fifo(fifo):
    reader = FifoReader(fifo)
    write_submission([7, 2], fifo)
    assert reader.result() == SUBMISSION
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert no_temp_files(fifo.parent)


def test_atomic_save_streams_into_a_fifo_through_a_symlink(fifo):
    link = fifo.parent / "model.bin"
    link.symlink_to(fifo)
    reader = FifoReader(fifo)
    seen = []

    def save(path):
        seen.append(path)
        Path(path).write_bytes(b"weights")

    atomic_save(link, save)
    assert reader.result() == b"weights"
    assert seen == [str(link)]  # the writer is given the path itself: no temp file
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()


def test_fifo_without_a_reader_is_refused_at_once(fifo):
    with pytest.raises(OutputPathError, match=r"out\.fifo.*FIFO \(named pipe\) that nobody reads; start the reader"):
        write_submission([1], fifo)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    check_writable(fifo)  # before training a reader need not be there yet


def test_dev_stdout_redirected_to_a_file_or_a_pipe_is_written_in_place(tmp_path):
    """/dev/stdout is the process's own stream: into the shell's file (same inode) or pipe, no temp file."""
    code = (
        "from skdigits.datasets.digit_recognizer import write_submission\n"
        "write_submission([7, 2], '/dev/stdout')\n"
        "write_submission([7, 2], '/dev/stderr')\n"
    )
    out_file = tmp_path / "redirected.csv"
    out_file.write_bytes(b"old content that is longer than the submission\n")
    inode = out_file.stat().st_ino
    with open(out_file, "wb") as stdout:  # like the shell's "> redirected.csv" (which truncates)
        done = subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, timeout=120,
                              check=True)
    assert out_file.read_bytes() == SUBMISSION and out_file.stat().st_ino == inode
    assert done.stderr == SUBMISSION  # a pipe
    assert sorted(os.listdir(tmp_path)) == ["redirected.csv"]
    # ">>": written where the stream is, after what it already holds, as the shell set it up.
    with open(out_file, "ab") as stdout:
        subprocess.run([sys.executable, "-c", code], stdout=stdout, stderr=subprocess.PIPE, timeout=120, check=True)
    assert out_file.read_bytes() == SUBMISSION * 2


# ---------------------------------------------------------------- refused


def make_node(path, kind, major, minor):
    try:
        os.mknod(path, kind | 0o600, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making device nodes needs CAP_MKNOD")
    return path


def test_other_devices_and_sockets_are_refused_and_kept(tmp_path):
    # /dev/zero's numbers (a write there would be harmless) and a loop disk that does not exist.
    targets = {
        make_node(tmp_path / "zero", stat.S_IFCHR, 1, 5): (stat.S_ISCHR, "character device"),
        make_node(tmp_path / "disk", stat.S_IFBLK, 7, 250): (stat.S_ISBLK, "block device"),
    }
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    targets[tmp_path / "sock"] = (stat.S_ISSOCK, "socket")
    try:
        for path, (is_kind, kind) in targets.items():
            for write in (lambda p: write_submission([1], p),
                          lambda p: atomic_save(p, lambda temp: Path(temp).write_bytes(b"x")),
                          check_writable):
                with pytest.raises(OutputPathError, match=rf"it is a {kind}.*never replaces a special file"):
                    write(path)
            assert is_kind(os.stat(path).st_mode), path
    finally:
        sock.close()
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("path, match", [
    ("/proc/skdigits-submission.csv", r"it is in /proc, a kernel file system"),
    ("/proc/sys/kernel/skdigits.csv", r"it is in /proc, a kernel file system"),
    ("/sys/skdigits.csv", r"it is in /sys, a kernel file system"),
    ("/proc/self/fd", r"it is in /proc, a kernel file system"),
    ("/proc/1/fd/1", r"it is in /proc, a kernel file system"),  # another process's stdout
])
def test_kernel_file_systems_and_folders_are_refused(path, match):
    with pytest.raises(OutputPathError, match=match):
        write_submission([1], path)
    with pytest.raises(OutputPathError, match=match):
        check_writable(path)


def test_a_symlink_to_another_process_s_stream_is_refused(tmp_path):
    link = tmp_path / "submission.csv"
    link.symlink_to("/proc/1/fd/2")
    with pytest.raises(OutputPathError, match=r"it is in /proc"):
        write_submission([1], link)
    assert link.is_symlink() and os.listdir(tmp_path) == ["submission.csv"]


def test_a_file_used_as_a_folder_and_a_missing_folder(tmp_path):
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputPathError, match=r"a part of the path is a file, not a folder"):
        write_submission([1], tmp_path / "file" / "submission.csv")
    with pytest.raises(OutputPathError, match=r"does not exist; create it first"):
        check_writable(tmp_path / "missing" / "model.skdigits")
    assert sorted(os.listdir(tmp_path)) == ["file"]


@pytest.mark.parametrize("name, match", [
    ("", r"the path is empty or holds a NUL character"),
    ("sub\0.csv", r"the path is empty or holds a NUL character"),
    ("new-folder/", r"it ends with a folder separator; pass a file name"),
])
def test_empty_nul_and_folder_like_paths_are_refused(tmp_path, monkeypatch, name, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError, match=match):
        write_submission([1], name)
    with pytest.raises(OutputPathError, match=match):
        check_writable(name)
    assert not list(tmp_path.iterdir()) and no_temp_files(tmp_path.parent)


def test_target_swapped_for_a_fifo_while_writing_is_not_replaced(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")

    def swap_then_write(temp):
        target.unlink()
        os.mkfifo(target)
        Path(temp).write_bytes(b"new")

    with pytest.raises(OutputPathError, match=r"became a special file"):
        atomic_save(target, swap_then_write)
    assert stat.S_ISFIFO(os.stat(target).st_mode)
    assert no_temp_files(tmp_path)


# ---------------------------------------------------------------- checks before training


def test_check_writable_creates_nothing(tmp_path):
    folder = tmp_path / "runs" / "today"
    check_writable(folder, folder=True)  # a folder that does not exist yet: its closest parent is tested
    assert not list(tmp_path.iterdir())
    folder.mkdir(parents=True)
    check_writable(folder, folder=True)
    check_writable(folder / "model.skdigits")
    (folder / "model.skdigits").write_bytes(b"old")
    check_writable(folder / "model.skdigits")  # an existing file is fine: it would be replaced
    assert os.listdir(folder) == ["model.skdigits"]


@pytest.mark.parametrize("folder, match", [
    ("/proc", r"'/proc': it is in /proc, a kernel file system"),
    ("/proc/self/new-run", r"it is in /proc"),
    ("/sys/kernel", r"it is in /sys"),
    ("/dev/null", r"it is a file, not a folder"),
    ("/dev/null/runs", r"'/dev/null' is a file, not a folder"),
])
def test_check_writable_refuses_folders_before_any_work(folder, match):
    with pytest.raises(OutputPathError, match=match):
        check_writable(folder, folder=True)


def test_check_writable_probes_what_root_cannot_write(monkeypatch):
    # Without the /proc rule, the probe itself finds /proc unwritable (root ignores file modes).
    monkeypatch.setattr(output_paths, "_KERNEL_FILE_SYSTEMS", ())
    with pytest.raises(OutputPathError, match=r"'/proc': the folder '/proc' is not writable"):
        check_writable("/proc", folder=True)
    with pytest.raises(OutputPathError, match=r"'/proc/skdigits-run': the folder '/proc' is not writable"):
        check_writable("/proc/skdigits-run", folder=True)


# ---------------------------------------------------------------- SIGTERM while saving (in this process)


@pytest.fixture
def default_sigterm():
    """SIGTERM's default handler, which would kill the process: the tests check ours is installed first."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


def sigterm():
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, "the writer installed no SIGTERM handler"
    signal.raise_signal(signal.SIGTERM)


@pytest.fixture
def old_model(tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    return path


def test_sigterm_while_writing_removes_the_temp_file(old_model, default_sigterm):
    reached = []

    def interrupted(temp):
        Path(temp).write_bytes(b"partial")
        sigterm()
        reached.append("after the signal")

    with pytest.raises(Terminated) as info:
        atomic_save(old_model, interrupted)
    assert info.value.code == 143 and reached == []
    with pytest.raises(Terminated), atomic_write(old_model, "wb") as f:
        f.write(b"partial")
        sigterm()
    assert old_model.read_bytes() == b"old" and os.listdir(old_model.parent) == ["model.bin"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_sigterm_while_the_temp_file_is_created_is_held_back(old_model, default_sigterm, monkeypatch):
    create = atomic._create_temp

    def create_then_signal(target):
        temp = create(target)
        sigterm()  # held back: raising here would lose the temp file's name
        return temp

    monkeypatch.setattr(atomic, "_create_temp", create_then_signal)
    with pytest.raises(Terminated):
        atomic_save(old_model, lambda temp: Path(temp).write_bytes(b"new"))
    assert old_model.read_bytes() == b"old" and os.listdir(old_model.parent) == ["model.bin"]


def test_sigterm_during_the_rename_lets_it_finish_then_raises(old_model, default_sigterm, monkeypatch):
    commit = atomic._commit

    def commit_then_signal(temp, target):
        sigterm()
        commit(temp, target)

    monkeypatch.setattr(atomic, "_commit", commit_then_signal)
    with pytest.raises(Terminated):
        atomic_save(old_model, lambda temp: Path(temp).write_bytes(b"new and complete"))
    assert old_model.read_bytes() == b"new and complete"  # the rename was not cut short
    assert os.listdir(old_model.parent) == ["model.bin"]


def test_another_sigterm_handler_stays_in_charge(old_model):
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        def save(temp):
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
            signal.raise_signal(signal.SIGTERM)
            Path(temp).write_bytes(b"new")

        atomic_save(old_model, save)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert received == [signal.SIGTERM] and old_model.read_bytes() == b"new"


@pytest.mark.parametrize("length", [241, 242, 250, 255])
def test_a_name_at_the_file_systems_limit_is_still_written_atomically(tmp_path, length):
    # The temp file's prefix would push such a name past the 255-byte limit, after all the work was done.
    name = "m" * (length - len(".csv")) + ".csv"
    target = tmp_path / name
    seen = []
    atomic_save(target, lambda temp: (seen.append(os.path.basename(temp)), Path(temp).write_text("a,b\n")))
    assert target.read_text() == "a,b\n"
    assert len(os.fsencode(seen[0])) <= 255 and seen[0].endswith(".csv")
    assert sorted(os.listdir(tmp_path)) == [name]


def test_a_long_multibyte_name_is_cut_on_its_bytes_and_still_round_trips(tmp_path):
    name = "é" * 125 + ".png"  # 254 bytes in UTF-8
    target = tmp_path / name
    with atomic_write(target, "w") as f:
        f.write("x")
    assert target.read_text() == "x" and os.listdir(tmp_path) == [name]


def test_a_saved_model_folder_at_the_name_limit_gets_a_temp_folder_that_fits(tmp_path):
    target = str(tmp_path / ("f" * 255))
    temp = atomic.temp_path_beside(target)
    os.mkdir(temp)  # what export's SavedModel writer does with it
    assert os.path.dirname(temp) == str(tmp_path) and temp.endswith("f" * 200)
    assert temp != atomic.temp_path_beside(target)
