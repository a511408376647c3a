"""The PyQt5 desktop app: it drives a Pipeline off the GUI thread and only observes its results."""
