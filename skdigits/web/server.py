"""A local web page to draw a digit on and see what a saved model reads (standard library HTTP server).

Why :mod:`http.server`: the server answers one page and one JSON endpoint
on the user's own machine. ``ThreadingHTTPServer`` does that without a new
dependency; what a framework would add (routing, templates) is not needed,
and the limits that matter here (bounded bodies, timeouts, no file access)
are a few lines written out below, where they can be reviewed.

What the server does, and does not:

- ``GET /`` answers the drawing page, held in memory from the package's
  ``static/draw.html``; every other path is a 404. No path a client sends
  is ever opened.
- ``POST /predict`` takes ``{"width": W, "height": H, "rgba": base64}``
  (a canvas's pixels) as ``application/json``, with a ``Content-Length`` of
  at most :data:`MAX_BODY` bytes. It normalises the
  drawing as image files are (:mod:`skdigits.images.normalize`) and answers the
  label, the probabilities and the 28x28 image the model saw.
- A request (its line, headers and body) must arrive within 10 s in all,
  not 10 s per network read: a client that drips a byte at a time is
  answered 408 (or, still in its headers, dropped) when the time is up.
- A bad request gets a 4xx answer with a JSON ``{"error": message}``; the
  server goes on serving. A bug gets a 500 and its traceback on stderr. A
  client that hangs up before its answer is dropped without a word.
- It binds 127.0.0.1 by default, and then answers only requests whose
  ``Host`` is a loopback name (a DNS-rebinding page cannot read it).
- It predicts with :func:`skdigits.load_predictor`: NumPy, no TensorFlow.
"""

import base64
import binascii
import io
import json
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import numpy as np

from skdigits.exceptions import DataError, InvalidParameterError

__all__ = ["make_server", "serve", "MAX_BODY", "MAX_SIDE"]

MAX_SIDE = 1024  # a canvas side, in pixels
MAX_BODY = 6 * 2**20  # a 1024x1024 RGBA canvas in base64 (5.6 MB) with room for the JSON around it
_TIMEOUT = 10.0  # seconds a client may take to send a whole request (line, headers and body)
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def make_server(model, host="127.0.0.1", port=8000):
    """Make (not start) the drawing page's HTTP server.

    Parameters
    ----------
    model : str, os.PathLike or estimator object
        A ``.skdigits`` file, loaded with :func:`skdigits.load_predictor`,
        or a fitted model with ``predict_proba`` and ``classes_`` reading
        28x28 digits (a pipeline, a classifier or a predictor).
    host : str, default="127.0.0.1"
        The address to bind. Another address than loopback makes the page
        reachable from other machines: pass it only on a network you trust.
    port : int, default=8000
        The TCP port; 0 picks a free one (read it from ``server.server_address``).

    Returns
    -------
    http.server.ThreadingHTTPServer
        Call ``serve_forever()`` on it, and ``server_close()`` when done.

    Raises
    ------
    skdigits.exceptions.InvalidParameterError
        If ``port`` is not an integer in 0..65535 or ``host`` is not a string.
    OSError
        If the address cannot be bound (for example, the port is in use).
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InvalidParameterError(f"port={port!r} is not valid; pass an integer in 0..65535 (0: any free port).")
    if not isinstance(host, str) or not host:
        raise InvalidParameterError(f"host={host!r} is not valid; pass an address such as '127.0.0.1'.")
    if not hasattr(model, "predict_proba"):
        from skdigits.predictor import load_predictor

        model = load_predictor(model)
    page = resources.files("skdigits.web").joinpath("static", "draw.html").read_bytes()
    handler = type("DrawingPageHandler", (_Handler,), {
        "model": model, "page": page, "lock": threading.Lock(),
        "check_host": host in _LOOPBACK,
    })
    server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
    server = server_class((host.strip("[]"), port), handler)
    server.daemon_threads = True
    return server


def serve(model, host="127.0.0.1", port=8000):
    """Serve the drawing page until interrupted (Ctrl-C).

    Parameters
    ----------
    model : str, os.PathLike or estimator object
        As :func:`make_server`.
    host : str, default="127.0.0.1"
        The address to bind.
    port : int, default=8000
        The TCP port.

    See Also
    --------
    make_server : The server itself, to run it in a thread or a test.

    Examples
    --------
    >>> from skdigits.web.server import serve
    >>> serve("model.skdigits", port=8000)  # doctest: +SKIP
    Drawing page on http://127.0.0.1:8000/ (Ctrl-C to stop)
    """
    server = make_server(model, host=host, port=port)
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"Drawing page on http://{shown}:{bound_port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class _RequestError(Exception):
    """A bad request: answered with ``status`` and a JSON message, then the server goes on."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class _DeadlineReader(io.RawIOBase):
    """The connection's incoming bytes, with one deadline for a whole request.

    A socket timeout bounds each ``recv`` only, so a client sending a byte
    every few seconds would be read for ever; here every ``recv`` may wait
    only for what is left of the request's time. A connection the client
    reset reads as its end (there is no one left to answer).
    """

    def __init__(self, connection):
        super().__init__()
        self.connection = connection
        self.deadline = None  # time.monotonic() by which the request must have arrived

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self.connection.settimeout(left)
        try:
            return self.connection.recv_into(buffer)
        except ConnectionResetError:
            return 0


class _Handler(BaseHTTPRequestHandler):
    model = page = lock = None
    check_host = True
    timeout = _TIMEOUT  # seconds for a whole request: a client that stalls or drips is dropped
    protocol_version = "HTTP/1.1"
    server_version = "skdigits"
    sys_version = ""

    def setup(self):
        super().setup()
        self.rfile.close()  # the base class's reader: replaced by one that keeps the request's deadline
        self.reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self):
        self.reader.deadline = None if self.timeout is None else time.monotonic() + self.timeout
        super().handle_one_request()

    def send_error(self, code, message=None, explain=None):
        """The base class's own refusals (bad request line, unknown method, long headers) as JSON too."""
        if message:  # it quotes the request line, read as Latin-1: show bytes over 127 as \xNN, not as mojibake
            message = message.encode("ascii", "backslashreplace").decode("ascii")
        body = _json({"error": f"{code} {message or HTTPStatus(code).phrase}" + (f": {explain}" if explain else "")})
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self._write_out(body if self.command != "HEAD" and code >= 200 and code not in (204, 304) else b"")

    def handle_expect_100(self):
        try:
            return super().handle_expect_100()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return False

    def log_message(self, format, *args):
        pass  # the page polls as you draw; a line per stroke would drown the console

    def do_GET(self):
        self._answer(self._get)

    def do_HEAD(self):
        self._answer(self._get, head=True)

    def do_POST(self):
        self._answer(self._post)

    def _answer(self, route, head=False):
        try:
            self._check_host()
            status, content_type, body = route()
        except _RequestError as exc:
            status, content_type, body = exc.status, "application/json", _json({"error": str(exc)})
            self.close_connection = True  # the rest of a refused body may still be on the wire
        except Exception:
            # A bug, not bad input: answer 500 and let socketserver print the traceback.
            self.close_connection = True
            body = _json({"error": "internal error in skdigits serve; see the server's console."})
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "application/json", body, head)
            raise
        self._send(status, content_type, body, head)

    def _send(self, status, content_type, body, head):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                         "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        self._write_out(b"" if head else body)

    def _write_out(self, body):
        """Send the buffered headers and ``body``; a client that has hung up is dropped without a traceback."""
        self.connection.settimeout(self.timeout)  # reads left a shorter timeout: what remained of the deadline
        try:
            self.end_headers()
            if body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (closed the tab, cancelled): nobody to tell

    def _check_host(self):
        if not self.check_host:
            return
        host = (self.headers.get("Host") or "").strip().lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name not in _LOOPBACK:
            raise _RequestError(HTTPStatus.FORBIDDEN, f"Host {host!r} is not this machine's loopback address.")

    def _get(self):
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            return HTTPStatus.OK, "text/html; charset=utf-8", self.page
        raise _RequestError(HTTPStatus.NOT_FOUND, "not found: this server answers GET / and POST /predict only.")

    def _post(self):
        if self.path.split("?", 1)[0] != "/predict":
            raise _RequestError(HTTPStatus.NOT_FOUND, "not found: POST the drawing to /predict.")
        content_type = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise _RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                                f"Content-Type {content_type or 'missing'!s}; send application/json.")
        drawing = _parse_drawing(self._body())
        from skdigits.images.files import as_model_input
        from skdigits.images.normalize import normalize_digit

        try:
            digit = normalize_digit(drawing, where="the drawing")
        except DataError as exc:
            raise _RequestError(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc)) from None
        with self.lock:  # one forward pass at a time: bounded CPU, and no assumption of thread safety
            proba = self.model.predict_proba(as_model_input(self.model, digit[np.newaxis]))[0]
        classes = [c.item() if hasattr(c, "item") else c for c in self.model.classes_]
        answer = {"label": classes[int(np.argmax(proba))], "classes": classes,
                  "probabilities": [round(float(p), 6) for p in proba], "image": digit.ravel().tolist()}
        return HTTPStatus.OK, "application/json", _json(answer)

    def _body(self):
        if self.headers.get("Transfer-Encoding"):
            raise _RequestError(HTTPStatus.LENGTH_REQUIRED, "chunked bodies are not accepted; send a Content-Length.")
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or ()}
        if not lengths:
            raise _RequestError(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required.")
        if len(lengths) > 1:
            raise _RequestError(HTTPStatus.BAD_REQUEST, "the request has several different Content-Length headers; "
                                                        "send one.")
        length = lengths.pop()
        # ASCII digits only: str.isdigit() also takes '²' (byte 0xB2 of a Latin-1 header), which int() refuses.
        if not (length.isascii() and length.isdigit()):
            shown = f" (not {length!r})" if length.isascii() and length.isprintable() and len(length) <= 40 else ""
            raise _RequestError(HTTPStatus.BAD_REQUEST, f"Content-Length must be a whole number of bytes{shown}, "
                                                        "written in the digits 0-9.")
        digits = length.lstrip("0") or "0"  # no int() of 5,000 digits: Python refuses it (ValueError)
        if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:
            shown = f"{int(digits):,} bytes" if len(digits) <= 40 else f"a {len(digits):,}-digit number of bytes"
            raise _RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                                f"body of {shown}, above the limit of {MAX_BODY:,}; send a smaller drawing.")
        length = int(digits)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            raise _RequestError(HTTPStatus.REQUEST_TIMEOUT,
                                f"the request did not arrive within {self.timeout:g} s; send it at once.") from None
        if len(body) != length:
            raise _RequestError(HTTPStatus.BAD_REQUEST, f"body ended after {len(body)} of {length} bytes.")
        return body


def _parse_drawing(body):
    """The request's canvas as an (h, w, 4) uint8 array; 4xx errors name what is wrong."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _RequestError(HTTPStatus.BAD_REQUEST, f"the body is not JSON ({exc}).") from None
    except RecursionError:  # [[[[... or {"a": {"a": ... thousands deep: json's parser recurses per level
        raise _RequestError(HTTPStatus.BAD_REQUEST, 'the body\'s JSON is nested too deeply; send one flat object '
                                                    '{"width": W, "height": H, "rgba": base64}.') from None
    except ValueError:  # a number of more digits than Python converts (sys.get_int_max_str_digits())
        raise _RequestError(HTTPStatus.BAD_REQUEST, "the body's JSON holds a number too long to read; width and "
                                                    f"height are integers in 1..{MAX_SIDE}.") from None
    if not isinstance(request, dict):
        raise _RequestError(HTTPStatus.BAD_REQUEST, 'send a JSON object {"width": W, "height": H, "rgba": base64}.')
    width, height, rgba = request.get("width"), request.get("height"), request.get("rgba")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIDE:
            raise _RequestError(HTTPStatus.BAD_REQUEST,
                                f"{name} must be an integer in 1..{MAX_SIDE}, not {_shown(value)}.")
    if not isinstance(rgba, str):
        raise _RequestError(HTTPStatus.BAD_REQUEST, "rgba must be the canvas's RGBA bytes in base64.")
    try:
        pixels = base64.b64decode(rgba, validate=True)
    except (binascii.Error, ValueError):
        raise _RequestError(HTTPStatus.BAD_REQUEST, "rgba is not valid base64.") from None
    if len(pixels) != width * height * 4:
        raise _RequestError(HTTPStatus.BAD_REQUEST,
                            f"rgba holds {len(pixels)} bytes; a {width}x{height} RGBA canvas is {width * height * 4}.")
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 4)


def _shown(value):
    """A JSON value for a message: short (a client's 6 MB string is not echoed), and no repr of deep lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else f"{text[:30]}... (a {type(value).__name__} of {len(text):,} characters)"
    return f"a JSON {'object' if isinstance(value, dict) else 'array'}"


def _json(value):
    return json.dumps(value).encode("utf-8")
