"""Strategies and their delivery: objectives, actions, owners, indicators computed from the evidence."""
