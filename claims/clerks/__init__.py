"""The clerk's use cases: staff sign-in, the review queue and claim file, decisions."""
