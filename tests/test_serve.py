"""skdigits serve at the HTTP level: a real server on a free loopback port, driven with urllib and sockets."""

import base64
import http.client
import json
import socket
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from skdigits.exceptions import InvalidParameterError
from skdigits.images import as_model_input
from skdigits.serve import MAX_BODY, make_server


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A tiny pipeline trained on 2,500 embedded MNIST digits (seconds), saved in the safe format."""
    from skdigits import make_digit_pipeline, save_model
    from skdigits.datasets import load_sample

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
                                  "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/skdigits/serve.py"])
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

    code = "import sys, skdigits.serve; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
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
    assert "RuntimeError: a bug in the model" in capsys.readouterr().err


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
