"""The clock: repeating ticks on PTB's JobQueue and the pure nudge policy."""
