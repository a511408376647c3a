"""One exception type for bad user input, so every command can print one clear line and exit.

The engine's boundary to the models: `model_errors_as_input_errors()` turns the models' own input
error (models.errors.ModelInputError: a checkpoint or data set that cannot be used) into this one,
so the entry point (main.py) and the GUI catch one type. `shown_value` and `is_json_number` serve
the checks of every JSON file the user writes (profiles, rule sets), so their error lines read alike.
"""

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager


def shown_value(value: object) -> str:
    """A value as a one-line message shows it, with its JSON kind where that is the problem."""
    kind = {bool: "true/false", str: "text", list: "a list", dict: "an object"}.get(type(value))
    text = json.dumps(value) if isinstance(value, bool | str | list | dict | None) else repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{text} ({kind})" if kind else text


def is_json_number(value: object) -> bool:
    """A finite JSON number: true/false and text are not numbers, even where Python would read them."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)



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
