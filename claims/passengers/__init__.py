"""The passenger's use cases: finding a booking, filing a claim, its status, answers to a clerk."""
