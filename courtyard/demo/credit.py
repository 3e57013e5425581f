"""Made-up but valid unified social credit codes (统一社会信用代码) for demo and generated
organizations.

A code is an 8-character prefix (registration authority, organization category and the
6-digit division of registration), a 9-character organization code and the check character
from `organizations.credit_code`. The organization codes made here start with "CY"
(Courtyard) and then count up, so that made-up codes are easy to recognise; they are
fictitious data and must never be mistaken for, or copied from, a real register.
"""

from __future__ import annotations

from courtyard.organizations.credit_code import ALPHABET, check_character

# Registration authority + category, by what the organization is (GB 32100-2015, table 1).
ENTERPRISE = "91"  # 工商 · 企业
GOVERNMENT_ORGAN = "11"  # 机构编制 · 机关
PUBLIC_INSTITUTION = "12"  # 机构编制 · 事业单位
SOCIAL_GROUP = "51"  # 民政 · 社会团体
PRIVATE_NON_ENTERPRISE = "52"  # 民政 · 民办非企业单位 (service centres, care stations)

ORG_CODE_LENGTH = 9
DEMO_LEAD = "CYD"  # the demo city's hand-written organizations
GENERATED_LEAD = "CYG"  # organizations made by `courtyard generate`


def credit_code(authority: str, division: str, org_code: str) -> str:
    """A valid 18-character code from its parts; `division` is a 6-digit division code."""
    first17 = f"{authority}{division[:6]}{org_code}"
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError(f"Cannot build a credit code from {first17!r}.")
    return first17 + check_character(first17)


def counter_org_code(n: int, lead: str = GENERATED_LEAD) -> str:
    """The 9-character organization code for the `n`-th made-up organization: `lead`
    followed by `n` in base 31 over the code alphabet. Distinct `n` give distinct codes."""
    width = ORG_CODE_LENGTH - len(lead)
    if not 0 <= n < len(ALPHABET) ** width:
        raise ValueError(f"Counter {n} does not fit in {width} characters.")
    digits = []
    for _ in range(width):
        n, rest = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return lead + "".join(reversed(digits))
