"""The demo airline's own tables (placeholder: filled in by the reservation adapter work)."""
