# Rules for precision study (issue 6).
