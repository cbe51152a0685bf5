"""voxelhub: share large 3D microscopy datasets and annotations."""

__version__ = "0.1.0"
