"""Pure DataFrame transforms of the e-commerce analytics suite: DataFrames and plain parameters in, DataFrames out."""
