# Rules for machine peak throughput (issue 6).
