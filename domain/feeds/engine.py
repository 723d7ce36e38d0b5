"""The recommendation engine (pure: integer arrays in, models out), shared by the nightly
rebuild and ``loyalty recs-evaluate``."""
