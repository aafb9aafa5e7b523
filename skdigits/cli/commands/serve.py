"""``skdigits serve``: a local web page to draw a digit on, predicted as you draw."""

from skdigits.cli import options

NAME = "serve"
HELP = "serve a local page to draw digits on and see the model's prediction"
DESCRIPTION = (
    "Serve a web page on this machine where you draw a digit with the mouse, a pen or a\n"
    "finger; the page shows the predicted digit, the ten probabilities and the 28x28\n"
    "image the model saw, as you draw. It binds to 127.0.0.1 (this machine only) unless\n"
    "--host says otherwise. The model is read with load_predictor: no TensorFlow.\n\n"
    "example: skdigits serve --model skdigits-output/model.skdigits --port 8000"
)


def add_arguments(parser):
    """Add the options of ``skdigits serve`` to its ``parser``."""
    group = parser.add_argument_group("server")
    options.add_model_path(group, saving=False)
    group.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default: %(default)s; another address makes the page "
                            "reachable from other machines)")
    group.add_argument("--port", type=options.port, default=8000, metavar="N",
                       help="TCP port, 0 for any free one (default: %(default)s)")
    group.add_argument("-q", "--quiet", action="store_true", help="no messages on stderr")
    group.add_argument("--output-dir", default=options.DEFAULT_OUTPUT_DIR, metavar="DIR",
                       help="where the default model is (DIR/model.skdigits; default: %(default)s)")


def run(args, session):
    """Run ``skdigits serve`` with the parsed ``args`` until Ctrl-C (exit status 0) or SIGTERM (143)."""
    import os

    from skdigits.predictor import load_predictor
    from skdigits.web.server import make_server

    path = args.model or os.path.join(args.output_dir, "model.skdigits")
    session.info(f"Loading model {path}...")
    model = load_predictor(path)
    try:
        server = make_server(model, host=args.host, port=args.port)
    except OSError as exc:
        from skdigits.exceptions import InvalidParameterError

        raise InvalidParameterError(
            f"cannot serve on --host {args.host} --port {args.port}: {exc.strerror or exc}. Pass an address of this "
            "machine (127.0.0.1, the default) and a free port (--port 0 picks one)."
        ) from None
    host, port = server.server_address[:2]
    session.info(f"Drawing page on http://{f'[{host}]' if ':' in host else host}:{port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:  # the usual way to stop a server, not a failure
        session.info("Stopped.")
    finally:
        server.server_close()
    return 0
