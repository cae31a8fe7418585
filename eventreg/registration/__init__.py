"""Attendee registration, the waiting list, session sign-ups and the private management link."""
