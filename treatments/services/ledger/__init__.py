"""Writes of the controlled-substance ledger: deliveries, a session's draws and waste,
disposals, reversing entries, counts and inventories, and discrepancies. Every entry goes
through ``chain.append``."""

from .chain import (
    ChainBreak,
    RegistrationMissing,
    chain_breaks,
    clinic_registration,
    container_balances,
    session_location,
)
from .counts import containers_to_count, count_record, discrepancy_resolve
from .stock import ReceivedContainer, container_dispose, entry_reverse, receipt_record
from .use import Draw, draws_check, session_use_record, usable_containers
from .witness import Witness, witness_confirm

__all__ = [
    "ChainBreak",
    "Draw",
    "ReceivedContainer",
    "RegistrationMissing",
    "Witness",
    "chain_breaks",
    "clinic_registration",
    "container_balances",
    "container_dispose",
    "containers_to_count",
    "count_record",
    "discrepancy_resolve",
    "draws_check",
    "entry_reverse",
    "receipt_record",
    "session_location",
    "session_use_record",
    "usable_containers",
    "witness_confirm",
]
