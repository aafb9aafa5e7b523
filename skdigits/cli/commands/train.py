"""``skdigits train``: train a model and save it with its learning curves."""

from skdigits.cli import options
from skdigits.cli.inputs import SAMPLE, load_labelled

NAME = "train"
HELP = "train a model and save it"
DESCRIPTION = (
    "Train the CNN and save it (model.skdigits in --output-dir, or --model), with its\n"
    "learning curves (learning_curves.png). The saved model trains on every digit: a first fit\n"
    "keeps --validation-split of them apart for the validation curves and the temperature, and a\n"
    "second fit, on all of them with the same settings, is saved (--no-refit saves the first fit,\n"
    "--validation-split 0 fits once). Models are saved in skdigits' safe format, which\n"
    "runs no code when loaded: reload them with 'skdigits predict/evaluate' or\n"
    "skdigits.load_model."
)


def add_arguments(parser):
    """Add the options of ``skdigits train`` to its ``parser``."""
    options.add_training_options(parser)
    options.add_network_options(parser)
    options.add_output_options(parser)
    data = parser.add_argument_group("data")
    options.add_train_csv(data)
    options.add_validation_split(data, 0.1)
    options.add_refit(data)
    options.add_model_path(data, saving=True)


def run(args, session):
    """Run ``skdigits train``, with the parsed ``args`` and the running ``session``; return the exit status."""
    model_path = session.path(args.model, "model.skdigits")
    curves_path = session.path(None, "learning_curves.png")
    session.info(f"Loading {args.train or SAMPLE}...")
    X, y, source = load_labelled(args.train, "--train")

    from skdigits.cli.refit import fit_measured_then_all
    from skdigits.persistence import save_model
    from skdigits.plotting import plot_learning_curves

    params = options.classifier_params(args, verbose=session.keras_verbose)
    refit = args.refit and bool(params.get("validation_split"))
    fits = fit_measured_then_all(session, params, X, y, *((X, y) if refit else ()))
    session.save(model_path, save_model, fits.final)
    session.save_figure(plot_learning_curves(fits.measured), curves_path)
    history = {key: values[-1] for key, values in fits.measured[-1].history_.items()}
    result = {"command": "train", "model": model_path, "data": source, "n_trained": fits.n_trained,
              "refit": fits.refitted, **fits.seconds, "final_epoch": history,
              "settings": session.settings(fits.measured), "files": [model_path, curves_path]}
    scores = ", ".join(f"{key} {value:.4f}" for key, value in history.items())
    seconds = sum(fits.seconds.values())
    how = ", in two fits; the first kept a validation part, and its last epoch scored" if fits.refitted else \
        "; last epoch"
    session.emit(result, f"Saved model to {model_path} (trained on {fits.n_trained:,} digits in {seconds:.0f} s"
                         f"{how}: {scores}).\nLearning curves: {curves_path}")
    return 0
