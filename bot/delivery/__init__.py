"""Delivery: the persistent outbox, its sender and rate gate, and broadcasting."""
