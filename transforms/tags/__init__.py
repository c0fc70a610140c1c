"""The tag system: the declarative catalog, user features, tag values, snapshots, RFM and lifecycle."""
