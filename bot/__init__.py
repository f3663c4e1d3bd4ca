"""Duban core: settings, domain rules, the plan importer, delivery, the catalog and the CLI."""
