"""The follow-up service's dependencies shared by its routers: the PII vault that seals what staff write."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from complaints.pii import Vault


def get_vault(request: Request) -> Vault:
    """The PII vault that seals the customer's comment, replies and notes (set up in `create_app`)."""
    vault: Vault = request.app.state.vault
    return vault


VaultDep = Annotated[Vault, Depends(get_vault)]
