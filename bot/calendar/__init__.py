"""The plan's clock: working days, reporting periods, period steps and where a plan stands."""
