"""The sample shop's job entry points: generate the sample data, and score the pipeline against its truth."""
