"""Management reporting: effort records kept from the event log, reports, what-if."""
