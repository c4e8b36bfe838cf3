"""Planning: config -> the lab as a table of jobs, file paths and final targets. Never imports torch, so
parsing the workflow stays fast."""
