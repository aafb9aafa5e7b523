"""skdigits serve at the HTTP level: a real server on a free loopback port, driven with urllib and sockets."""

import base64
import contextlib
import http.client
import json
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from skdigits.exceptions import InvalidParameterError
from skdigits.images.files import as_model_input
from skdigits.web.server import MAX_BODY, make_server


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A tiny pipeline trained on 2,500 embedded MNIST digits (seconds), saved in the safe format."""
    from skdigits import make_digit_pipeline, save_model
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    model = make_digit_pipeline(filters=(8, 16), dense_units=32, epochs=3, random_state=0)
    model.fit(X.iloc[::2], y.iloc[::2])
    return save_model(model, tmp_path_factory.mktemp("model") / "tiny.skdigits")


@pytest.fixture(scope="module")
def server(model_path):
    server = make_server(model_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server, path="/"):
    host, port = server.server_address[:2]
    return f"http://{host}:{port}{path}"


def canvas_body(rgba):
    h, w, _ = rgba.shape
    return json.dumps({"width": w, "height": h, "rgba": base64.b64encode(rgba.tobytes()).decode()}).encode()


def one_stroke():
    """A '1' as a canvas exports it: a black vertical stroke on transparent black, 280x280."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[40:240, 132:150, 3] = 255
    return rgba


def post(server, body, content_type="application/json", path="/predict"):
    request = urllib.request.Request(url(server, path), data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def raw_request(server, text):
    """Send raw bytes; return the status line's code and the body (parsed as JSON)."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(text)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_binds_loopback_by_default_and_serves_the_page(server):
    assert server.server_address[0] == "127.0.0.1"
    with urllib.request.urlopen(url(server), timeout=10) as response:
        page = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert '<canvas id="pad"' in page and 'id="clear"' in page and "pointerdown" in page


def test_drawing_is_predicted_with_what_the_model_saw(server, model_path):
    from skdigits.predictor import load_predictor

    status, answer = post(server, canvas_body(one_stroke()))
    assert status == 200
    assert len(answer["probabilities"]) == 10 and abs(sum(answer["probabilities"]) - 1) < 1e-4
    assert answer["classes"] == list(range(10))
    image = np.array(answer["image"], dtype=np.uint8).reshape(1, 28, 28)
    rows = np.flatnonzero(image[0].max(axis=1) > 0)
    assert rows[-1] - rows[0] + 1 == 20, "the stroke was normalised into the 20x20 box"
    model = load_predictor(model_path)
    assert answer["label"] == model.predict(as_model_input(model, image))[0]
    assert answer["label"] == int(np.argmax(answer["probabilities"]))


def test_blank_canvas_gets_422_with_a_message(server):
    status, answer = post(server, canvas_body(np.zeros((100, 100, 4), np.uint8)))
    assert status == 422 and "the drawing has no ink" in answer["error"]


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({"width": 0, "height": 5, "rgba": ""}).encode(), "width must be an integer in 1..1024"),
    (json.dumps({"width": 5000, "height": 5, "rgba": ""}).encode(), "width must be an integer"),
    (json.dumps({"width": 2, "height": 2, "rgba": "!!!"}).encode(), "not valid base64"),
    (json.dumps({"width": 2, "height": 2, "rgba": base64.b64encode(b"abc").decode()}).encode(),
     "rgba holds 3 bytes; a 2x2 RGBA canvas is 16"),
    (json.dumps({"width": 2, "height": 2}).encode(), "rgba must be"),
])
def test_bad_json_gets_400_and_the_server_goes_on(server, body, message):
    status, answer = post(server, body)
    assert status == 400 and message in answer["error"]
    assert post(server, canvas_body(one_stroke()))[0] == 200


def test_wrong_content_type_gets_415(server):
    status, answer = post(server, canvas_body(one_stroke()), content_type="text/plain")
    assert status == 415 and "application/json" in answer["error"]


def test_oversized_body_is_refused_before_it_is_read(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.putrequest("POST", "/predict")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(MAX_BODY + 1))
    connection.endheaders()  # and send no body at all: the answer must not wait for it
    response = connection.getresponse()
    assert response.status == 413 and "above the limit" in json.loads(response.read())["error"]
    connection.close()


def test_missing_content_length_and_chunked_bodies_get_411(server):
    status, answer = raw_request(server, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         b"Content-Type: application/json\r\nConnection: close\r\n\r\n")
    assert status == 411 and "Content-Length is required" in answer["error"]
    status, answer = raw_request(server, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                         b"Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    assert status == 411 and "chunked" in answer["error"]


@pytest.mark.parametrize("path", ["/nope", "/predict", "/static/draw.html", "/../../../etc/passwd",
                                  "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/skdigits/web/server.py"])
def test_unknown_paths_and_traversal_get_404_and_no_file(server, path):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(url(server, path), timeout=10)
    body = caught.value.read().decode()
    assert caught.value.code == 404 and "not found" in json.loads(body)["error"]
    assert "root:" not in body and "import" not in body


def test_post_to_another_path_gets_404(server):
    assert post(server, canvas_body(one_stroke()), path="/../predict.py")[0] == 404


def test_foreign_host_header_is_refused(server):
    status, answer = raw_request(server, b"GET / HTTP/1.1\r\nHost: evil.example:8000\r\nConnection: close\r\n\r\n")
    assert status == 403 and "loopback" in answer["error"]


def test_a_stalled_client_does_not_block_others(server):
    server.RequestHandlerClass.timeout = 1.0
    try:
        with socket.create_connection(server.server_address[:2], timeout=10) as slow:
            slow.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{")  # then nothing
            assert post(server, canvas_body(one_stroke()))[0] == 200, "another client is served meanwhile"
            start = time.monotonic()
            reply = slow.recv(65536)
            assert time.monotonic() - start < 5 and (reply == b"" or b" 408 " in reply.split(b"\r\n")[0])
    finally:
        server.RequestHandlerClass.timeout = 10.0


@pytest.mark.parametrize("port", [-1, 70000, "80", True])
def test_bad_port_is_refused(model_path, port):
    with pytest.raises(InvalidParameterError, match="port"):
        make_server(model_path, port=port)


def test_missing_model_is_named(tmp_path):
    with pytest.raises(FileNotFoundError):
        make_server(tmp_path / "missing.skdigits", port=0)


def test_import_loads_no_tensorflow():
    import subprocess
    import sys

    code = "import sys, skdigits.web.server; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_bug_is_a_500_not_a_4xx_and_the_server_goes_on(capsys):
    class Broken:
        classes_ = np.arange(10)

        def predict_proba(self, X):
            raise RuntimeError("a bug in the model")

    server = make_server(Broken(), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, answer = post(server, canvas_body(one_stroke()))
        assert status == 500 and "internal error" in answer["error"]
        with urllib.request.urlopen(url(server), timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()
    # The handler thread prints the traceback after the 500 has gone out, and server_close does not wait
    # for its (daemon) threads: on a busy machine the traceback may still be on its way.
    err, deadline = capsys.readouterr().err, time.monotonic() + 10
    while "RuntimeError: a bug in the model" not in err and time.monotonic() < deadline:
        time.sleep(0.05)
        err += capsys.readouterr().err
    assert "RuntimeError: a bug in the model" in err


def test_ipv6_loopback(model_path):
    try:
        server = make_server(model_path, host="::1", port=0)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here ({exc})")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://[::1]:{server.server_address[1]}/", timeout=10) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("request_text, status", [
    (b"PUT /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 501),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414),
])
def test_the_base_servers_refusals_are_json_too(server, request_text, status):
    code, answer = raw_request(server, request_text)
    assert code == status and str(status) in answer["error"]
    assert post(server, canvas_body(one_stroke()))[0] == 200


# --- what a hostile client sends (issue 12 / 15): each answered with a 4xx, no traceback, and the server goes on ---

class _Uniform:
    """A stand-in model that answers at once (or, with ``gate``, when the test lets it): no training needed."""

    classes_ = np.arange(10)

    def __init__(self, gate=None):
        self.gate, self.entered = gate, threading.Event()

    def predict_proba(self, X):
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never let the model answer"
        return np.full((len(X), 10), 0.1)


@pytest.fixture(scope="module")
def stub_server():
    """A server of a stand-in model: these tests are about HTTP, not about what a trained model reads."""
    server = make_server(_Uniform(), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_server():
    """Start servers of their own (port 0) with a shorter deadline; shut them all down after the test."""
    started = []

    def start(model=None, timeout=None):
        server = make_server(_Uniform() if model is None else model, port=0)
        if timeout is not None:
            server.RequestHandlerClass.timeout = timeout  # this server's own handler class
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def post_raw(server, body, length=None, extra=b""):
    """POST /predict with a Content-Length of raw bytes (``length``, default the true one)."""
    length = str(len(body)).encode() if length is None else length
    return raw_request(server, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Connection: close\r\nContent-Length: " + length + b"\r\n" + extra + b"\r\n" + body)


def hang_up(sock):
    """Close with a TCP reset (SO_LINGER 0), as a browser tab that is closed mid-request does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000],
                         ids=["lists", "objects"])
def test_deeply_nested_json_gets_400_not_a_recursion_error(stub_server, capsys, body):
    status, answer = post(stub_server, body)
    assert status == 400 and "nested too deeply" in answer["error"] and '{"width": W' in answer["error"]
    assert post(stub_server, canvas_body(one_stroke()))[0] == 200
    assert "Traceback" not in capsys.readouterr().err


def test_a_number_too_long_to_read_gets_400(stub_server, capsys):
    # Python converts at most 4300 digits to an int (sys.get_int_max_str_digits); json.loads raises ValueError.
    status, answer = post(stub_server, b'{"width": ' + b"9" * 5000 + b', "height": 1, "rgba": ""}')
    assert status == 400 and "number too long" in answer["error"] and "1..1024" in answer["error"]
    assert "set_int_max_str_digits" not in answer["error"]
    assert "Traceback" not in capsys.readouterr().err


def test_a_huge_value_is_not_echoed_back(stub_server):
    status, answer = post(stub_server, json.dumps({"width": "x" * 100_000, "height": 1, "rgba": ""}).encode())
    assert status == 400 and "width must be an integer" in answer["error"] and len(answer["error"]) < 200


@pytest.mark.parametrize("length", ["²".encode(), b"\xb2", "２".encode(), b"-1", b"1e3", b""])
def test_a_content_length_that_is_not_digits_gets_400_without_mojibake(stub_server, capsys, length):
    status, answer = post_raw(stub_server, b"{}", length=length)
    assert status == 400 and "Content-Length must be a whole number of bytes" in answer["error"]
    assert not any(ch in answer["error"] for ch in "\u00c2\u00b2\u00ef"), "undecodable bytes are not echoed"
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("length", [b"9" * 5000, b"0" * 5000 + b"7"])
def test_a_content_length_of_thousands_of_digits_is_answered(stub_server, capsys, length):
    status, answer = post_raw(stub_server, b"[1, 2 ]", length=length)
    if length.startswith(b"9"):
        assert status == 413 and "5,000-digit number of bytes" in answer["error"]
    else:  # 7 with 5,000 leading zeros: the 7 bytes are read and parsed
        assert status == 400 and "send a JSON object" in answer["error"]
    assert "Traceback" not in capsys.readouterr().err


def test_two_different_content_lengths_are_refused(stub_server):
    status, answer = post_raw(stub_server, b"{}", extra=b"Content-Length: 999999\r\n")
    assert status == 400 and "several different Content-Length" in answer["error"]


def test_a_client_that_hangs_up_leaves_no_traceback(start_server, capsys):
    gate = threading.Event()
    model = _Uniform(gate)
    server = start_server(model)
    for _ in range(3):  # while its answer is written: BrokenPipeError / ConnectionResetError on the server
        model.entered.clear()
        gate.clear()
        sock = socket.create_connection(server.server_address[:2], timeout=10)
        body = canvas_body(one_stroke())
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        assert model.entered.wait(10), "the request reached the model"
        hang_up(sock)
        time.sleep(0.05)
        gate.set()
        time.sleep(0.2)  # the server writes its answer to the closed connection now
    gate.set()
    model.gate = None
    for request in (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # while the request is read
                    b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000\r\n\r\n{"):
        for _ in range(5):
            sock = socket.create_connection(server.server_address[:2], timeout=10)
            sock.sendall(request)
            hang_up(sock)
    time.sleep(0.3)
    assert post(server, canvas_body(one_stroke()))[0] == 200, "the server goes on"
    err = capsys.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err and "ConnectionResetError" not in err


def test_a_body_dripped_byte_by_byte_gets_408_at_the_deadline(start_server):
    server = start_server(timeout=1.0)  # 10 s in use; each byte below comes well within a per-read timeout
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n")
        sock.settimeout(0.2)
        start, reply = time.monotonic(), b""
        while not reply and time.monotonic() - start < 6:
            try:
                sock.sendall(b" ")
                reply = sock.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        elapsed = time.monotonic() - start
        sock.settimeout(5)  # the answer may come in more than one piece on a busy machine: read it all
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                reply += chunk
    assert elapsed < 4, f"the body was read for {elapsed:.1f} s, past the 1 s deadline"
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b" 408 " in head.split(b"\r\n")[0] and "did not arrive within 1 s" in json.loads(body)["error"]
    assert post(server, canvas_body(one_stroke()))[0] == 200


def test_headers_dripped_line_by_line_are_dropped_at_the_deadline(start_server):
    server = start_server(timeout=1.0)
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sock.settimeout(0.2)
        start, closed = time.monotonic(), False
        while not closed and time.monotonic() - start < 6:
            try:
                sock.sendall(b"X-a: b\r\n")
                closed = sock.recv(65536) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        elapsed = time.monotonic() - start
    assert closed and elapsed < 4, f"headers were read for {elapsed:.1f} s, past the 1 s deadline"


def test_a_whole_request_in_time_is_not_cut_by_the_deadline(start_server):
    server = start_server(timeout=1.0)  # several requests on one connection: each has its own deadline
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(3):
        time.sleep(0.4)
        connection.request("POST", "/predict", canvas_body(one_stroke()), {"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200 and json.loads(response.read())["classes"] == list(range(10))
    connection.close()


def test_the_base_servers_refusals_show_bytes_not_mojibake(stub_server):
    code, answer = raw_request(stub_server, b"G\xe9T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert code == 501 and "Unsupported method" in answer["error"]
    assert "G\\xe9T" in answer["error"] and "\u00e9" not in answer["error"]
