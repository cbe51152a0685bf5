"""Annotations: skeleton tracings and volume annotations, versioned saves, NML import/export, forks."""
