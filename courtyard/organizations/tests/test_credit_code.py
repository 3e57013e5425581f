"""The unified social credit code (统一社会信用代码, GB 32100-2015): its check character."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from courtyard.organizations.credit_code import (
    ALPHABET,
    check_character,
    normalize,
    validate_credit_code,
)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def independent_check(first17: str) -> str:
    """The standard's formula written out again: weights are 3^i mod 31, the check value
    is 31 - (sum mod 31), with 31 meaning 0."""
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return ALPHABET[(31 - total % 31) % 31]


def error_of(code: str) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    return exc.value


def test_the_alphabet_is_digits_and_capitals_without_i_o_z_s_v():
    assert len(ALPHABET) == 31
    assert set(ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") - set("IOZSV")


@pytest.mark.parametrize(
    "code",
    [
        "91110000802100433B",  # a Beijing enterprise
        "91110108551385082Q",  # a Haidian enterprise
        # Fuzhou, the example of the standard's Wikipedia article: check character 3.
        "91350100M000100Y43",
    ],
)
def test_real_world_codes_are_valid(code):
    assert validate_credit_code(code) == code
    assert check_character(code[:17]) == code[17] == independent_check(code[:17])


def test_lowercase_and_surrounding_spaces_are_normalized():
    assert validate_credit_code("  91110108551385082q ") == "91110108551385082Q"
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"
    assert normalize(" abc ") == "ABC"


@pytest.mark.parametrize(
    ("code", "n"), [("", 0), ("9111010855138508", 16), ("91110108551385082QX", 19)]
)
def test_wrong_length_is_refused_with_the_length_found(code, n):
    error = error_of(code)

    assert error.code == "length"
    assert error.messages == [f"A unified social credit code has 18 characters; this one has {n}."]


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_forbidden_letters_are_refused_and_named(letter):
    code = "91110108551385082" + letter

    error = error_of(code)

    assert error.code == "alphabet"
    assert error.messages == [
        "A unified social credit code uses digits and capital letters except I, O, Z, S and "
        f"V; found: {letter}."
    ]


def test_every_forbidden_character_found_is_listed_once_in_order():
    error = error_of("9111O1085513850-2S")

    assert error.messages[0].endswith("found: - O S.")


def test_a_wrong_check_character_names_the_expected_one():
    error = error_of("91110000802100433C")

    assert error.code == "check"
    assert error.messages == [
        "The check character of this credit code is wrong (the last character should be B): "
        "check for a typing mistake."
    ]


def test_a_single_typing_mistake_in_the_body_is_caught():
    assert check_character("91110000802100434") != "B"
    with pytest.raises(ValidationError):
        validate_credit_code("91110000802100434B")


def test_a_check_value_of_zero_is_the_digit_zero():
    body = next(
        f"9111010100000{n:04d}"
        for n in range(10000)
        if independent_check(f"9111010100000{n:04d}") == "0"
    )

    assert check_character(body) == "0"
    assert validate_credit_code(body + "0") == body + "0"


bodies = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(body=bodies)
def test_any_body_with_its_check_character_validates(body):
    code = body + check_character(body)

    assert validate_credit_code(code) == code
    assert check_character(body) == independent_check(body)


@given(body=bodies, other=st.sampled_from(ALPHABET))
def test_any_other_last_character_fails_the_check(body, other):
    right = check_character(body)
    if other == right:
        other = ALPHABET[(ALPHABET.index(right) + 1) % 31]

    with pytest.raises(ValidationError) as exc:
        validate_credit_code(body + other)

    assert exc.value.code == "check"
    assert f"should be {right})" in exc.value.messages[0]
