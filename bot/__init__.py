"""crisisbot: crisis-mode communication and rebooking bot for airlines."""

__version__ = "0.1.0"
