"""Hotspots: patrol-planning products of verified incidents (cells, Gi*, exports) and their rules."""
