"""Errors for bad model input (checkpoints, data sets): one clear line naming the file."""


class ModelInputError(Exception):
    """A checkpoint, data-set file or list that cannot be used; the message names it and why."""

    def __init__(self, subject: object, problem: str):
        self.subject = str(subject)
        self.problem = problem
        super().__init__(f"{self.subject}: {problem}")
