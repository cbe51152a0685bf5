"""Datasets: registering and scanning volumes, layer metadata, settings, thumbnails."""
