"""Signals casework offers to the apps built on it (which it never imports)."""

from django.dispatch import Signal

# Sent with person_ids=[...] after a write that changes what is known of these persons in a way
# model signals do not show: bulk inserts and queryset updates. Receivers must not write.
persons_changed = Signal()
