"""Domain errors: what actions raise when a request cannot be carried out.

Views turn them into a message on the page, the API into a JSON error with the same text.
Every message is written for the person who made the request: what is wrong and what to do.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.field = field


class BadInput(DomainError):
    """The input is malformed or breaks a rule of the data (400)."""

    status = 400


class Conflict(DomainError):
    """The request clashes with the current state: an illegal transition, a duplicate (409)."""

    status = 409


class NotAllowed(DomainError):
    """The actor may see the object but not do this to it (403)."""

    status = 403
