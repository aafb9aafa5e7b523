"""``skdigits train``: train a model and save it with its learning curves."""

from skdigits.cli import options
from skdigits.cli.inputs import SAMPLE, load_labelled
from skdigits.cli.session import plural

NAME = "train"
HELP = "train a model and save it"
DESCRIPTION = (
    "Train the CNN and save it (model.skdigits in --output-dir, or --model), with its\n"
    "learning curves (learning_curves.png). Models are saved in skdigits' safe format, which\n"
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
    options.add_validation_split(data, 0.0)
    options.add_model_path(data, saving=True)


def run(args, session):
    """Run ``skdigits train``, with the parsed ``args`` and the running ``session``; return the exit status."""
    model_path = session.path(args.model, "model.skdigits")
    curves_path = session.path(None, "learning_curves.png")
    session.info(f"Loading {args.train or SAMPLE}...")
    X, y, source = load_labelled(args.train, "--train")

    from skdigits.persistence import save_model
    from skdigits.pipeline import make_digit_pipeline
    from skdigits.plotting import plot_learning_curves

    model = make_digit_pipeline(**options.classifier_params(args, verbose=session.keras_verbose))
    session.info(f"Training on {len(X):,} digits for {plural(args.epochs, 'epoch')}...")
    fit_time = session.fit(model, X, y)
    session.save(model_path, save_model, model)
    session.save_figure(plot_learning_curves(model), curves_path)
    history = {key: values[-1] for key, values in model[-1].history_.items()}
    result = {"command": "train", "model": model_path, "data": source, "n_train": len(X),
              "fit_seconds": fit_time, "final_epoch": history, "settings": session.settings(model),
              "files": [model_path, curves_path]}
    scores = ", ".join(f"{key} {value:.4f}" for key, value in history.items())
    session.emit(result, f"Saved model to {model_path} (trained on {len(X):,} digits in {fit_time:.0f} s; "
                         f"last epoch: {scores}).\nLearning curves: {curves_path}")
    return 0
