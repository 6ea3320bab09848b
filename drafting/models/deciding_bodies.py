"""The bodies that decide on the consensus text for a municipality (beslutande organ)."""

from __future__ import annotations

from enum import StrEnum


class DecidingBody(StrEnum):
    """One list for the sign-off page, the API and its OpenAPI document.

    The value is what SignOff.deciding_body stores and the signature block prints: the
    body's Swedish name, as in the Swedish document whatever the interface language.
    """

    MUNICIPAL_EXECUTIVE_BOARD = "Kommunstyrelsen"
    BOARD_WORKING_COMMITTEE = "Kommunstyrelsens arbetsutskott"
    DIRECTOR_ON_DELEGATION = "Kommundirektören på delegation"
    MUNICIPAL_COUNCIL = "Kommunfullmäktige"
