"""Duban's core: domain rules (lights, reporting, review, chasing), the catalog, settings and
the composition root; the importer, the clock, delivery, the ledger and the CLI in sub-packages."""
