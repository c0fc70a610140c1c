"""K-means user segments: features, the model search, assignment, profiles, labels, agreement with truth."""
