"""File formats for invoices and payments, free of the database: dataclasses in, dataclasses or bytes out.

* :mod:`.finvoice` — Finvoice 3.0 invoices from providers (read, and write for tests, the demo and synthetic data)
* :mod:`.pain001` — SEPA credit transfer initiation (pain.001) for the bank
* :mod:`.camt054` — the bank's debit/credit notification (camt.054), and one made from a payment batch for tests
* :mod:`.references` — Finnish and RF payment references

See docs/file-formats.md.
"""
