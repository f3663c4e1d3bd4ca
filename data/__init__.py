"""Persistence: models, engine and sessions, repositories, migrations and seed data."""
