"""Renderers: findings in, text out. Nothing here decides anything."""
