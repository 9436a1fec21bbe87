"""What went wrong with which input, said so a person can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputProblem:
    path: str
    where: str  # "" for the whole file, else "record 12", "line 40", "byte 1024"
    why: str

    def __str__(self) -> str:
        at = f" ({self.where})" if self.where else ""
        return f"{self.path}{at}: {self.why}"


class InputError(Exception):
    """A whole input cannot be read; carries the problem for the report."""

    def __init__(self, problem: InputProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem
