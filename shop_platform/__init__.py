"""Platform code shared by every job: configuration, Spark session, lake storage, tracking and logging.

Imports from neither `jobs` nor `transforms`.
"""
