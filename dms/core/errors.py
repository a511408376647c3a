"""One exception type for bad user input, so every command can print one clear line and exit.

The engine's boundary to the models: `model_errors_as_input_errors()` turns the models' own input
error (models.errors.ModelInputError: a checkpoint or data set that cannot be used) into this one,
so the entry point (main.py) and the GUI catch one type.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class InputError(Exception):
    """Bad input from the user (file, camera, CSV, checkpoint): the message names it and the problem."""

    def __init__(self, subject: object, problem: str):
        self.subject = str(subject)
        self.problem = problem
        super().__init__(f"{self.subject}: {problem}")


class StorageError(InputError):
    """The event log or the report folder cannot be written (disk full, locked by another process,
    read-only): one line naming the file; what was committed before stays intact."""


@contextmanager
def model_errors_as_input_errors() -> Iterator[None]:
    """Within the block, a ModelInputError is raised again as an InputError (same file, same problem)."""
    from models.errors import ModelInputError

    try:
        yield
    except ModelInputError as exc:
        raise InputError(exc.subject, exc.problem) from None
