"""Outgoing e-mail: the outbox written with each change, and delivery that loses nothing."""
