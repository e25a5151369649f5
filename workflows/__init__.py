"""RQ: queues, jobs, the claim pipeline and the sweeper. Thin: decisions live in claims/."""
