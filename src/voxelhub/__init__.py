"""voxelhub: share large 3D microscopy datasets and annotations."""
