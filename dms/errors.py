"""One exception type for bad user input, so every command can print one clear line and exit."""


class InputError(Exception):
    """Bad input from the user (file, camera, CSV, checkpoint): the message names it and the problem."""

    def __init__(self, subject: object, problem: str):
        self.subject = str(subject)
        self.problem = problem
        super().__init__(f"{self.subject}: {problem}")


class StorageError(InputError):
    """The event log or the report folder cannot be written (disk full, locked by another process,
    read-only): one line naming the file; what was committed before stays intact."""
