"""Pure geography: places, areas and hotspots. Imports nothing from the rest of Dalili."""
