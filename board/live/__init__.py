"""Live screens: rendering per audience, local fan-out (hub), change notices, presence."""
