"""What happens to a claim after filing: lifecycle, assessment, notices, payouts."""
