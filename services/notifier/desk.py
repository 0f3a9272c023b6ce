"""What the customer's page and the staff routes share: the notifier's store, the link signer, a producer."""

from __future__ import annotations

from dataclasses import dataclass

from complaints.domain.policy import Policy
from complaints.kafka.producer import EventProducer
from complaints.pii import Vault
from services.customer.links import Links
from services.notifier.store import NotifierStore


@dataclass
class Desk:
    store: NotifierStore
    links: Links
    producer: EventProducer
    vault: Vault
    policy: Policy
