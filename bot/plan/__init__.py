"""The plan importer: the parser, the loader, the unit directory and Chinese numerals."""
