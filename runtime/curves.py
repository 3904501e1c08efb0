"""Training curves as a PNG: the loss, and the training and validation accuracy, per epoch.
matplotlib is optional (``pip install adcompiler[plot]``); without it no figure is drawn."""
import io

from adcompiler.files import write_atomically


def save(path, history, title):
    """Draw ``history`` (one dict per epoch) to ``path``; False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        return False
    epochs = [h["epoch"] for h in history]
    figure = Figure(figsize=(9, 3.5), layout="constrained")
    loss, accuracy = figure.subplots(1, 2)
    loss.plot(epochs, [h["loss"] for h in history], marker="o")
    loss.set(xlabel="epoch", ylabel="training loss", title=f"{title}: loss")
    accuracy.plot(epochs, [100 * h["accuracy"] for h in history], marker="o",
                  label="training")
    validated = [h for h in history if h.get("val_accuracy") is not None]
    if validated:
        accuracy.plot([h["epoch"] for h in validated],
                      [100 * h["val_accuracy"] for h in validated], marker="o",
                      label="validation")
    accuracy.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title}: accuracy")
    accuracy.legend()
    for axes in (loss, accuracy):
        axes.grid(alpha=0.3)
        axes.xaxis.get_major_locator().set_params(integer=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    write_atomically(path, lambda handle: handle.write(buffer.getvalue()))
    return True
