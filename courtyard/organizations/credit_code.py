"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capitals without I, O, Z, S, V):
registration authority (1), organization category (1), administrative division (6),
organization code (9) and a check character computed over the first 17 with fixed weights.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The 18th character that makes `first17` a valid code."""
    total = sum(VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalize(code: str) -> str:
    return code.strip().upper()


def validate_credit_code(code: str) -> str:
    """Return the normalized code, or raise ValidationError saying what is wrong."""
    code = normalize(code)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d.")
            % {"n": len(code)},
            code="length",
        )
    bad = sorted({c for c in code if c not in VALUE})
    if bad:
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters except I, O, Z, S "
                "and V; found: %(chars)s."
            )
            % {"chars": " ".join(bad)},
            code="alphabet",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character of this credit code is wrong (the last character should be "
                "%(expected)s): check for a typing mistake."
            )
            % {"expected": expected},
            code="check",
        )
    return code
